"""What a refused form field means, in the words a coach uses.

The domain's input errors name a field and say what is wrong for a developer ("phone: not a
phone number in E.164 form"); the onboarding screens show, next to the field the coach typed
in, what to do instead ("Enter a mobile number with its country code"). Validation stays in
the domain: this only chooses the sentence."""

from __future__ import annotations

from coach.classes import ClassInputError
from coach.patient_import import MAX_ROWS, RowError
from coach.patients import DuplicatePhone, PatientInputError
from web.i18n import Translator

_PATIENT_FIELDS = {"name", "phone", "email", "time_zone", "language", "join_by"}


def patient_error(exc: PatientInputError | DuplicatePhone) -> tuple[str, str]:
    """(form field, catalogue key) for a refused patient form."""
    if isinstance(exc, DuplicatePhone):
        return "phone", "patient_error.phone_taken"
    if exc.field in _PATIENT_FIELDS:
        return exc.field, f"patient_error.{exc.field}"
    if exc.field in ("sms_only", "sms_consent"):
        return exc.field, "patient_error.flag"
    return "", "form.unreadable"


# Class form fields as the create form names them (the domain's name -> the form's).
_CLASS_FIELDS = {
    "title": ("title", "class_error.title"),
    "description": ("description", "class_error.description"),
    "time_zone": ("time_zone", "class_error.time_zone"),
    "first_start_local": ("date", "class_error.start"),
    "duration_minutes": ("duration", "class_error.duration"),
    "rrule": ("repeat", "class_error.repeat"),
    "class": ("", "class_error.cancelled"),
    "occurrence": ("", "class_error.started"),
    "starts_local": ("starts_local", "class_error.move_when"),
}


def class_error(exc: ClassInputError) -> tuple[str, str]:
    """(form field, catalogue key) for a refused class form, enrolment or move."""
    if exc.field == "capacity":
        if exc.message.startswith("the class is full"):
            return "patient_id", "class_error.full"
        if "enrolled already" in exc.message:
            return "capacity", "class_error.capacity_below"
        return "capacity", "class_error.capacity"
    return _CLASS_FIELDS.get(exc.field, ("", "form.unreadable"))


def import_error(t: Translator, error: RowError) -> str:
    """One line of a refused CSV file, said plainly (the line number is shown beside it)."""
    if error.kind == "invalid":
        field, key = patient_error(PatientInputError(error.field, error.message))
        return f"{field or error.field}: {t(key)}"
    if error.kind == "columns":
        missing, _, unknown = error.field.partition("|")
        return t("patient_import.columns", missing=missing or "—", unknown=unknown or "—")
    if error.kind == "duplicate_in_file":
        return t("patient_import.duplicate_in_file", other=error.other)
    if error.kind == "too_many":
        return t("patient_import.too_many", max=MAX_ROWS)
    simple = {
        "csv": "patient_import.bad_csv",
        "extra_values": "patient_import.extra_values",
        "phone_exists": "patient_import.phone_exists",
        "other_coach": "patient_import.other_coach",
        "no_coach": "patient_import.other_coach",
        "empty": "patient_import.empty",
    }
    return t(simple.get(error.kind, "form.unreadable"))

"""Patient records: validated input (from JSON or a CSV row) and the storage functions for it."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any

import phonenumbers
from sqlmodel import Session, select

from coach.models import Patient, utcnow

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}


class PatientInputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class DuplicatePhone(ValueError):
    def __init__(self, phone: str) -> None:
        super().__init__(f"phone: another patient already has {phone}")
        self.field = "phone"


@dataclass(frozen=True)
class PatientInput:
    name: str
    phone: str
    time_zone: str
    language: str = "en"
    sms_only: bool = False
    sms_consent: bool = False
    email: str | None = None
    join_by: str = "browser"


PATIENT_FIELDS = tuple(f.name for f in fields(PatientInput))
JOIN_BY = ("browser", "phone")


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_time_zone(name: str) -> bool:
    return name in _zones()


def normalize_phone(raw: str) -> str:
    """E.164 or an error; a leading '+' and country code are required, spacing is forgiven."""
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise PatientInputError(
            "phone", f"not a phone number in E.164 form (+15555550101): {raw!r}"
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise PatientInputError("phone", f"not a possible phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _text(data: Mapping[str, Any], key: str, *, required: bool, max_len: int) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PatientInputError(key, "is required")
        return None
    if not isinstance(value, str):
        raise PatientInputError(key, f"must be text, got {type(value).__name__}")
    value = value.strip()
    if len(value) > max_len:
        raise PatientInputError(key, f"must be at most {max_len} characters")
    if has_control_characters(value):
        raise PatientInputError(key, "must not contain control characters")
    return value


def has_control_characters(text: str, allowed: str = "") -> bool:
    """NUL and friends: PostgreSQL refuses NUL in text, and none belongs in a name or a phone."""
    return any((ord(ch) < 32 or ord(ch) == 127) and ch not in allowed for ch in text)


def _flag(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if value is None:
        return False
    raise PatientInputError(key, f"must be true or false, got {value!r}")


def parse_patient_input(
    data: Mapping[str, Any], languages: Collection[str], *, partial: bool = False
) -> dict[str, Any]:
    """Validate the fields present; with `partial`, missing fields are left out (for updates)."""
    if not isinstance(data, Mapping):
        raise PatientInputError("body", "must be a JSON object")
    unknown = sorted(set(data) - set(PATIENT_FIELDS))
    if unknown:
        raise PatientInputError(unknown[0], "unknown field")
    out: dict[str, Any] = {}
    for key in ("name", "phone", "time_zone"):
        if partial and key not in data:
            continue
        out[key] = _text(data, key, required=True, max_len=200)
    if "phone" in out:
        out["phone"] = normalize_phone(out["phone"])
    if "time_zone" in out and not valid_time_zone(out["time_zone"]):
        raise PatientInputError("time_zone", f"unknown IANA time zone {out['time_zone']!r}")
    if not partial or "language" in data:
        language = _text(data, "language", required=False, max_len=8) or "en"
        if language not in languages:
            raise PatientInputError("language", f"must be one of {', '.join(sorted(languages))}")
        out["language"] = language
    if not partial or "email" in data:
        email = _text(data, "email", required=False, max_len=254)
        if email is not None and not _EMAIL.match(email):
            raise PatientInputError("email", f"not an email address: {email!r}")
        out["email"] = email
    for key in ("sms_only", "sms_consent"):
        if not partial or key in data:
            out[key] = _flag(data, key)
    if not partial or "join_by" in data:
        # Exactly one of the words (or null for the default): " phone" is a typo, not a choice.
        join_by = data.get("join_by")
        join_by = "browser" if join_by in (None, "") else join_by  # a form sends "" for none
        if not isinstance(join_by, str) or join_by not in JOIN_BY:
            raise PatientInputError("join_by", f"must be one of {', '.join(JOIN_BY)}")
        out["join_by"] = join_by
    return out


def dials_in(patient: Patient) -> bool:
    """Whether the patient joins a class by phone: they chose to, or have no browser."""
    return patient.sms_only or patient.join_by == "phone"


def phone_taken(session: Session, phone: str, except_id: int | None = None) -> bool:
    query = select(Patient.id).where(Patient.phone == phone)
    if except_id is not None:
        query = query.where(Patient.id != except_id)
    return session.exec(query).first() is not None


def create_patient(
    session: Session, coach_id: int, values: Mapping[str, Any], now: datetime | None = None
) -> Patient:
    """`now` is the referral date the reports count from (the caller's clock)."""
    now = now or utcnow()
    if phone_taken(session, values["phone"]):
        raise DuplicatePhone(values["phone"])
    patient = Patient(coach_id=coach_id, **values, created_at=now)
    if patient.sms_consent:
        patient.sms_consent_at = now
    session.add(patient)
    session.flush()
    return patient


def update_patient(
    session: Session, patient: Patient, values: Mapping[str, Any], now: datetime | None = None
) -> Patient:
    if "phone" in values and phone_taken(session, values["phone"], except_id=patient.id):
        raise DuplicatePhone(values["phone"])
    if values.get("sms_consent") and not patient.sms_consent:
        patient.sms_consent_at = now or utcnow()
    for key, value in values.items():
        setattr(patient, key, value)
    session.add(patient)
    session.flush()
    return patient

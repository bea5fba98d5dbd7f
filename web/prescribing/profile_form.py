"""The clinical profile as an HTML form: one input per field of the profile format
(shared/clinical/PRESCRIPTION.md, "Profile (input)"), and the conversions both ways.

The form only turns text into JSON types; every check of values and ranges is `parse_profile`'s, so
the form, the API and the CLI accept exactly the same profiles. A checkbox group has three states:
nothing ticked is "not recorded" (null: the engine warns it assumed none), "None" ticked is an
empty list (recorded as none), items ticked are the list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coach.errors import ProfileError
from coach.profile import (
    AGENTS,
    COMORBIDITIES,
    EXERCISE_MODALITIES,
    LANGUAGES,
    MEDICATIONS,
    METASTASES,
    PHASES,
    RED_FLAGS,
    SEXES,
    TREATMENT_MODALITIES,
)
from web.prescribing.forms import Form

NONE_TICKED = "__none__"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INDEX = re.compile(r"\[\d+\]$")


@dataclass(frozen=True)
class FormField:
    name: str  # the dotted profile path, also the form field's name
    label: str  # catalogue key under profile.label
    kind: str  # number, text, choice, flag, multi
    choices: tuple[str, ...] = ()
    unit: str = ""  # catalogue key under profile.form_unit, or none
    required: bool = False

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")


@dataclass(frozen=True)
class Section:
    title: str  # catalogue key under profile.section
    fields: tuple[FormField, ...]
    note: str = ""  # catalogue key under profile.note, or none


def _n(name: str, label: str, unit: str = "", required: bool = False) -> FormField:
    return FormField(name, label, "number", unit=unit, required=required)


def _multi(name: str, label: str, choices: tuple[str, ...]) -> FormField:
    return FormField(name, label, "multi", choices)


# Labels, section titles, units and notes are catalogue keys (`profile.label.*`, the labels the
# patient's page shows the stored profile with; `profile.section.*`; `profile.form_unit.*`;
# `profile.note.*`): the form is in the coach's language.
SECTIONS: tuple[Section, ...] = (
    Section("patient", (
        _n("age", "age", "years", required=True),
        FormField("sex", "sex", "choice", SEXES, required=True),
    )),
    Section("cancer", (
        FormField("cancer.type", "cancer_type", "text"),
        FormField("cancer.stage", "stage", "text"),
        _multi("cancer.metastases", "metastases", METASTASES),
    )),
    Section("treatment", (
        FormField("treatment.phase", "phase", "choice", PHASES),
        _multi("treatment.modalities", "treatments", TREATMENT_MODALITIES),
        _multi("treatment.agents", "agents", AGENTS),
        _n("treatment.days_since_last_infusion", "days_since_infusion", "days"),
        _n("treatment.days_since_surgery", "days_since_surgery", "days"),
    )),
    Section("conditions", (
        _multi("comorbidities", "comorbidities", COMORBIDITIES),
        _multi("medications", "medications", MEDICATIONS),
    )),
    Section("labs", (
        _n("labs.platelets_10e9_l", "platelets", "per_litre"),
        _n("labs.hemoglobin_g_dl", "hemoglobin", "g_dl"),
        _n("labs.anc_10e9_l", "anc", "per_litre"),
    )),
    Section("vitals", (
        _n("vitals.resting_hr", "resting_hr", "bpm"),
        _n("vitals.measured_max_hr", "measured_max_hr", "bpm"),
        _n("vitals.temperature_c", "temperature", "celsius"),
    ), note="vitals"),
    Section("assessments", (
        _n("assessments.six_minute_walk_m", "six_minute_walk", "metres"),
        _n("assessments.grip_strength_kg", "grip_strength", "kg"),
        _n("assessments.sit_to_stand_30s", "sit_to_stand", "stands"),
        _n("assessments.timed_up_and_go_s", "timed_up_and_go", "seconds"),
        _n("assessments.vo2peak_ml_kg_min", "vo2peak", "vo2"),
        _n("assessments.facit_fatigue", "facit_fatigue"),
    ), note="assessments"),
    Section("today", (
        _n("today.fatigue_0_10", "fatigue_today", "of_ten"),
        _n("today.pain_0_10", "pain_today", "of_ten"),
        _multi("today.red_flags", "red_flags_today", RED_FLAGS),
    )),
    Section("preferences", (
        FormField("preferences.language", "language", "choice", LANGUAGES),
        FormField("preferences.sms_only", "sms_only", "flag"),
        _multi("preferences.modalities", "exercise_preferred", EXERCISE_MODALITIES),
    )),
)  # fmt: skip
FIELDS: dict[str, FormField] = {f.name: f for s in SECTIONS for f in s.fields}


def form_field_of(error_path: str) -> str | None:
    """The form field a ProfileError's dotted path belongs to (`comorbidities[2]` is
    `comorbidities`), or None when it names no single field."""
    name = _INDEX.sub("", error_path)
    return name if name in FIELDS else None


def form_to_profile(form: Form) -> dict[str, Any]:
    """The profile JSON a submitted form describes; ProfileError for text that is not of the
    field's type. Values are checked by `parse_profile` afterwards."""
    for key in form:
        if key not in FIELDS:
            raise ProfileError(key[:60], "is not a field of the profile form", "not_field")
    profile: dict[str, Any] = {}
    for spec in FIELDS.values():
        value = _convert(spec, form.get(spec.name, []))
        if value is None:
            continue
        *parents, leaf = spec.name.split(".")
        node = profile
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return profile


def _convert(spec: FormField, values: list[str]) -> Any:
    if spec.kind == "multi":
        if NONE_TICKED in values and len(values) > 1:
            raise ProfileError(
                spec.name, "tick None, or the items that apply, not both", "none_and_items"
            )
        return [] if values == [NONE_TICKED] else (values or None)
    if len(values) > 1:
        raise ProfileError(spec.name, "was sent more than once", "sent_twice")
    text = values[0].strip() if values else ""
    if not text:
        return None
    if spec.kind == "number":
        if not _NUMBER.fullmatch(text):
            raise ProfileError(spec.name, f"must be a number, got {text[:20]!r}", "not_number")
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    if spec.kind == "flag":
        if text not in ("true", "false"):
            raise ProfileError(spec.name, "must be yes or no", "not_yes_no")
        return text == "true"
    return text


def profile_to_form(profile: Mapping[str, Any] | None) -> Form:
    """A stored profile's values as the form shows them."""
    form: Form = {}
    for spec in FIELDS.values():
        value: Any = profile
        for key in spec.name.split("."):
            value = value.get(key) if isinstance(value, Mapping) else None
        if spec.kind == "multi":
            if isinstance(value, list):
                form[spec.name] = [str(v) for v in value] or [NONE_TICKED]
        elif isinstance(value, bool):
            form[spec.name] = ["true" if value else "false"]
        elif value is not None:
            form[spec.name] = [str(value)]
    return form

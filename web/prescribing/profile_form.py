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
PER_LITRE = "\N{MULTIPLICATION SIGN}10\N{SUPERSCRIPT NINE}/L"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INDEX = re.compile(r"\[\d+\]$")


@dataclass(frozen=True)
class FormField:
    name: str  # the dotted profile path, also the form field's name
    label: str
    kind: str  # number, text, choice, flag, multi
    choices: tuple[str, ...] = ()
    unit: str = ""
    required: bool = False

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[FormField, ...]
    note: str = ""


def _n(name: str, label: str, unit: str = "", required: bool = False) -> FormField:
    return FormField(name, label, "number", unit=unit, required=required)


def _multi(name: str, label: str, choices: tuple[str, ...]) -> FormField:
    return FormField(name, label, "multi", choices)


SECTIONS: tuple[Section, ...] = (
    Section("Patient", (
        _n("age", "Age", "years", required=True),
        FormField("sex", "Sex", "choice", SEXES, required=True),
    )),
    Section("Cancer", (
        FormField("cancer.type", "Cancer type", "text"),
        FormField("cancer.stage", "Stage", "text"),
        _multi("cancer.metastases", "Metastases", METASTASES),
    )),
    Section("Treatment", (
        FormField("treatment.phase", "Phase", "choice", PHASES),
        _multi("treatment.modalities", "Treatment modalities", TREATMENT_MODALITIES),
        _multi("treatment.agents", "Agents", AGENTS),
        _n("treatment.days_since_last_infusion", "Days since last infusion", "days"),
        _n("treatment.days_since_surgery", "Days since surgery", "days"),
    )),
    Section("Comorbidities and medications", (
        _multi("comorbidities", "Comorbidities", COMORBIDITIES),
        _multi("medications", "Medications", MEDICATIONS),
    )),
    Section("Labs", (
        _n("labs.platelets_10e9_l", "Platelets", PER_LITRE),
        _n("labs.hemoglobin_g_dl", "Hemoglobin", "g/dL"),
        _n("labs.anc_10e9_l", "Absolute neutrophils", PER_LITRE),
    )),
    Section("Vitals", (
        _n("vitals.resting_hr", "Resting heart rate", "bpm"),
        _n("vitals.measured_max_hr", "Measured max heart rate", "bpm"),
        _n("vitals.temperature_c", "Temperature", "°C"),
    ), note="A recorded resting-HR assessment replaces this value when a draft is generated."),
    Section("Assessments", (
        _n("assessments.six_minute_walk_m", "6-minute walk", "m"),
        _n("assessments.grip_strength_kg", "Grip strength", "kg"),
        _n("assessments.sit_to_stand_30s", "30-s sit-to-stand", "stands"),
        _n("assessments.timed_up_and_go_s", "Timed up-and-go", "s"),
        _n("assessments.vo2peak_ml_kg_min", "VO2peak", "ml/kg/min"),
        _n("assessments.facit_fatigue", "FACIT-Fatigue", "0\N{EN DASH}52"),
    ), note="The latest recorded assessment of each kind replaces these values when a draft is"
            " generated."),
    Section("Today", (
        _n("today.fatigue_0_10", "Fatigue today", "0\N{EN DASH}10"),
        _n("today.pain_0_10", "Pain today", "0\N{EN DASH}10"),
        _multi("today.red_flags", "Red flags reported today", RED_FLAGS),
    )),
    Section("Preferences", (
        FormField("preferences.language", "Language", "choice", LANGUAGES),
        FormField("preferences.sms_only", "SMS only", "flag"),
        _multi("preferences.modalities", "Preferred activities", EXERCISE_MODALITIES),
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
            raise ProfileError(key[:60], "is not a field of the profile form")
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
            raise ProfileError(spec.name, "tick None, or the items that apply, not both")
        return [] if values == [NONE_TICKED] else (values or None)
    if len(values) > 1:
        raise ProfileError(spec.name, "was sent more than once")
    text = values[0].strip() if values else ""
    if not text:
        return None
    if spec.kind == "number":
        if not _NUMBER.fullmatch(text):
            raise ProfileError(spec.name, f"must be a number, got {text[:20]!r}")
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    if spec.kind == "flag":
        if text not in ("true", "false"):
            raise ProfileError(spec.name, "must be yes or no")
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

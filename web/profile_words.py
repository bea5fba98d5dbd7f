"""A stored clinical profile as labelled plain words for a coach ("Treatment phase: active
treatment"), in the page's language; the raw JSON stays available behind a "details" toggle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web.i18n import Translator

# (label key, path in the profile, how to write the value). Order is the order a coach reads a
# referral in: who, what cancer, what treatment, what else, then today's numbers.
_LINES: tuple[tuple[str, str, str], ...] = (
    ("age", "age", "years"),
    ("sex", "sex", "word"),
    ("cancer_type", "cancer.type", "text"),
    ("stage", "cancer.stage", "text"),
    ("metastases", "cancer.metastases", "words"),
    ("phase", "treatment.phase", "word"),
    ("treatments", "treatment.modalities", "words"),
    ("agents", "treatment.agents", "words"),
    ("days_since_infusion", "treatment.days_since_last_infusion", "days"),
    ("days_since_surgery", "treatment.days_since_surgery", "days"),
    ("comorbidities", "comorbidities", "words"),
    ("medications", "medications", "words"),
    ("platelets", "labs.platelets_10e9_l", "per_litre"),
    ("hemoglobin", "labs.hemoglobin_g_dl", "g_dl"),
    ("anc", "labs.anc_10e9_l", "per_litre"),
    ("resting_hr", "vitals.resting_hr", "bpm"),
    ("measured_max_hr", "vitals.measured_max_hr", "bpm"),
    ("temperature", "vitals.temperature_c", "celsius"),
    ("six_minute_walk", "assessments.six_minute_walk_m", "metres"),
    ("grip_strength", "assessments.grip_strength_kg", "kg"),
    ("sit_to_stand", "assessments.sit_to_stand_30s", "number"),
    ("timed_up_and_go", "assessments.timed_up_and_go_s", "seconds"),
    ("vo2peak", "assessments.vo2peak_ml_kg_min", "vo2"),
    ("facit_fatigue", "assessments.facit_fatigue", "number"),
    ("fatigue_today", "today.fatigue_0_10", "of_ten"),
    ("pain_today", "today.pain_0_10", "of_ten"),
    ("red_flags_today", "today.red_flags", "words"),
    ("exercise_preferred", "preferences.modalities", "words"),
)


def _at(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def profile_word(value: str, t: Translator) -> str:
    """A choice of the profile format in the reader's words ("checkpoint_inhibitor" →
    "inhibidor de puntos de control"; "bone:spine" → "hueso (columna)"); a choice without a
    catalogue word reads as its key without underscores, never as a bare key."""
    site, _, where = value.partition(":")
    if where:
        return t("profile.word_at", site=profile_word(site, t), where=profile_word(where, t))
    key = f"profile.word.{value}"
    text = t(key)
    return text if text != key else value.replace("_", " ")


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _value_text(t: Translator, kind: str, value: object) -> str:
    if kind == "text":
        return str(value)
    if kind == "word":
        return profile_word(str(value), t)
    if kind == "words":
        assert isinstance(value, list | tuple)
        if not value:
            return t("profile.none")
        return t("staff.common.list_separator").join(profile_word(str(v), t) for v in value)
    return t(f"profile.unit.{kind}", value=_number(value))


def profile_lines(data: Mapping[str, Any], t: Translator) -> list[tuple[str, str]]:
    """(label, words) for each field the profile holds; unknown (null) fields are left out."""
    lines = []
    for label, path, kind in _LINES:
        value = _at(data, path)
        if value is None or (kind == "words" and not isinstance(value, list | tuple)):
            continue
        lines.append((t(f"profile.label.{label}"), _value_text(t, kind, value)))
    return lines

"""Plain words for the internal names a coach would otherwise read: rule ids (`hold.red_flag`),
prescription keys (`aerobic.minutes_per_session`), SMS purposes (`opt_out_confirm`). Pages show
these first and keep the id itself behind a "details" toggle, for the people who need it."""

from __future__ import annotations

import re

from coach import overrides
from coach.profile import EXERCISE_MODALITIES
from web.i18n import Translator
from web.profile_words import profile_word


def plain_word(value: object) -> str:
    """A stored choice in words: 'high_impact' → 'high impact', 'loading:spine' →
    'loading (spine)'."""
    name, _, where = str(value).partition(":")
    plain = name.replace("_", " ")
    return f"{plain} ({where.replace('_', ' ')})" if where else plain


def _fallback(name: str) -> str:
    """The last part of a name without underscores: better than the raw id, never empty."""
    return name.rsplit(".", 1)[-1].replace("_", " ")


def rule_label(rule_id: str, t: Translator) -> str:
    """'hold.red_flag' → 'Warning sign reported today'."""
    key = f"rule.{rule_id}"
    text = t(key)
    return text if text != key else _fallback(rule_id)


_RULE_ID = re.compile(r"\b(?:base|zone|hold|adj|tier|prog|override|modality)\.[a-z_]+\b")


def with_rule_labels(text: str, t: Translator) -> str:
    """An engine line that names rules by id ("clinically supervised: adj.bone_mets") with each
    id in words ("clinically supervised: bone metastases"); the row keeps the ids in details."""
    return _RULE_ID.sub(lambda found: rule_label(found.group(0), t).lower(), text)


def field_label(path: str, t: Translator) -> str:
    """'aerobic.minutes_per_session' → the override form's label for it, in the reader's words
    (`staff.rx.field.*`; else the field's English label)."""
    key = "staff.rx.field." + path.replace(".", "_")
    text = t(key)
    if text != key:
        return text
    spec = overrides.BY_PATH.get(path)
    return spec.label if spec is not None else _fallback(path)


def prescription_word(value: str, t: Translator) -> str:
    """A prescription's value in the reader's words: 'fall_risk' → 'actividades con riesgo de
    caída', 'loading:spine' → 'carga sobre (columna vertebral)', an activity as the profile words
    it; a value without a catalogue word reads as its name in plain words."""
    site, _, where = value.partition(":")
    if where:
        return t("profile.word_at", site=prescription_word(site, t), where=profile_word(where, t))
    key = f"staff.rx.word.{value}"
    text = t(key)
    if text != key:
        return text
    return profile_word(value, t) if value in EXERCISE_MODALITIES else plain_word(value)


def sms_purpose_label(purpose: str, t: Translator) -> str:
    """'opt_out_confirm' → 'confirms the patient's STOP'."""
    key = f"sms_purpose.{purpose.replace('.', '_')}"
    text = t(key)
    return text if text != key else purpose.replace("_", " ").replace(".", ": ")

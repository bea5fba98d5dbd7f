"""What the product stored in English for a coach, in the reader's language: a prescription's
lines, its warnings, a hold's reason.

A stored line is English: the rules file's template for its rule, filled with the rule's
parameters and the case's values ("hemoglobin 9.1 g/dL (≤ 10.0): light intensity, RPE ≤ 11"),
and the prescription format keeps it so. For another language the line is read back against the
template it came from (the current rules' template, parameters filled in, each value a group),
each value is put in the reader's words, and the catalogue's template for the rule
(`rule_text.<rule id>`, the same placeholders) is filled with them. A value is a number (kept), a
choice of the profile format (its catalogue word: "beta blocker" → "betabloqueante"), an
intensity, a rule id (the rule's name), one of the engine's phrases (`rule_phrase.*`, whose
English is the engine's own: "fatigue 7/10 today"), or a list of those joined by "; ", " and "
or ", ".

Only the rules file's own wording is translated: a rule a clinic has worded its own way (its text
no longer the English catalogue's `rule_text.<rule id>`) keeps the clinic's words. Whatever does
not read back (a line made under other rules, a phrase the catalogue does not know) stays as
stored too, in English: the line is clinical advice, so it is never half-translated or guessed.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from dataclasses import fields
from datetime import date

from coach.profile import CHOICES
from coach.rules import RuleSet
from coach.rules._schema import LEVELS, Rule
from web.dates import day_text
from web.i18n import DEFAULT_LANGUAGE, Translator
from web.plain_labels import prescription_word, rule_label, with_rule_labels
from web.profile_words import profile_word

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")  # a stored ISO day, as the page writes days
_TREND = re.compile(r"-?\d+(\.\d+)?( → -?\d+(\.\d+)?)+")  # weekly means: "3 → 4.5 → 6"
_RULE_ID = re.compile(r"(base|zone|hold|adj|tier|prog|override|modality)\.[a-z_]+")
# Every choice of the profile format a line may name, as the engine writes it ("beta blocker")
# or as it is ("stationary_cycling"), to its code.
_CHOICES = {spelling: code for code in CHOICES for spelling in (code, code.replace("_", " "))}
# How the engine joins a list of values, widest first: tier reasons, findings, items.
_JOINS = (("; ", "rule_phrase.reasons_sep"), (" and ", "rule_phrase.and_sep"),
          (", ", "staff.common.list_separator"))  # fmt: skip


def rule_text(ref: Mapping[str, str], t: Translator, rules: RuleSet) -> str:
    """A stored prescription line ({"id", "text", ...}) in the reader's words; as stored, rule ids
    in words, where it cannot be read back."""
    rule_id, text = str(ref.get("id", "")), str(ref.get("text", ""))
    if t.language != DEFAULT_LANGUAGE:
        translated = _translated(rule_id, text, t, rules)
        if translated is not None:
            return translated
    return with_rule_labels(text, t)


def stored_words(text: str, t: Translator) -> str:
    """A text the product stored in English, not from a rule's template: one of the engine's
    warnings ("no resting HR: assumed 70 bpm for the heart-rate zone", `rule_phrase.warn_*`) or a
    stored hold's reason ("reported today by SMS: chest pain", `rule_phrase.hold_*`), in the
    reader's words; as stored, rule ids in words, where it does not read back."""
    if t.language != DEFAULT_LANGUAGE:
        translated = Words(t).of(text)
        if translated is not None:
            return translated
    return with_rule_labels(text, t)


def templates_of(rule: Rule) -> dict[str, str]:
    """The rule's templates by catalogue key: `rule_text.<id>` for its text, and
    `rule_text.<id>_<field>` for another line it may give (adj.bone_mets' spine_text)."""
    keys = {}
    for spec in fields(rule):
        if spec.metadata.get("template"):
            suffix = "" if spec.name == "text" else f"_{spec.name}"
            keys[f"rule_text.{rule.id}{suffix}"] = getattr(rule, spec.name)
    return keys


def _translated(rule_id: str, text: str, t: Translator, rules: RuleSet) -> str | None:
    try:
        rule = rules.get(rule_id)
    except KeyError:
        return None
    params = rule.params()
    for key, template in templates_of(rule).items():
        if t.english(key) != template:
            continue  # the clinic worded this rule its own way: its words, not our translation
        found = _reader(template, tuple(sorted(params.items()))).fullmatch(text)
        if found is None:
            continue
        words = Words(t)
        values = {name: words.of(value) for name, value in found.groupdict().items()}
        if any(value is None for value in values.values()) or not t.has(key):
            return None
        return t(key, **params, **values)
    return None


@functools.lru_cache(maxsize=256)
def _reader(template: str, params: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """The template as a pattern: parameters as their text, each value a named group (a value
    named twice, as Karvonen's resting rate, must be the same both times)."""
    known = dict(params)
    parts, seen = [], set()
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is None:
            continue
        if name in known:
            parts.append(re.escape(known[name]))
        elif name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts), re.DOTALL)


class Words:
    """One line's values in the reader's words; None for a value it cannot read."""

    def __init__(self, t: Translator) -> None:
        self.t = t
        # Read from the catalogue once for all of a text's values, not at every value.
        self._fixed = _phrases(t, fixed=True)
        self._patterned = _phrases(t, fixed=False)

    def of(self, value: str) -> str | None:
        """A single value first, then a list (every part must read), then a phrase with values
        of its own: "temperature 38.4 °C and fever reported today" is two findings, not one
        report of "temperature 38.4 °C and fever"."""
        single = self._single(value)
        if single is not None:
            return single
        for separator, key in _JOINS:
            if separator in value:
                parts = [self.of(part) for part in value.split(separator)]
                if all(part is not None for part in parts):
                    return self.t(key).join(part for part in parts if part is not None)
        for key, pattern in self._patterned.items():
            found = pattern.fullmatch(value)
            if found is None:
                continue
            values = {name: self.of(part) for name, part in found.groupdict().items()}
            if all(part is not None for part in values.values()):
                return self.t(key, **values)
        return None

    def _single(self, value: str) -> str | None:
        if _NUMBER.fullmatch(value) or _TREND.fullmatch(value):
            return value
        if _DAY.fullmatch(value):
            try:
                return day_text(date.fromisoformat(value), self.t.language)
            except ValueError:
                return None
        if value in _CHOICES:
            return profile_word(_CHOICES[value], self.t)
        if value in LEVELS:  # today's intensity (zone.moderate)
            return prescription_word(value, self.t)
        if _RULE_ID.fullmatch(value):  # a rule by its name, where the catalogue has one
            return rule_label(value, self.t).lower() if self.t.has(f"rule.{value}") else None
        for key, pattern in self._fixed.items():
            if pattern.fullmatch(value):
                return self.t(key)
        return None


def _phrases(t: Translator, *, fixed: bool) -> dict[str, re.Pattern[str]]:
    """The engine's phrases (`rule_phrase.*` in English) that the reader's catalogue words, as
    patterns: the fixed ones ("past falls"), or those with values ("fatigue {value}/10 today")."""
    return {
        key: _reader(t.english(key), ())
        for key in t.english_keys("rule_phrase.")
        if not key.endswith("_sep") and ("{" in t.english(key)) != fixed and t.has(key)
    }

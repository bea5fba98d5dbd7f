"""The reading grade of the English a patient reads: pages (web/locales/en.toml) and SMS texts
(messaging/templates/en.toml), per catalogue section and overall (issue 22: grade 6 or lower).

Why our own Flesch-Kincaid and not a library: `textstat` (PyPI) looks syllables up in NLTK's CMU
dictionary, which it downloads at first use; a test must not depend on the network. The formula is
the published one (Kincaid et al., 1975):

    grade = 0.39 * words/sentences + 11.8 * syllables/words - 15.59

Syllables come from the usual vowel-group rule (a silent final "e", "-es" and "-ed" dropped, a final
"-le" kept), which is within a syllable of a dictionary on nearly every word these texts use.

A grade of one short text is noise (one long word in a three-word label is "grade 12"), so a
section is measured as one passage: all its texts, each at least one sentence; and again over its
full sentences only, so a page of short buttons cannot hide one long sentence. `{placeholders}` get
a typical value first (PLACEHOLDERS), so "{clinic}: ..." reads as people see it; links and numbers
are left out, being read as such rather than as words.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "web" / "locales" / "en.toml"
SMS = ROOT / "messaging" / "templates" / "en.toml"
LIMIT = 6.0

# The page sections a patient reads, and why; every other section is for staff (staff.*, the
# onboarding, class, prescribing and report pages, the coach's console) and is not measured here.
# A "section.key" entry measures only that key of a section staff pages share; it is measured with
# the section GROUPS names (the check-in's words are in [warn] and [checkin], on one screen).
PATIENT_PAGES: dict[str, str] = {
    "app": "the header and skip link on every page, the patient's too",
    "login.patients_hint": "the one line of the sign-in page meant for patients",
    "join": "the page a patient's join link opens",
    "me": "the patient's home page: their classes",
    "error": "the error pages a patient can land on (a bad or old link)",
    "room": "the class room: device check, lobby, controls and status",
    "hr": "the heart-rate tile in the class room",
    "cue": "the cues during a class",
    "borg": "the effort scale a patient taps in class",
    "me_schedule": "the classes as a plan on the home page",
    "patient_room": "the class room's own words (patient-room.js)",
    "warn.checkin_title": "the temperature check-in on the home page",
    "warn.checkin_text": "the temperature check-in on the home page",
    "warn.checkin_thanks": "the temperature check-in on the home page",
    "warn.checkin_bad": "the temperature check-in on the home page",
    "checkin": "the temperature check-in's label",
    "rule.hold": "why there is no exercise today, on the patient's home session page",
    "home_session": "today's session at home",
    "home_session.borg": "the effort scale after a home session",
    "home_session.symptom": "the symptoms a patient ticks after a home session",
    "voice": "the phone dial-in: prompts a patient hears, and the dial-in hint on the page",
}
GROUPS = {"warn": "checkin", "login": "login"}

# Every SMS text goes to a patient. Lists of names (days, months, languages) are patient-facing but
# not graded alone: a lone "Wednesday" is "grade 13" and has no plainer word. They are graded where
# a text uses them (the placeholders below are filled with them).
NAME_LISTS = {
    "pages": ("language", "weekday"),
    "sms": ("weekday", "month", "on_day", "daily_label"),
}

# Typical values for each placeholder, as the patient would see them filled in.
PLACEHOLDERS: dict[str, str] = {
    "name": "Maria Lopez",
    "first_name": "Maria",
    "when": "today at 10:00 AM",
    "minutes": "30",
    "done": "2",
    "prescribed": "3",
    "planned": "30",
    "percent": "80",
    "date": "02 Dec",
    "message": "the camera is in use",
    "low": "100",
    "high": "120",
    "clinic": "Hope Clinic",
    "clinic_phone": "555-0100",
    "emergency": "911",
    "phone": "555-0100",
    "number": "555-0100",
    "pin": "4321",
    "time": "on Monday at 10:00 AM",
    "end": "10:45",  # a class's end and its room's closing, as clock times
    "until": "11:15",
    "was": "Monday, March 2 at 10:00 AM",
    "weekday": "Monday",
    "month": "March",
    "day": "2",
    "link": "https://example.org/j/abc",
    "activity": "a 30-minute walk",
    "effort": "you can talk but not sing",
    "value": "12",
    "values": "pulse 62, steps 5400",
    "n": "5",
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_URL = re.compile(r"https?://\S+")
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
_VOWELS = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Grade:
    section: str
    texts: int
    sentences: int
    words: int
    syllables: int

    @property
    def grade(self) -> float:
        if not self.words:
            return 0.0
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59


def syllables(word: str) -> int:
    """Syllables of one English word by the vowel-group rule; a hyphenated word sums its parts."""
    parts = [p for p in word.lower().split("-") if p]
    return sum(_part_syllables(p) for p in parts) or 1


def _part_syllables(word: str) -> int:
    word = re.sub(r"[^a-z]", "", word)
    if len(word) <= 3:
        return 1
    if (word.endswith("es") and not word.endswith(("ses", "zes", "ces", "ges", "xes", "shes"))) or (
        word.endswith("ed") and not word.endswith(("ted", "ded"))
    ):
        word = word[:-2]
    elif word.endswith("e") and not word.endswith("le"):
        word = word[:-1]
    return max(1, len(_VOWELS.findall(word)))


def fill(text: str) -> str:
    """The text as a patient reads it: placeholders filled, links and numbers left out."""

    def value(found: re.Match[str]) -> str:
        key = found.group(1)
        if key not in PLACEHOLDERS:
            raise KeyError(f"no typical value for {{{key}}}: add one to PLACEHOLDERS")
        return PLACEHOLDERS[key]

    return _URL.sub("", _PLACEHOLDER.sub(value, text))


def is_sentence(text: str) -> bool:
    """A full sentence (or more), not a label: it ends as a sentence does."""
    return bool(_SENTENCE_END.search(fill(text).rstrip() + " "))


def measure(section: str, texts: list[str]) -> Grade:
    sentences = words = syllable_count = 0
    for text in texts:
        filled = fill(text)
        found = _WORD.findall(filled)
        if not found:
            continue
        words += len(found)
        syllable_count += sum(syllables(w) for w in found)
        # A heading or a button label without a full stop is a sentence of its own too.
        sentences += sum(1 for part in _SENTENCE_END.split(filled) if _WORD.search(part))
    return Grade(section, len(texts), max(sentences, 1), words, syllable_count)


def _strings(table: dict[str, object]) -> list[str]:
    return [v for v in table.values() if isinstance(v, str) and v.strip()]


def _table(catalogue: dict[str, object], dotted: str) -> dict[str, object]:
    node: object = catalogue
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"no section {dotted}")
        node = node[part]
    if not isinstance(node, dict):
        raise KeyError(f"{dotted} is not a section")
    return node


def page_sections(pages: Path = PAGES) -> dict[str, list[str]]:
    """The patient-facing page texts by section (a "section.key" entry joins its section)."""
    catalogue = tomllib.loads(pages.read_text())
    sections: dict[str, list[str]] = {}
    for entry in PATIENT_PAGES:
        try:
            table = _table(catalogue, entry)
            texts = list(table.values())
            name = entry
        except KeyError:
            parent, _, key = entry.rpartition(".")
            texts, name = [_table(catalogue, parent)[key]], GROUPS.get(parent, parent)
        sections.setdefault(f"pages:{name}", []).extend(
            t for t in texts if isinstance(t, str) and t.strip()
        )
    return sections


def sms_sections(sms: Path = SMS) -> dict[str, list[str]]:
    catalogue = tomllib.loads(sms.read_text())
    return {
        f"sms:{name}": _strings(table)
        for name, table in catalogue.items()
        if isinstance(table, dict) and name not in NAME_LISTS["sms"]
    }


@dataclass(frozen=True)
class SectionGrade:
    """A section's grade over all its texts, and over its full sentences only (labels left out:
    a page of short buttons would otherwise hide one long sentence)."""

    every_text: Grade
    sentences: Grade

    @property
    def worst(self) -> float:
        return max(self.every_text.grade, self.sentences.grade)


def _section(name: str, texts: list[str]) -> SectionGrade:
    return SectionGrade(measure(name, texts), measure(name, [t for t in texts if is_sentence(t)]))


def grades(pages: Path = PAGES, sms: Path = SMS) -> tuple[list[SectionGrade], SectionGrade]:
    """(per section, overall) for every patient-facing section."""
    sections = {**page_sections(pages), **sms_sections(sms)}
    per_section = [_section(name, texts) for name, texts in sections.items()]
    overall = _section("overall", [t for texts in sections.values() for t in texts])
    return per_section, overall


def report(per_section: list[SectionGrade], overall: SectionGrade) -> str:
    lines = [f"{'section':28} {'texts':>5} {'words':>5} {'grade':>6} {'sentences':>9}"]
    for g in [*per_section, overall]:
        mark = "  over" if g.worst > LIMIT else ""
        every, only = g.every_text, g.sentences
        lines.append(
            f"{every.section:28} {every.texts:5d} {every.words:5d} {every.grade:6.1f}"
            f" {only.grade:9.1f}{mark}"
        )
    return "\n".join(lines)


def hardest(count: int, pages: Path = PAGES, sms: Path = SMS) -> list[tuple[float, str, str]]:
    """The `count` full sentences with the highest grade alone: where to start rewording."""
    sections = {**page_sections(pages), **sms_sections(sms)}
    rows = [
        (measure(name, [text]).grade, name, text)
        for name, texts in sections.items()
        for text in texts
        if is_sentence(text)
    ]
    return sorted(rows, reverse=True)[:count]

"""A session the coach logs for a patient (they exercised with the coach on the phone, in the
clinic, or told them so): read from a form or a JSON body, checked, and refused field by field.

The same input comes as form text ("30") or JSON values (30, "30"); a boolean or a fraction is
not a number of minutes. A refusal names the field and a message key of the `session_log.error`
catalogue section, so the page and the API say it in the reader's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from coach.adherence import SCORE_RANGES
from coach.patients import has_control_characters

FIELDS = ("date", "minutes", "rpe", "note")
MINUTES_RANGE = (1, 300)  # five hours: past that a number is a typing slip, not a session
RPE_RANGE = SCORE_RANGES["rpe"]  # Borg 6-20
NOTE_MAX = 500
MAX_DAYS_BACK = 366  # a log is for the recent past; a date years back is a slip of the keyboard


class SessionEntryError(ValueError):
    """`field` at fault; `key` is the message in the catalogues, `values` what it names."""

    def __init__(self, field: str, key: str, **values: object) -> None:
        super().__init__(f"{field}: {key}")
        self.field = field
        self.key = f"session_log.error.{key}"
        self.values = values


@dataclass(frozen=True)
class SessionEntry:
    day: date  # the patient's own calendar day
    minutes: int
    rpe: int | None = None
    note: str | None = None


def _whole_number(raw: object, name: str, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise SessionEntryError(name, "whole_number", low=low, high=high)
    text = str(raw).strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 6:
        raise SessionEntryError(name, "whole_number", low=low, high=high)
    value = int(text)
    if not low <= value <= high:
        raise SessionEntryError(name, "out_of_range", low=low, high=high)
    return value


def _day(raw: object, today: date) -> date:
    if not isinstance(raw, str) or len(raw.strip()) != 10:
        raise SessionEntryError("date", "date_format")
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise SessionEntryError("date", "date_format") from None
    if day > today:
        raise SessionEntryError("date", "date_future", today=today.isoformat())
    if day < today - timedelta(days=MAX_DAYS_BACK):
        raise SessionEntryError("date", "date_too_old")
    return day


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_entry(raw: Mapping[str, object], today: date) -> SessionEntry:
    """Check a logged session; `today` is the patient's local day (no session in the future)."""
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise SessionEntryError("form", "unknown_field", name=unknown[0][:60])
    if _blank(raw.get("date")):
        raise SessionEntryError("date", "date_missing")
    day = _day(raw.get("date"), today)
    if _blank(raw.get("minutes")):
        raise SessionEntryError("minutes", "minutes_missing")
    minutes = _whole_number(raw.get("minutes"), "minutes", *MINUTES_RANGE)
    rpe = None if _blank(raw.get("rpe")) else _whole_number(raw.get("rpe"), "rpe", *RPE_RANGE)
    note = raw.get("note")
    if _blank(note):
        note = None
    elif not isinstance(note, str):
        raise SessionEntryError("note", "note_text")
    elif len(note) > NOTE_MAX:
        raise SessionEntryError("note", "note_long", limit=NOTE_MAX)
    elif has_control_characters(note):
        raise SessionEntryError("note", "note_control")
    return SessionEntry(day, minutes, rpe, note.strip() if note else None)

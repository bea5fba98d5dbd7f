"""Functional assessments a coach records (6-minute walk, grip, sit-to-stand, up-and-go,
FACIT-Fatigue, resting HR): checking an entry, storing it, and feeding the latest into a profile.

Each kind maps to one profile field (`assessments.*`, or `vitals.resting_hr`) and accepts exactly
the range that field accepts, so a recorded value can always go into a draft's profile. A
measurement is dated by the patient's local calendar day and stored at local noon, in UTC, so that
it reads as the same day in the patient's time zone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from coach.models import Assessment

EARLIEST = date(2000, 1, 1)  # older dates are typing mistakes, not measurements
NOTE_MAX = 500


@dataclass(frozen=True)
class Kind:
    kind: str
    label: str
    unit: str
    lo: float
    hi: float
    integer: bool
    section: str  # where it goes in a profile: `assessments` or `vitals`
    key: str


KINDS: dict[str, Kind] = {
    k.kind: k
    for k in (
        Kind("six_minute_walk_m", "6-minute walk", "m", 0, 1200, False, "assessments",
             "six_minute_walk_m"),
        Kind("grip_strength_kg", "Grip strength", "kg", 0, 100, False, "assessments",
             "grip_strength_kg"),
        Kind("sit_to_stand_30s", "30-s sit-to-stand", "stands", 0, 60, True, "assessments",
             "sit_to_stand_30s"),
        Kind("timed_up_and_go_s", "Timed up-and-go", "s", 1, 300, False, "assessments",
             "timed_up_and_go_s"),
        Kind("facit_fatigue", "FACIT-Fatigue", "points (0-52)", 0, 52, False, "assessments",
             "facit_fatigue"),
        Kind("resting_hr", "Resting heart rate", "bpm", 25, 200, False, "vitals", "resting_hr"),
    )
}  # fmt: skip


class AssessmentInputError(ValueError):
    """`field` is the form field at fault: kind, value, measured_on or note."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"AssessmentInputError({self.field!r}, {self.message!r})"


@dataclass(frozen=True)
class Entry:
    kind: str
    value: float
    measured_on: date
    note: str | None


def local_today(now: datetime, time_zone: str) -> date:
    return now.astimezone(ZoneInfo(time_zone)).date()


def parse_entry(raw: Mapping[str, object], today: date) -> Entry:
    """Check a submitted assessment; `today` is the latest date allowed (no future measurements)."""
    kind_name = raw.get("kind")
    if not isinstance(kind_name, str) or kind_name not in KINDS:
        raise AssessmentInputError("kind", f"must be one of {', '.join(KINDS)}")
    kind = KINDS[kind_name]
    value = _number(raw.get("value"), kind)
    measured_on = _day(raw.get("measured_on"), today)
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        raise AssessmentInputError("note", "must be text")
    note = (note or "").strip() or None
    if note is not None:
        if len(note) > NOTE_MAX:
            raise AssessmentInputError("note", f"must be at most {NOTE_MAX} characters")
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in note):
            raise AssessmentInputError("note", "must not contain control characters")
    return Entry(kind_name, value, measured_on, note)


def _number(raw: object, kind: Kind) -> float:
    what = "a whole number" if kind.integer else "a number"
    if not isinstance(raw, str) or not raw.strip():
        raise AssessmentInputError("value", f"is required: {what} of {kind.unit}")
    try:
        value = float(raw.strip())
    except ValueError:
        raise AssessmentInputError("value", f"must be {what}, got {raw.strip()[:20]!r}") from None
    if not math.isfinite(value):
        raise AssessmentInputError("value", f"must be {what}")
    if kind.integer and not value.is_integer():
        raise AssessmentInputError("value", f"must be {what}, got {raw.strip()[:20]}")
    if not kind.lo <= value <= kind.hi:
        low, high = _show(kind.lo), _show(kind.hi)
        raise AssessmentInputError(
            "value", f"{kind.label} must be between {low} and {high} {kind.unit}"
        )
    return value


def _day(raw: object, today: date) -> date:
    if not isinstance(raw, str) or not raw.strip():
        raise AssessmentInputError("measured_on", "is required (YYYY-MM-DD)")
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise AssessmentInputError("measured_on", "must be a date as YYYY-MM-DD") from None
    if day > today:
        raise AssessmentInputError("measured_on", f"must not be in the future (today is {today})")
    if day < EARLIEST:
        raise AssessmentInputError("measured_on", f"must not be before {EARLIEST}")
    return day


def _show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def record(
    session: Session, patient_id: int, entry: Entry, time_zone: str, staff_id: int | None
) -> Assessment:
    noon = datetime.combine(entry.measured_on, time(12), ZoneInfo(time_zone))
    row = Assessment(
        patient_id=patient_id,
        kind=entry.kind,
        value=entry.value,
        measured_at=noon.astimezone(ZoneInfo("UTC")),
        recorded_by=staff_id,
        note=entry.note,
    )
    session.add(row)
    session.flush()
    return row


def history(session: Session, patient_id: int, per_kind: int = 200) -> dict[str, list[Assessment]]:
    """Each kind's measurements, oldest first (the latest `per_kind` of them)."""
    result: dict[str, list[Assessment]] = {}
    for kind in KINDS:
        rows = session.exec(
            select(Assessment)
            .where(Assessment.patient_id == patient_id, Assessment.kind == kind)
            .order_by(col(Assessment.measured_at).desc(), col(Assessment.id).desc())
            .limit(per_kind)
        ).all()
        result[kind] = list(reversed(rows))
    return result


def latest(session: Session, patient_id: int) -> dict[str, Assessment]:
    """The most recent measurement of each kind that has one."""
    found: dict[str, Assessment] = {}
    for kind in KINDS:
        row = session.exec(
            select(Assessment)
            .where(Assessment.patient_id == patient_id, Assessment.kind == kind)
            .order_by(col(Assessment.measured_at).desc(), col(Assessment.id).desc())
        ).first()
        if row is not None:
            found[kind] = row
    return found


def between(
    session: Session, patient_id: int, kind: str, start: datetime, end: datetime
) -> list[Assessment]:
    """Measurements of one kind with start <= measured_at < end, oldest first."""
    query = (
        select(Assessment)
        .where(Assessment.patient_id == patient_id, Assessment.kind == kind)
        .where(col(Assessment.measured_at) >= start, col(Assessment.measured_at) < end)
        .order_by(col(Assessment.measured_at), col(Assessment.id))
    )
    return list(session.exec(query))


def merge_into_profile(profile: Mapping[str, Any], values: Mapping[str, float]) -> dict[str, Any]:
    """A copy of a profile's JSON with recorded values (kind -> value) in their profile fields.

    Recorded measurements win over what the profile form holds: they are dated, and they are what
    the coach measured last. Whole numbers go in as ints (the profile parser wants some as ints).
    """
    merged = {key: (dict(value) if isinstance(value, dict) else value)
              for key, value in profile.items()}  # fmt: skip
    for name, value in values.items():
        kind = KINDS[name]
        section = merged.get(kind.section)
        section = dict(section) if isinstance(section, dict) else {}
        section[kind.key] = int(value) if kind.integer or float(value).is_integer() else value
        merged[kind.section] = section
    return merged


def day_of(row: Assessment, time_zone: str) -> date:
    return row.measured_at.astimezone(ZoneInfo(time_zone)).date()


def week_bounds(week_start: date, time_zone: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of seven local days from `week_start`."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(week_start, time(), zone)
    end = datetime.combine(week_start + timedelta(days=7), time(), zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))

"""Daily data: resting heart rate, steps and body temperature per patient and local date.

Whatever brings them (a device's JSON, FHIR Observations, a coach's CSV upload, an SMS such as
"pulse 72"), each value passes the same checks (`check_entry`) and is stored by `store`: one row per
patient and local day, each measure written once. A value sent again for a measure that day already
has is a duplicate and changes nothing (the first report stands, as heart-rate ingest keeps the
first reading of a millisecond). A value is `{"date": "YYYY-MM-DD", "resting_hr": 30..220,
"steps": 0..100000, "temp_c": 34.0..43.0, "infusion": true|false}` with at least one measure or
`"infusion": true` (docs/daily.md). An infusion (treatment) day is a mark on the patient's day, set
once by whichever route says so first and never taken back by another: the detectors read it so
that a treatment's usual bump is not taken for an illness.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Column, Field, Session, SQLModel, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from coach.database import dialect_insert
from coach.input_check import BatchInvalid
from coach.models import utcnow

MEASURES = ("resting_hr", "steps", "temp_c")
RESTING_HR = (30, 220)
STEPS = (0, 100_000)
TEMP_C = (34.0, 43.0)
MAX_AGE_DAYS = 90  # older data says nothing about how the patient is now
MAX_ENTRIES = 400  # per request: a year of days and some room
ENTRY_FIELDS = frozenset({"date", *MEASURES, "infusion"})
SOURCES = ("api", "fhir", "csv", "sms", "checkin", "demo", "coach")
INFUSION_AHEAD_DAYS = 90  # a coach may mark the treatment days planned this far ahead


class DailyReading(SQLModel, table=True):
    __tablename__ = "daily_reading"
    __table_args__ = (sa.UniqueConstraint("patient_id", "day", name="uq_daily_reading_day"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    day: date  # the patient's local calendar date
    resting_hr: int | None = None
    steps: int | None = None
    temp_c: float | None = None
    infusion: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    source: str = Field(max_length=16)  # where the day's first value came from
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class EntryInvalid(ValueError):
    """One day's values are unusable; the message is the reason given back to the sender."""


@dataclass(frozen=True)
class DayValues:
    day: date
    resting_hr: int | None = None
    steps: int | None = None
    temp_c: float | None = None
    infusion: bool = False  # a treatment day (never a measure: False leaves a mark as it was)

    def measures(self) -> dict[str, int | float]:
        return {m: v for m in MEASURES if (v := getattr(self, m)) is not None}


@dataclass(frozen=True)
class Rejection:
    index: int
    date: object  # as sent, so the sender can match it
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "date": self.date, "reason": self.reason}


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EntryInvalid(f"{name}: must be a number")
    return float(value)


def _whole_in(value: object, name: str, bounds: tuple[int, int], what: str) -> int:
    number = _number(value, name)
    if not number.is_integer():
        raise EntryInvalid(f"{name}: must be a whole number{what}")
    low, high = bounds
    if not low <= number <= high:
        raise EntryInvalid(f"{name}: {int(number)} is outside {low}-{high}")
    return int(number)


def check_resting_hr(value: object) -> int:
    return _whole_in(value, "resting_hr", RESTING_HR, " of beats a minute")


def check_steps(value: object) -> int:
    return _whole_in(value, "steps", STEPS, "")


def check_temp_c(value: object) -> float:
    number = _number(value, "temp_c")
    low, high = TEMP_C
    if not low <= number <= high:
        raise EntryInvalid(f"temp_c: {number:g} is outside {low:g}-{high:g} °C")
    return round(number, 1)


CHECKS = {"resting_hr": check_resting_hr, "steps": check_steps, "temp_c": check_temp_c}


def check_day(value: object, today: date) -> date:
    """A local date no later than the patient's today and at most MAX_AGE_DAYS before it."""
    if not isinstance(value, str) or len(value) != 10:
        raise EntryInvalid("date: must be a date like 2026-11-20")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise EntryInvalid("date: must be a date like 2026-11-20") from None
    if day > today:
        raise EntryInvalid("date: in the future for this patient")
    if day < today - timedelta(days=MAX_AGE_DAYS):
        raise EntryInvalid(f"date: more than {MAX_AGE_DAYS} days ago")
    return day


def check_entry(raw: object, today: date) -> DayValues:
    if not isinstance(raw, Mapping):
        raise EntryInvalid("a day must be an object")
    unknown = sorted(str(k) for k in raw if k not in ENTRY_FIELDS)
    if unknown:
        raise EntryInvalid(f"unknown field {unknown[0]!r}")
    if "date" not in raw:
        raise EntryInvalid("date: missing")
    day = check_day(raw["date"], today)
    values = {m: CHECKS[m](raw[m]) for m in MEASURES if raw.get(m) is not None}
    infusion = check_infusion(raw.get("infusion", False))
    if not values and not infusion:
        raise EntryInvalid("give at least one of resting_hr, steps, temp_c, or infusion: true")
    return DayValues(day, infusion=infusion, **values)  # type: ignore[arg-type]


def check_infusion(value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise EntryInvalid("infusion: must be true or false")
    return value


def check_infusion_day(value: object, today: date) -> date:
    """A treatment date a coach marks: at most MAX_AGE_DAYS back, INFUSION_AHEAD_DAYS ahead."""
    if not isinstance(value, str) or len(value.strip()) != 10:
        raise EntryInvalid(f"{str(value)[:20]!r}: must be a date like 2026-11-20")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise EntryInvalid(f"{value.strip()!r}: must be a date like 2026-11-20") from None
    if day > today + timedelta(days=INFUSION_AHEAD_DAYS):
        raise EntryInvalid(f"{day.isoformat()}: more than {INFUSION_AHEAD_DAYS} days ahead")
    if day < today - timedelta(days=MAX_AGE_DAYS):
        raise EntryInvalid(f"{day.isoformat()}: more than {MAX_AGE_DAYS} days ago")
    return day


def days_list(body: Mapping[str, Any]) -> list[Any]:
    """The `days` array of a request body, or BatchInvalid."""
    unknown = sorted(str(k) for k in body if k != "days")
    if unknown:
        raise BatchInvalid(f"unknown field {unknown[0]!r}", field=unknown[0])
    days = body.get("days")
    if not isinstance(days, list):
        raise BatchInvalid("days: must be a list of days", field="days")
    if not days:
        raise BatchInvalid("days: empty", field="days")
    if len(days) > MAX_ENTRIES:
        raise BatchInvalid(
            f"days: {len(days)} in one request; send at most {MAX_ENTRIES}", field="days"
        )
    return days


def check_batch(
    raws: Sequence[object], today: date
) -> tuple[list[tuple[int, DayValues]], list[Rejection]]:
    """Each day accepted (with its index) or rejected with a reason; a date given twice in one
    request is accepted once."""
    accepted: list[tuple[int, DayValues]] = []
    rejected: list[Rejection] = []
    seen: set[date] = set()
    for index, raw in enumerate(raws):
        sent = raw.get("date") if isinstance(raw, Mapping) else None
        shown = sent if isinstance(sent, str) else None
        try:
            values = check_entry(raw, today)
        except EntryInvalid as exc:
            rejected.append(Rejection(index, shown, str(exc)))
            continue
        if values.day in seen:
            rejected.append(Rejection(index, shown, "duplicate: same date as another day"))
            continue
        seen.add(values.day)
        accepted.append((index, values))
    return accepted, rejected


def store(
    session: Session, patient_id: int, values: DayValues, source: str, now: datetime
) -> tuple[list[str], list[str]]:
    """(measures stored, measures refused as already stored that day). Safe with several
    processes storing the same day at once: each measure is written by one conditional update."""
    table: Any = DailyReading.__table__  # type: ignore[attr-defined]
    session.execute(
        dialect_insert(session)(table)
        .values(patient_id=patient_id, day=values.day, source=source, received_at=now)
        .on_conflict_do_nothing(index_elements=["patient_id", "day"])
    )
    stored: list[str] = []
    refused: list[str] = []
    for measure, value in values.measures().items():
        result: Any = session.execute(
            sa.update(table)
            .where(table.c.patient_id == patient_id, table.c.day == values.day)
            .where(table.c[measure].is_(None))
            .values({measure: value})
        )
        (stored if result.rowcount else refused).append(measure)
    if values.infusion:  # a mark, not a measure: saying it again is no duplicate
        session.execute(
            sa.update(table)
            .where(table.c.patient_id == patient_id, table.c.day == values.day)
            .values(infusion=True)
        )
        stored.append("infusion")
    session.expire_all()
    return stored, refused


MAX_INFUSION_DATES = 100  # one form: a year of weekly treatments and room


def check_infusion_days(text: str, today: date) -> tuple[list[date], list[str]]:
    """The dates a coach typed (commas or spaces between), each checked, or the reasons."""
    given = [part for part in text.replace(",", " ").replace(";", " ").split() if part]
    if not given:
        return [], ["no dates given"]
    if len(given) > MAX_INFUSION_DATES:
        return [], [f"{len(given)} dates; give at most {MAX_INFUSION_DATES}"]
    days: list[date] = []
    problems: list[str] = []
    for part in given:
        try:
            days.append(check_infusion_day(part, today))
        except EntryInvalid as exc:
            problems.append(str(exc))
    return sorted(set(days)), problems


def infusion_days(session: Session, patient_id: int, first: date, last: date) -> list[date]:
    query = (
        select(col(DailyReading.day))
        .where(DailyReading.patient_id == patient_id, col(DailyReading.infusion))
        .where(col(DailyReading.day) >= first, col(DailyReading.day) <= last)
        .order_by(col(DailyReading.day))
    )
    return list(session.exec(query))


def readings_between(
    session: Session, patient_id: int, first: date, last: date
) -> list[DailyReading]:
    query = (
        select(DailyReading)
        .where(DailyReading.patient_id == patient_id)
        .where(col(DailyReading.day) >= first, col(DailyReading.day) <= last)
        .order_by(col(DailyReading.day))
    )
    return list(session.exec(query))

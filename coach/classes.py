"""Class series and their occurrences: wall-clock times in the coach's zone, stored in UTC."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, select

from coach.models import ClassOccurrence, ClassSeries, Enrollment, Patient, utcnow
from coach.patients import has_control_characters, valid_time_zone

HORIZON = timedelta(days=84)
MAX_OCCURRENCES = 200
SCHEDULED, CANCELLED, REPLACED = "scheduled", "cancelled", "replaced"  # occurrence statuses


@dataclass(frozen=True)
class RoomWindow:
    """When a class's room is open: from a while before the class to a while after its end."""

    opens_before: timedelta
    closes_after: timedelta


class ClassInputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _int_in(data: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClassInputError(key, f"must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ClassInputError(key, f"must be between {low} and {high}")
    return value


# A class belongs to this century: a start in year 1 cost the planner seconds on every pass, and
# one in year 9999 ran off the end of the calendar when its end time was worked out.
FIRST_YEAR, LAST_YEAR = 2000, 2099


def parse_local_start(raw: object, field: str) -> datetime:
    """A class's local start time as sent: ISO 8601 without an offset, in this century."""
    try:
        start = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        start = None
    if start is None or start.tzinfo is not None:
        raise ClassInputError(
            field, "must be a local date and time like 2026-12-01T10:00 (no offset)"
        )
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise ClassInputError(field, f"must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    return start


def parse_class_input(data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ClassInputError("body", "must be a JSON object")
    allowed = {
        "title",
        "description",
        "time_zone",
        "first_start_local",
        "duration_minutes",
        "rrule",
        "capacity",
        "auto_admit",
    }
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ClassInputError(unknown[0], "unknown field")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise ClassInputError("title", "is required text of at most 200 characters")
    if has_control_characters(title):
        raise ClassInputError("title", "must not contain control characters")
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        raise ClassInputError("description", "must be text of at most 2000 characters")
    if has_control_characters(description, allowed="\t\n\r"):
        raise ClassInputError("description", "must not contain control characters")
    zone = data.get("time_zone")
    if not isinstance(zone, str) or not valid_time_zone(zone):
        raise ClassInputError("time_zone", f"unknown IANA time zone {zone!r}")
    start = parse_local_start(data.get("first_start_local"), "first_start_local")
    rule = data.get("rrule")
    if rule is not None:
        if not isinstance(rule, str) or len(rule) > 500 or has_control_characters(rule):
            raise ClassInputError("rrule", "must be an iCalendar RRULE string")
        rule = _check_rrule(rule, start)
    auto_admit = data.get("auto_admit", False)
    if not isinstance(auto_admit, bool):
        raise ClassInputError("auto_admit", "must be true or false")
    return {
        "title": title.strip(),
        "description": description,
        "time_zone": zone,
        "first_start_local": start,
        "rrule": rule,
        "auto_admit": auto_admit,
        "duration_minutes": _int_in(data, "duration_minutes", 45, 5, 480),
        "capacity": _int_in(data, "capacity", 12, 1, 100),
    }


_RULE_PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "WKST"})


def _check_rrule(rule: str, start: datetime) -> str:
    """One RRULE (an optional `RRULE:` prefix is dropped) that is sure to yield classes.

    dateutil searches up to the year 9999 for a rule that never matches (seconds of CPU), so the
    grammar is the one classes need, in which every rule matches: daily, weekly or monthly, on
    weekdays or (monthly) on days 1-28 or the last 1-28 days, with an interval, count or end."""
    body = rule.strip().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for item in body.split(";"):
        name, sep, value = item.partition("=")
        if not sep or not value or name.upper() in parts:
            raise ClassInputError("rrule", f"not a valid RRULE part: {item[:40]!r}")
        parts[name.upper()] = value.upper()
    unknown = sorted(set(parts) - _RULE_PARTS)
    if unknown:
        raise ClassInputError("rrule", f"{unknown[0][:20]} is not supported for classes")
    if parts.get("UNTIL", "").endswith("Z"):
        raise ClassInputError("rrule", "UNTIL is a local time in the class's zone, without Z")
    freq = parts.get("FREQ")
    if freq not in ("DAILY", "WEEKLY", "MONTHLY"):
        raise ClassInputError("rrule", "FREQ must be DAILY, WEEKLY or MONTHLY")
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= 52:
        raise ClassInputError("rrule", "INTERVAL must be a whole number from 1 to 52")
    if freq == "DAILY" and "BYDAY" in parts and int(interval) % 7 == 0:
        raise ClassInputError("rrule", "use FREQ=WEEKLY for a class every few weeks")
    if "BYMONTHDAY" in parts:
        days = parts["BYMONTHDAY"].split(",")
        if freq != "MONTHLY" or not all(d.lstrip("-").isdigit() for d in days):
            raise ClassInputError("rrule", "BYMONTHDAY goes with FREQ=MONTHLY")
        if not all(1 <= abs(int(d)) <= 28 for d in days):
            raise ClassInputError("rrule", "BYMONTHDAY must be 1 to 28, or -1 to -28")
    try:
        first = next(iter(rrulestr(body, dtstart=start)), None)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ClassInputError("rrule", f"not a valid RRULE: {exc}") from exc
    if first is None:
        raise ClassInputError("rrule", "the rule yields no class at all")
    return body


def occurrence_starts(
    series: ClassSeries, until: datetime, after: datetime | None = None
) -> list[datetime]:
    """UTC starts up to `until` (and after `after`, when given: a long-running series keeps
    producing classes); recurrence runs on wall-clock time so DST keeps the local hour."""
    zone = ZoneInfo(series.time_zone)
    if series.rrule:
        rule = rrulestr(series.rrule, dtstart=series.first_start_local)
        local_until = until.astimezone(zone).replace(tzinfo=None)
        # A day of margin: `after` is compared exactly in UTC below.
        local_after = (
            after.astimezone(zone).replace(tzinfo=None) - timedelta(days=1) if after else None
        )
        locals_: list[datetime] = []
        for start in rule:
            if start > local_until or len(locals_) >= MAX_OCCURRENCES:
                break
            if local_after is None or start > local_after:
                locals_.append(start)
    else:
        locals_ = [series.first_start_local]
    starts = [start.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")) for start in locals_]
    return [s for s in starts if after is None or s > after]


def create_series(
    session: Session, coach_id: int, values: Mapping[str, Any], now: datetime | None = None
) -> ClassSeries:
    series = ClassSeries(coach_id=coach_id, **values)
    session.add(series)
    session.flush()
    extend_occurrences(session, series, (now or utcnow()) + HORIZON)
    return series


def extend_occurrences(
    session: Session, series: ClassSeries, until: datetime, after: datetime | None = None
) -> list[ClassOccurrence]:
    """Create the occurrences up to `until` (only those starting after `after`, when given)."""
    assert series.id is not None
    existing = set(
        session.exec(
            select(ClassOccurrence.original_start).where(ClassOccurrence.series_id == series.id)
        )
    )
    length = timedelta(minutes=series.duration_minutes)
    created = []
    for start in occurrence_starts(series, until, after):
        if start not in existing:
            occurrence = ClassOccurrence(
                series_id=series.id, original_start=start, starts_at=start, ends_at=start + length
            )
            session.add(occurrence)
            created.append(occurrence)
    session.flush()
    return created


def occurrences(
    session: Session, series_id: int, after: datetime, limit: int = 20
) -> list[ClassOccurrence]:
    query = (
        select(ClassOccurrence)
        .where(ClassOccurrence.series_id == series_id, ClassOccurrence.ends_at > after)
        .where(ClassOccurrence.status != REPLACED)  # left behind when the series was moved
        .order_by(col(ClassOccurrence.starts_at))
        .limit(limit)
    )
    return list(session.exec(query))


def upcoming_for_series(
    session: Session,
    series_ids: list[int],
    after: datetime,
    limit: int = 20,
    with_cancelled: bool = False,
) -> list[tuple[ClassOccurrence, ClassSeries]]:
    """Occurrences ending after `after`, soonest first; `with_cancelled` keeps the cancelled
    ones too (a patient is told a class is off rather than finding it gone)."""
    if not series_ids:
        return []
    statuses = [SCHEDULED, CANCELLED] if with_cancelled else [SCHEDULED]
    query = (
        select(ClassOccurrence, ClassSeries)
        .join(ClassSeries, ClassSeries.id == ClassOccurrence.series_id)  # type: ignore[arg-type]
        .where(
            col(ClassOccurrence.series_id).in_(series_ids),
            ClassOccurrence.ends_at > after,
            col(ClassOccurrence.status).in_(statuses),
        )
        .order_by(col(ClassOccurrence.starts_at))
        .limit(limit)
    )
    return [(o, s) for o, s in session.exec(query)]


def enroll(
    session: Session, series: ClassSeries, patient: Patient, now: datetime | None = None
) -> Enrollment:
    """`now` is the enrollment date the reports count from (the caller's clock)."""
    existing = session.exec(
        select(Enrollment).where(
            Enrollment.series_id == series.id, Enrollment.patient_id == patient.id
        )
    ).first()
    if existing is not None:
        return existing
    if series.cancelled_at is not None:
        raise ClassInputError("class", "the class is cancelled")
    # Two enrollments at once must not both see the last free seat: a no-op write to the class row
    # first takes its row lock (PostgreSQL) or the database write lock (SQLite), so the second
    # waits until the first commits and then counts it.
    session.execute(
        sa_update(ClassSeries)
        .where(col(ClassSeries.id) == series.id)
        .values(capacity=ClassSeries.capacity)
    )
    count = len(session.exec(select(Enrollment.id).where(Enrollment.series_id == series.id)).all())
    if count >= series.capacity:
        raise ClassInputError("capacity", f"the class is full ({series.capacity})")
    assert series.id is not None and patient.id is not None
    enrollment = Enrollment(series_id=series.id, patient_id=patient.id, created_at=now or utcnow())
    session.add(enrollment)
    session.flush()
    return enrollment


def unenroll(session: Session, series_id: int, patient_id: int) -> bool:
    enrollment = session.exec(
        select(Enrollment).where(
            Enrollment.series_id == series_id, Enrollment.patient_id == patient_id
        )
    ).first()
    if enrollment is None:
        return False
    session.delete(enrollment)
    return True


def enrolled_patients(session: Session, series_id: int) -> list[Patient]:
    query = (
        select(Patient)
        .join(Enrollment, Enrollment.patient_id == Patient.id)  # type: ignore[arg-type]
        .where(Enrollment.series_id == series_id)
        .order_by(Patient.name)
    )
    return list(session.exec(query))


def patient_series_ids(session: Session, patient_id: int) -> list[int]:
    return list(
        session.exec(select(Enrollment.series_id).where(Enrollment.patient_id == patient_id))
    )

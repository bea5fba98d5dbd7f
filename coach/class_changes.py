"""Changing a class after it was planned: cancel or move one occurrence, or the whole series.

Past occurrences are history and never change. Each function returns the ids of the occurrences
it changed, so the caller can bring their reminders in step in the same transaction.

A series whose timing changes (start, rule, zone or length) is re-planned from now on: upcoming
occurrences that the new rule no longer produces become `replaced` (hidden from listings, kept for
anything that refers to them); ones it still produces keep any move or cancellation made to them,
as an iCalendar RECURRENCE-ID override would.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from coach.classes import (
    CANCELLED,
    HORIZON,
    REPLACED,
    SCHEDULED,
    ClassInputError,
    extend_occurrences,
    occurrence_starts,
    parse_class_input,
    parse_local_start,
)
from coach.models import ClassOccurrence, ClassSeries, Enrollment

TIMING = ("time_zone", "first_start_local", "rrule", "duration_minutes")


def series_input(series: ClassSeries) -> dict[str, Any]:
    """The series as class input, so a partial change is validated as a whole class."""
    return {
        "title": series.title,
        "description": series.description,
        "time_zone": series.time_zone,
        "first_start_local": series.first_start_local.isoformat(),
        "duration_minutes": series.duration_minutes,
        "rrule": series.rrule,
        "capacity": series.capacity,
        "auto_admit": series.auto_admit,
    }


def update_series(
    session: Session, series: ClassSeries, changes: Mapping[str, Any], now: datetime
) -> list[int]:
    """Apply a coach's changes; returns the ids of occurrences whose time or status changed."""
    if not isinstance(changes, Mapping) or not changes:
        raise ClassInputError("body", "send at least one field to change")
    if series.cancelled_at is not None:
        raise ClassInputError("class", "the class is cancelled")
    values = parse_class_input({**series_input(series), **changes})
    enrolled = len(
        session.exec(select(Enrollment.id).where(Enrollment.series_id == series.id)).all()
    )
    if values["capacity"] < enrolled:
        raise ClassInputError("capacity", f"{enrolled} patients are enrolled already")
    timing_changed = any(getattr(series, name) != values[name] for name in TIMING)
    for name, value in values.items():
        setattr(series, name, value)
    session.add(series)
    session.flush()
    return _replan_future(session, series, now) if timing_changed else []


def _future(session: Session, series_id: int, now: datetime) -> list[ClassOccurrence]:
    return list(
        session.exec(
            select(ClassOccurrence).where(
                ClassOccurrence.series_id == series_id, col(ClassOccurrence.starts_at) > now
            )
        )
    )


def _replan_future(session: Session, series: ClassSeries, now: datetime) -> list[int]:
    assert series.id is not None
    wanted = set(occurrence_starts(series, now + HORIZON, after=now))
    length = timedelta(minutes=series.duration_minutes)
    changed: list[int] = []
    for occurrence in _future(session, series.id, now):
        before = (occurrence.starts_at, occurrence.ends_at, occurrence.status)
        if occurrence.original_start not in wanted:
            if occurrence.status != REPLACED:
                occurrence.status = REPLACED
        elif occurrence.status == REPLACED:
            occurrence.status = SCHEDULED  # the series came back to this time
            occurrence.starts_at = occurrence.original_start
        occurrence.ends_at = occurrence.starts_at + length
        if (occurrence.starts_at, occurrence.ends_at, occurrence.status) != before:
            session.add(occurrence)
            assert occurrence.id is not None
            changed.append(occurrence.id)
    created = extend_occurrences(session, series, now + HORIZON, after=now)
    return changed + [o.id for o in created if o.id is not None]


def cancel_series(session: Session, series: ClassSeries, now: datetime) -> list[int]:
    """Cancel the class from now on; a cancelled class stays listed, marked cancelled."""
    assert series.id is not None
    if series.cancelled_at is None:
        series.cancelled_at = now
        session.add(series)
    changed = []
    for occurrence in _future(session, series.id, now):
        if occurrence.status == SCHEDULED:
            occurrence.status = CANCELLED
            session.add(occurrence)
            assert occurrence.id is not None
            changed.append(occurrence.id)
    session.flush()
    return changed


def _upcoming(occurrence: ClassOccurrence, now: datetime) -> None:
    if occurrence.status == REPLACED:
        raise ClassInputError("occurrence", "this occurrence is no longer part of the class")
    if occurrence.starts_at <= now:
        raise ClassInputError("occurrence", "this class has started or is over; it cannot change")


def cancel_occurrence(session: Session, occurrence: ClassOccurrence, now: datetime) -> list[int]:
    _upcoming(occurrence, now)
    if occurrence.status == CANCELLED:
        return []
    occurrence.status = CANCELLED
    session.add(occurrence)
    session.flush()
    assert occurrence.id is not None
    return [occurrence.id]


def parse_move(data: Mapping[str, Any]) -> datetime:
    unknown = sorted(set(data) - {"starts_local"})
    if unknown:
        raise ClassInputError(unknown[0], "unknown field")
    return parse_local_start(data.get("starts_local"), "starts_local")


def move_occurrence(
    session: Session,
    series: ClassSeries,
    occurrence: ClassOccurrence,
    starts_local: datetime,
    now: datetime,
) -> list[int]:
    """Move one occurrence to `starts_local` in the class's zone (a cancelled one comes back)."""
    _upcoming(occurrence, now)
    if series.cancelled_at is not None:
        raise ClassInputError("class", "the class is cancelled")
    starts_at = starts_local.replace(tzinfo=ZoneInfo(series.time_zone)).astimezone(ZoneInfo("UTC"))
    if starts_at <= now:
        raise ClassInputError("starts_local", "must be in the future")
    occurrence.starts_at = starts_at
    occurrence.ends_at = starts_at + timedelta(minutes=series.duration_minutes)
    occurrence.status = SCHEDULED
    session.add(occurrence)
    session.flush()
    assert occurrence.id is not None
    return [occurrence.id]


def exceptions(session: Session, series_id: int) -> list[ClassOccurrence]:
    """Occurrences that differ from the rule (cancelled or moved): a calendar's EXDATEs and
    RECURRENCE-ID overrides."""
    query = (
        select(ClassOccurrence)
        .where(ClassOccurrence.series_id == series_id, ClassOccurrence.status != REPLACED)
        .where(
            (col(ClassOccurrence.status) == CANCELLED)
            | (col(ClassOccurrence.starts_at) != col(ClassOccurrence.original_start))
        )
        .order_by(col(ClassOccurrence.original_start))
    )
    return list(session.exec(query))

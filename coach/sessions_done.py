"""Which days each patient did a session: the one definition of adherence that the progress
report, the program report and the weekly progression review all count from.

A patient did a session on a day of their own calendar (their time zone) when any of these shows
it, and a day counts once however many do:
- a session log marked done (`coach.adherence`): an SMS DONE, or a session the coach logged;
- a home session (`coach.home_sessions`, "Today's session" on the patient's page) finished with
  its main phase lasting as long as a live class needs for credit by heart rate (below);
- a live class whose video room they joined (the room's `class.join` event), on the day the
  class started where the patient lives;
- a live class they streamed heart rate in for a meaningful share of it: readings stored against
  the occurrence in at least `heart_rate_minutes_needed` distinct clock minutes.

Room joins and readings are the class report's attendance traces (coach.reports.activity); the
class report lists anyone with any trace, while a session counts for adherence only past the
heart-rate threshold (or with a room join).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coach.adherence import SessionLog
from coach.database import minute_of
from coach.home_sessions import HomeSession, finished_between
from coach.models import AuditEvent, ClassOccurrence, HeartRateSample, Patient
from coach.room_events import ROOM_JOIN, occurrence_of

# A live class counts by heart rate alone when readings cover half its scheduled minutes, or this
# many minutes, whichever is fewer: ten minutes is a real bout of exercise whatever the class's
# length, and a sensor that drops out now and then still leaves most minutes with a reading.
LIVE_SHARE_FOR_CREDIT = 0.5
LIVE_MINUTES_FOR_CREDIT = 10

# Any zone is within a day of UTC: widening a span of local days by this covers them in UTC.
_ZONE_SLACK = timedelta(days=1)


def heart_rate_minutes_needed(scheduled_minutes: float) -> int:
    """Minutes with a reading that make a class of `scheduled_minutes` count as done."""
    share = math.ceil(LIVE_SHARE_FOR_CREDIT * max(scheduled_minutes, 1))
    return max(1, min(LIVE_MINUTES_FOR_CREDIT, share))


def home_session_counts(row: HomeSession) -> bool:
    """A finished home session counts when its main phase lasted as long as a live class of its
    planned minutes needs: a few minutes before stopping is a try, not a session."""
    return row.main_minutes >= heart_rate_minutes_needed(row.planned_main_minutes)


def live_credit() -> dict[str, int]:
    """The heart-rate threshold as the report pages state it."""
    return {"percent": round(100 * LIVE_SHARE_FOR_CREDIT), "minutes": LIVE_MINUTES_FOR_CREDIT}


def done_days(
    session: Session,
    patients: Sequence[Patient],
    first: date | None = None,
    last: date | None = None,
) -> dict[int, set[date]]:
    """Each patient's days with a session done, from `first` to `last` (their local days, both
    included; None: no bound). Every patient in `patients` has an entry, empty or not."""
    zones = {p.id: p.time_zone for p in patients if p.id is not None}
    days: dict[int, set[date]] = {pid: set() for pid in zones}
    if not zones:
        return days
    ids = list(zones)
    for pid, day in _logged(session, ids, first, last):
        days[pid].add(day)
    for row in finished_between(session, ids, first, last):
        if home_session_counts(row):
            days[row.patient_id].add(row.day)
    joined = _room_joins(session, ids, first, last)
    streamed = _streamed(session, ids, first, last)
    classes = _classes(session, {occurrence for _, occurrence in joined | set(streamed)})
    for (pid, occurrence), covered in streamed.items():
        scheduled = classes[occurrence][1] if occurrence in classes else 0
        if covered >= heart_rate_minutes_needed(scheduled):
            joined.add((pid, occurrence))
    for pid, occurrence in joined:
        if occurrence in classes:
            days[pid].add(classes[occurrence][0].astimezone(ZoneInfo(zones[pid])).date())
    if first is not None or last is not None:
        low, high = first or date.min, last or date.max
        days = {pid: {d for d in found if low <= d <= high} for pid, found in days.items()}
    return days


def _utc_span(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC instants surely before `first` and after `last` began anywhere on Earth."""
    start = datetime.combine(first, time(), UTC) - _ZONE_SLACK if first else None
    end = datetime.combine(last, time(), UTC) + timedelta(days=1) + _ZONE_SLACK if last else None
    return start, end


def _logged(
    session: Session, ids: list[int], first: date | None, last: date | None
) -> Iterable[tuple[int, date]]:
    query = (
        select(SessionLog.patient_id, col(SessionLog.date))
        .where(col(SessionLog.patient_id).in_(ids), SessionLog.status == "done")
        .distinct()
    )
    if first is not None:
        query = query.where(col(SessionLog.date) >= first)
    if last is not None:
        query = query.where(col(SessionLog.date) <= last)
    return [(int(pid), day) for pid, day in session.exec(query)]


def _room_joins(
    session: Session, ids: list[int], first: date | None, last: date | None
) -> set[tuple[int, int]]:
    """(patient, occurrence) for every class room these patients joined."""
    query = (
        select(AuditEvent.patient_id, AuditEvent.detail)
        .where(AuditEvent.action == ROOM_JOIN, AuditEvent.actor_kind == "patient")
        .where(col(AuditEvent.patient_id).in_(ids))
    )
    start, end = _utc_span(first, last)
    if start is not None:  # a join comes a little before or during its class: a day's margin
        query = query.where(col(AuditEvent.at) >= start - _ZONE_SLACK)
    if end is not None:
        query = query.where(col(AuditEvent.at) < end + _ZONE_SLACK)
    found = set()
    for pid, detail in session.exec(query):
        occurrence = occurrence_of(detail)
        if pid is not None and occurrence is not None:
            found.add((int(pid), occurrence))
    return found


def _streamed(
    session: Session, ids: list[int], first: date | None, last: date | None
) -> dict[tuple[int, int], int]:
    """(patient, occurrence) -> minutes with a reading, for every class these patients streamed
    heart rate in."""
    minutes = sa.func.count(sa.distinct(minute_of(session, HeartRateSample.t)))
    query = (
        select(HeartRateSample.patient_id, HeartRateSample.occurrence_id, minutes)
        .join(ClassOccurrence, col(ClassOccurrence.id) == col(HeartRateSample.occurrence_id))
        .where(col(HeartRateSample.patient_id).in_(ids))
        .group_by(col(HeartRateSample.patient_id), col(HeartRateSample.occurrence_id))
    )
    start, end = _utc_span(first, last)
    # Readings belong to a class from 30 minutes before it to 30 after: bounding their times too
    # lets the (patient, time) index pick out the span instead of every reading of the patient.
    if start is not None:
        query = query.where(col(ClassOccurrence.starts_at) >= start)
        query = query.where(col(HeartRateSample.t) >= start - _ZONE_SLACK)
    if end is not None:
        query = query.where(col(ClassOccurrence.starts_at) < end)
        query = query.where(col(HeartRateSample.t) < end + _ZONE_SLACK)
    return {
        (int(pid), int(occurrence)): int(covered)
        for pid, occurrence, covered in session.exec(query)
        if occurrence is not None
    }


def _classes(session: Session, occurrence_ids: set[int]) -> dict[int, tuple[datetime, float]]:
    """Each occurrence's start and scheduled minutes."""
    if not occurrence_ids:
        return {}
    query = select(ClassOccurrence).where(col(ClassOccurrence.id).in_(sorted(occurrence_ids)))
    return {
        o.id: (_aware(o.starts_at), (o.ends_at - o.starts_at).total_seconds() / 60)
        for o in session.exec(query)
        if o.id is not None
    }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

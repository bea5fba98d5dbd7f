"""A coach's own text, planned for later instead of sent at once: for the patient's next morning
(issue 21: the warm message proposed for a patient drifting away goes now or then, one click
each), or for a day and time the coach chose on the patient's thread, in the patient's time.

It waits in the outbox like any planned text, so what decides a text at send time decides it
too: opt-out, consent and quiet hours. Stored as `manual`, as a text sent at once is.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coach.models import Patient
from scheduler import outbox
from scheduler.config import SchedulerConfig
from scheduler.models import CANCELLED, DROPPED, FAILED, PENDING, ScheduledMessage
from scheduler.outbox import Planned
from scheduler.quiet import place

PURPOSE = "text.manual"
MORNING = time(9, 30)  # the patient's local time: up, and before most classes
PENDING_AT_MOST = 3  # texts of the coach's waiting for one patient at once
NOT_SENT = (DROPPED, FAILED, CANCELLED)
SHOWN_NOT_SENT = timedelta(days=7)
# Further ahead, a planned word is more likely stale by the time it goes than useful; a programme
# reviews a patient's plan about every eight weeks.
PLAN_AHEAD_AT_MOST = timedelta(days=60)


class NotPlanned(Exception):
    """Why a text was not planned: "too_many" wait already, the time chosen has passed
    ("at_past") or is more than PLAN_AHEAD_AT_MOST ahead ("at_far")."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def next_morning(now: datetime, zone: str) -> datetime:
    """The first MORNING in the patient's time zone after `now`."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    morning = datetime.combine(today, MORNING, tz)
    if morning <= now:
        morning = datetime.combine(today + timedelta(days=1), MORNING, tz)
    return morning


def waiting(session: Session, patient_id: int) -> list[ScheduledMessage]:
    """The patient's planned texts from the coach not sent yet, soonest first."""
    return _rows(session, patient_id, ScheduledMessage.status == PENDING)


def on_the_thread(session: Session, patient_id: int, now: datetime) -> list[ScheduledMessage]:
    """What the patient's thread shows: the texts waiting, and those that did not go in the last
    SHOWN_NOT_SENT (a hold, an opt-out since), so the coach learns a planned word never came."""
    not_sent = sa.and_(
        col(ScheduledMessage.status).in_(NOT_SENT),
        col(ScheduledMessage.updated_at) >= now - SHOWN_NOT_SENT,
    )
    return _rows(session, patient_id, sa.or_(col(ScheduledMessage.status) == PENDING, not_sent))


def _rows(session: Session, patient_id: int, *where: Any) -> list[ScheduledMessage]:
    """The patient's planned texts from the coach that meet `where`, soonest first."""
    return list(
        session.exec(
            select(ScheduledMessage)
            .where(ScheduledMessage.patient_id == patient_id, ScheduledMessage.purpose == PURPOSE)
            .where(*where)
            .order_by(col(ScheduledMessage.due_at), col(ScheduledMessage.id))
        )
    )


def _planned(session: Session, patient_id: int, ref: str) -> ScheduledMessage | None:
    """The text planned under `ref` (one at most: the outbox's key is patient, purpose, ref)."""
    found = _rows(session, patient_id, ScheduledMessage.ref == ref)
    return found[0] if found else None


def plan(
    session: Session,
    patient: Patient,
    body: str,
    cfg: SchedulerConfig,
    now: datetime,
    at: datetime | None = None,
) -> ScheduledMessage:
    """The text planned for `at`, a wall-clock time in the patient's zone (naive, as a form gives
    it), or for the patient's next morning without one; moved past quiet hours if they cover it.
    The same words for the same time are one text: a second click, or a form sent again, plans
    nothing more. Raises NotPlanned."""
    assert patient.id is not None
    when = next_morning(now, patient.time_zone) if at is None else _at(at, patient, now)
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    ref = f"{when.astimezone(ZoneInfo(patient.time_zone)):%Y-%m-%dT%H:%M}#{digest}"
    same = _planned(session, patient.id, ref)
    if same is not None:
        return same
    if len(waiting(session, patient.id)) >= PENDING_AT_MOST:
        raise NotPlanned("too_many")
    due, _ = place(when, None, patient.time_zone, cfg.quiet_hours)
    outbox.put(
        session, [Planned(patient.id, PURPOSE, ref, when, due, body=body)], now, revive=False
    )
    planned = _planned(session, patient.id, ref)
    assert planned is not None  # just put, or already there
    return planned


def _at(local: datetime, patient: Patient, now: datetime) -> datetime:
    """A wall-clock time in the patient's zone as a moment; one a spring-forward skips is read
    with the offset before the change (an hour later on the clock after it)."""
    when = local.replace(tzinfo=ZoneInfo(patient.time_zone))
    if when <= now:
        raise NotPlanned("at_past")
    if when - now > PLAN_AHEAD_AT_MOST:
        raise NotPlanned("at_far")
    return when


CANCELLED_BY_COACH = "cancelled_by_coach"


def cancel(session: Session, patient_id: int, planned_id: int, now: datetime) -> str:
    """Withdraw one of the patient's planned texts: "withdrawn" now, "cancelled" already (a
    second click), "gone" (sent, or on its way), or "unknown" (no such text of this patient's)."""
    row = session.get(ScheduledMessage, planned_id)
    if row is None or row.patient_id != patient_id or row.purpose != PURPOSE:
        return "unknown"
    if row.status == CANCELLED:
        return "cancelled"
    withdrawn = outbox.cancel(session, [planned_id], CANCELLED_BY_COACH, now)
    return "withdrawn" if withdrawn else "gone"

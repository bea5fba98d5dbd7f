"""Exercise holds placed on a patient for a while: "no exercise today" as stored state.

The prescription engine screens a profile for holds (`coach.engine.holds`); this module stores holds
that arise between prescriptions, such as a red flag reported by SMS (`hold.red_flag`). Prescription
pages, the live class view and the scheduler read `active_holds` before offering exercise.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Column, Field, Session, SQLModel, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from coach.models import utcnow
from coach.prescriptions import current_approved

# A warning from daily data pauses exercise texts until the coach has looked (usecases/daily.py):
# those texts wait rather than drop, and go out the same day if the coach clears it in time.
EARLY_WARNING_RULE = "hold.early_warning"
CLEARED_BY_COACH = frozenset({EARLY_WARNING_RULE})


class PatientHold(SQLModel, table=True):
    __tablename__ = "patient_hold"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    rule_id: str = Field(max_length=64)  # e.g. hold.red_flag
    reason: str = Field(max_length=500)
    source: str = Field(max_length=32)  # sms, coach, live, engine
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


def end_of_local_day(now: datetime, time_zone: str) -> datetime:
    """The first instant of the patient's next local day, in UTC: a hold "for today" ends there."""
    local = now.astimezone(ZoneInfo(time_zone))
    next_midnight = datetime.combine(local.date() + timedelta(days=1), time(), ZoneInfo(time_zone))
    return next_midnight.astimezone(now.tzinfo)


def place_hold(
    session: Session,
    patient_id: int,
    rule_id: str,
    reason: str,
    source: str,
    until: datetime,
    now: datetime | None = None,
) -> PatientHold:
    hold = PatientHold(
        patient_id=patient_id,
        rule_id=rule_id,
        reason=reason[:500],
        source=source,
        created_at=now or utcnow(),
        until=until,
    )
    session.add(hold)
    session.flush()
    return hold


def release(session: Session, patient_id: int, rule_id: str, now: datetime) -> int:
    """End the patient's active holds of this rule now (the coach cleared them); how many."""
    ended = 0
    for hold in active_holds(session, patient_id, now):
        if hold.rule_id == rule_id:
            hold.until = now
            session.add(hold)
            ended += 1
    return ended


def active_holds(session: Session, patient_id: int, now: datetime) -> list[PatientHold]:
    query = (
        select(PatientHold)
        .where(PatientHold.patient_id == patient_id, col(PatientHold.until) > now)
        .where(col(PatientHold.created_at) <= now)
        .order_by(col(PatientHold.created_at))
    )
    return list(session.exec(query))


def held_now(session: Session, patient_ids: Collection[int], now: datetime) -> set[int]:
    """The patients among these with a stored hold in force at `now`."""
    if not patient_ids:
        return set()
    query = (
        select(PatientHold.patient_id)
        .where(col(PatientHold.patient_id).in_(list(patient_ids)))
        .where(col(PatientHold.created_at) <= now, col(PatientHold.until) > now)
    )
    return set(session.exec(query))


def hold_reasons(session: Session, patient_id: int, now: datetime) -> tuple[str, ...]:
    """Why the patient must not exercise today, or () if nothing holds them: stored holds
    first, else the approved prescription's own hold (a safety rule that fired at drafting)."""
    active = active_holds(session, patient_id, now)
    if active:
        return tuple(hold.rule_id for hold in active)
    approved = current_approved(session, patient_id)
    if approved is not None and approved.data.get("hold"):
        return tuple(str(reason) for reason in approved.data.get("hold_reasons", ()))
    return ()

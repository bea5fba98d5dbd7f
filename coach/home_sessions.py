"""Stored home sessions (issue 20): one row per session a patient runs from "Today's session",
with what its readings added up to, and the patient's own word at the end (RPE, symptoms).

A row is `running` while the page sends readings, then `done` (the timer ran through the cool-down)
or `stopped` (the patient, or a stop cue, ended it early). A finished session counts for adherence
(`coach.sessions_done`) when its main phase lasted as long as a live class needs for credit: half
its planned minutes or ten minutes, whichever is fewer (`heart_rate_minutes_needed`).

Thin functions over a session; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Column, Field, Session, SQLModel, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from coach.home_plan import HomePlan, Tally
from coach.home_trace import Trace
from coach.models import utcnow

RUNNING, DONE, STOPPED = "running", "done", "stopped"
FINISHED = (DONE, STOPPED)


class HomeSession(SQLModel, table=True):
    __tablename__ = "home_session"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    day: date  # the patient's local day it started on
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    status: str = Field(default=RUNNING, max_length=16)  # running, done, stopped
    with_strap: bool = False
    planned_main_minutes: int
    start_effort: str = Field(default="same", max_length=16)  # gentler, same, brisker
    main_minutes: float = 0.0
    time_in_zone_s: float = 0.0
    over_ceiling_s: float = 0.0
    over_run_s: float = 0.0  # above the ceiling without a break, now
    last_t_ms: int | None = Field(default=None, sa_column=Column(sa.BigInteger(), nullable=True))
    readings: int = 0
    cues: int = 0
    rpe: int | None = None
    fatigue: int | None = None
    symptoms: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False))
    # The warm-up check (rule cue.warm_up_check): the usual rise from the warm-up to the main
    # pace this session was checked against, and the rise it showed itself, for later ones.
    usual_rise_bpm: float | None = None
    rise_bpm: float | None = None
    # The heart rate in 15-second means for the coach's chart (coach.home_trace).
    trace: dict[str, Any] | None = Field(default=None, sa_column=Column(sa.JSON, nullable=True))


def start(
    session: Session,
    patient_id: int,
    day: date,
    plan: HomePlan,
    with_strap: bool,
    now: datetime,
    usual_rise_bpm: float | None = None,
) -> HomeSession:
    """A new running session; one the patient left running (a closed tab) is stopped here."""
    for old in session.exec(
        select(HomeSession).where(
            HomeSession.patient_id == patient_id, HomeSession.status == RUNNING
        )
    ):
        old.status, old.ended_at = STOPPED, now
        session.add(old)
    row = HomeSession(
        patient_id=patient_id,
        day=day,
        started_at=now,
        with_strap=with_strap,
        planned_main_minutes=plan.main_minutes,
        start_effort=plan.start_effort,
        usual_rise_bpm=usual_rise_bpm,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, patient_id: int, home_session_id: int) -> HomeSession | None:
    """This patient's session, or None (unknown, or another patient's)."""
    row = session.get(HomeSession, home_session_id, with_for_update=True)
    return row if row is not None and row.patient_id == patient_id else None


def tally_of(row: HomeSession) -> Tally:
    return Tally(
        last_t_ms=row.last_t_ms,
        main_ms=round(row.main_minutes * 60_000),
        in_zone_ms=round(row.time_in_zone_s * 1000),
        over_ceiling_ms=round(row.over_ceiling_s * 1000),
        over_run_ms=round(row.over_run_s * 1000),
        readings=row.readings,
    )


def trace_of(row: HomeSession) -> Trace:
    return Trace.from_json(row.trace)


def store_tally(
    session: Session,
    row: HomeSession,
    tally: Tally,
    new_cues: int,
    rise_bpm: float | None,
    trace: Trace | None = None,
) -> None:
    if rise_bpm is not None:  # once the main phase's learning window has passed
        row.rise_bpm = rise_bpm
    if trace is not None:
        row.trace = trace.to_json()
    row.last_t_ms = tally.last_t_ms
    row.main_minutes = tally.main_ms / 60_000
    row.time_in_zone_s = tally.in_zone_ms / 1000
    row.over_ceiling_s = tally.over_ceiling_ms / 1000
    row.over_run_s = tally.over_run_ms / 1000
    row.readings = tally.readings
    row.cues += new_cues
    if tally.readings:
        row.with_strap = True
    session.add(row)
    session.flush()


def finish(
    session: Session,
    row: HomeSession,
    status: str,
    rpe: int | None,
    symptoms: Sequence[str],
    now: datetime,
) -> HomeSession:
    row.status, row.rpe, row.symptoms, row.ended_at = status, rpe, list(symptoms), now
    row.main_minutes = min(row.main_minutes, tally_of(row).main_minutes(row.planned_main_minutes))
    session.add(row)
    session.flush()
    return row


def recent_rises(session: Session, patient_id: int, kept: int) -> list[float]:
    """The rises from the warm-up the patient's latest `kept` sessions showed, oldest first."""
    query = (
        select(HomeSession.rise_bpm)
        .where(HomeSession.patient_id == patient_id, col(HomeSession.rise_bpm).is_not(None))
        .order_by(col(HomeSession.started_at).desc(), col(HomeSession.id).desc())
        .limit(kept)
    )
    return [rise for rise in reversed(session.exec(query).all()) if rise is not None]


def finished_between(
    session: Session, patient_ids: Sequence[int], first: date | None, last: date | None
) -> list[HomeSession]:
    query = select(HomeSession).where(
        col(HomeSession.patient_id).in_(list(patient_ids)), col(HomeSession.status).in_(FINISHED)
    )
    if first is not None:
        query = query.where(col(HomeSession.day) >= first)
    if last is not None:
        query = query.where(col(HomeSession.day) <= last)
    return list(session.exec(query.order_by(col(HomeSession.day), col(HomeSession.id))))

"""What a patient reports doing: session logs (adherence) and check-in scores (fatigue, effort).

SMS replies (DONE, SKIP, RPE, FATIGUE) write here today; the live class view may later. The weekly
progression review reads a week of these. Dates are the patient's local calendar date.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Column, Field, Session, SQLModel, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from coach.models import utcnow

SCORE_RANGES: dict[str, tuple[int, int]] = {"rpe": (6, 20), "fatigue": (0, 10)}


class SessionLog(SQLModel, table=True):
    """One record per patient, local day and source: a later report of the same day updates it."""

    __tablename__ = "session_log"
    __table_args__ = (sa.UniqueConstraint("patient_id", "date", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    date: date
    status: str = Field(default="done", max_length=16)  # done, skipped
    minutes: int | None = None
    rpe: int | None = None
    note: str | None = Field(default=None, max_length=500)
    source: str = Field(max_length=16)  # sms, live, coach
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class CheckinScore(SQLModel, table=True):
    __tablename__ = "checkin_score"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: str = Field(max_length=16)  # rpe (6-20), fatigue (0-10)
    value: int
    date: date
    source: str = Field(max_length=16)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


def log_session(
    session: Session,
    patient_id: int,
    day: date,
    source: str,
    *,
    status: str = "done",
    minutes: int | None = None,
    rpe: int | None = None,
    note: str | None = None,
) -> SessionLog:
    """Create the day's log, or update it: a number already given is kept unless a new one comes."""
    row = session.exec(
        select(SessionLog).where(
            SessionLog.patient_id == patient_id, SessionLog.date == day, SessionLog.source == source
        )
    ).first()
    if row is None:
        row = SessionLog(patient_id=patient_id, date=day, source=source)
    row.status = status
    row.minutes = minutes if minutes is not None else row.minutes
    row.rpe = rpe if rpe is not None else row.rpe
    row.note = note[:500] if note else row.note
    session.add(row)
    session.flush()
    return row


def record_score(
    session: Session, patient_id: int, kind: str, value: int, day: date, source: str
) -> CheckinScore:
    low, high = SCORE_RANGES[kind]
    if not low <= value <= high:
        raise ValueError(f"{kind} must be between {low} and {high}, got {value}")
    score = CheckinScore(patient_id=patient_id, kind=kind, value=value, date=day, source=source)
    session.add(score)
    if kind == "rpe":
        # An effort score describes the day's session, if one was logged.
        for log in session.exec(
            select(SessionLog).where(SessionLog.patient_id == patient_id, SessionLog.date == day)
        ):
            log.rpe = value
            session.add(log)
    session.flush()
    return score


def sessions_between(
    session: Session, patient_id: int, first: date, last: date
) -> list[SessionLog]:
    query = (
        select(SessionLog)
        .where(SessionLog.patient_id == patient_id)
        .where(col(SessionLog.date) >= first, col(SessionLog.date) <= last)
        .order_by(col(SessionLog.date), col(SessionLog.id))
    )
    return list(session.exec(query))


def scores_between(
    session: Session, patient_id: int, kind: str, first: date, last: date
) -> list[CheckinScore]:
    query = (
        select(CheckinScore)
        .where(CheckinScore.patient_id == patient_id, CheckinScore.kind == kind)
        .where(col(CheckinScore.date) >= first, col(CheckinScore.date) <= last)
        .order_by(col(CheckinScore.date), col(CheckinScore.id))
    )
    return list(session.exec(query))

"""Who took part in what: room joins (from the audit trail), heart-rate presence in a class,
and done session logs. Nothing stores attendance as such; these three traces are what there is.

A room join is the `class.join` audit row the live room writes (telecoach/wiring/room_audit.py)
with the detail "occurrence <id>[ more]". Heart-rate presence is a reading stored against the
occurrence (the ingest places readings within 30 minutes of a class in that class).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coach.adherence import SessionLog
from coach.models import AuditEvent, HeartRateSample
from coach.room_events import ROOM_JOIN


def _occurrence_detail(occurrence_id: int) -> sa.ColumnElement[bool]:
    label = f"occurrence {occurrence_id}"
    return sa.or_(col(AuditEvent.detail) == label, col(AuditEvent.detail).like(label + " %"))


def room_joins(session: Session, occurrence_id: int) -> dict[int, datetime]:
    """Each patient's first join of this occurrence's room."""
    query = (
        select(AuditEvent.patient_id, sa.func.min(AuditEvent.at))
        .where(AuditEvent.action == ROOM_JOIN, AuditEvent.actor_kind == "patient")
        .where(col(AuditEvent.patient_id).is_not(None), _occurrence_detail(occurrence_id))
        .group_by(col(AuditEvent.patient_id))
    )
    return {int(pid): _aware(at) for pid, at in session.exec(query) if pid is not None}


def first_readings(session: Session, occurrence_id: int) -> dict[int, datetime]:
    """Each patient's first heart-rate reading stored against this occurrence."""
    query = (
        select(HeartRateSample.patient_id, sa.func.min(HeartRateSample.t))
        .where(HeartRateSample.occurrence_id == occurrence_id)
        .group_by(col(HeartRateSample.patient_id))
    )
    return {int(pid): _aware(t) for pid, t in session.exec(query)}


def class_presence(
    session: Session, patient_ids: Collection[int]
) -> list[tuple[int, int, datetime]]:
    """(patient, occurrence, first reading) for every class these patients sent readings in."""
    if not patient_ids:
        return []
    query = (
        select(
            HeartRateSample.patient_id,
            HeartRateSample.occurrence_id,
            sa.func.min(HeartRateSample.t),
        )
        .where(col(HeartRateSample.patient_id).in_(list(patient_ids)))
        .where(col(HeartRateSample.occurrence_id).is_not(None))
        .group_by(col(HeartRateSample.patient_id), col(HeartRateSample.occurrence_id))
    )
    return [(int(p), int(o), _aware(t)) for p, o, t in session.exec(query) if o is not None]


def room_join_times(session: Session, patient_ids: Collection[int]) -> list[tuple[int, datetime]]:
    """(patient, when) of every room join by these patients."""
    if not patient_ids:
        return []
    query = (
        select(AuditEvent.patient_id, AuditEvent.at)
        .where(AuditEvent.action == ROOM_JOIN, AuditEvent.actor_kind == "patient")
        .where(col(AuditEvent.patient_id).in_(list(patient_ids)))
    )
    return [(int(p), _aware(at)) for p, at in session.exec(query) if p is not None]


def done_days(session: Session, patient_ids: Collection[int]) -> list[tuple[int, date]]:
    """(patient, local day) of every day with a session logged as done (one per day)."""
    if not patient_ids:
        return []
    query = (
        select(SessionLog.patient_id, col(SessionLog.date))
        .where(col(SessionLog.patient_id).in_(list(patient_ids)), SessionLog.status == "done")
        .distinct()
    )
    return [(int(p), d) for p, d in session.exec(query)]


def _aware(value: datetime) -> datetime:
    """An aggregate over a UTC column may come back naive on SQLite: it is UTC all the same."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

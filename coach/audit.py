"""The audit trail: who read or changed which patient's data, when, and with what outcome."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from coach.access import Actor
from coach.models import AuditEvent


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    patient_id: int | None,
    outcome: str = "ok",
    detail: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """`at` is when it happened, for an event stored after the fact (a room's, queued)."""
    event = AuditEvent(
        actor_kind=actor.kind if actor else "anonymous",
        actor_id=actor.actor_id if actor else None,
        action=action,
        patient_id=patient_id,
        outcome=outcome,
        detail=detail[:500],
    )
    if at is not None:
        event.at = at
    session.add(event)
    return event


def record_system(
    session: Session, actor_kind: str, action: str, patient_id: int | None, detail: str = ""
) -> AuditEvent:
    """For work no person did in a request: the CLI, the scheduler, the demo seeder."""
    event = AuditEvent(
        actor_kind=actor_kind,
        actor_id=None,
        action=action,
        patient_id=patient_id,
        outcome="ok",
        detail=detail[:500],
    )
    session.add(event)
    return event


def events_for_patient(session: Session, patient_id: int, limit: int = 100) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.patient_id == patient_id)
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))

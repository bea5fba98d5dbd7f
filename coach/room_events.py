"""The live rooms' events as the audit trail keeps them (telecoach/wiring/room_audit.py writes
them, from every process): an action such as `class.join` and a detail "occurrence <id>[ more]".
Read back, they are what every process knows of a room that only one process holds in memory."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from coach.models import AuditEvent, ClassOccurrence

ROOM_JOIN = "class.join"
CLASS_END = "class.end"  # the coach ended the class
CLASS_REOPEN = "class.reopen"  # the coach started an ended class again


def occurrence_of(detail: str | None) -> int | None:
    """The occurrence a room event names."""
    parts = (detail or "").split(maxsplit=2)
    if len(parts) >= 2 and parts[0] == "occurrence" and parts[1].isdigit():
        return int(parts[1])
    return None


def ended_by_coach(session: Session, occurrence_ids: Collection[int], since: datetime) -> set[int]:
    """Those of these classes whose coach ended them and did not start them again, from the
    events since `since` (no room opens before then)."""
    if not occurrence_ids:
        return set()
    query = (
        select(AuditEvent.action, AuditEvent.detail)
        .where(col(AuditEvent.action).in_([CLASS_END, CLASS_REOPEN]))
        .where(col(AuditEvent.at) >= since)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    ended: set[int] = set()
    for action, detail in session.exec(query):
        occurrence = occurrence_of(detail)
        if occurrence is None or occurrence not in occurrence_ids:
            continue
        if action == CLASS_END:
            ended.add(occurrence)
        else:
            ended.discard(occurrence)
    return ended


def ended_since_it_opened(
    session: Session, occurrence: ClassOccurrence, opens_before: timedelta
) -> bool:
    """Its coach ended this class since its room opened, and did not start it again: what a room
    made anew (a restart, another process) and a phone caller must both know."""
    assert occurrence.id is not None
    return bool(ended_by_coach(session, {occurrence.id}, occurrence.starts_at - opens_before))

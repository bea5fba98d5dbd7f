"""A session logged by the coach: checked against the patient's own calendar, stored as the day's
coach log (a second log of the same day updates it), audited whether it was stored or refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime

from sqlmodel import Session

from coach import access, adherence
from coach.access import Actor
from coach.assessments import local_today
from coach.audit import record
from coach.session_entry import SessionEntryError, parse_entry

SOURCE = "coach"


@dataclass(frozen=True)
class SessionLogOutcome:
    """The stored log, or the field at fault with its message key and values (nothing stored)."""

    logged: adherence.SessionLog | None
    field: str | None = None
    key: str | None = None
    values: dict[str, object] = default(default_factory=dict)


def log_coached_session(
    session: Session,
    actor: Actor,
    patient_id: int,
    raw: Mapping[str, object],
    now: datetime,
    form_problem: SessionEntryError | None = None,
) -> SessionLogOutcome:
    """`form_problem`: the form itself could not be read; refused as such, after the access check
    (another coach's patient is not found, whatever was sent)."""
    patient = access.get_patient(session, actor, patient_id)
    try:
        if form_problem is not None:
            raise form_problem
        entry = parse_entry(raw, local_today(now, patient.time_zone))
    except SessionEntryError as exc:
        record(session, actor, "session.log", patient_id, "error", exc.field, at=now)
        return SessionLogOutcome(None, exc.field, exc.key, dict(exc.values))
    row = adherence.log_session(
        session,
        patient_id,
        entry.day,
        SOURCE,
        minutes=entry.minutes,
        rpe=entry.rpe,
        note=entry.note,
    )
    record(session, actor, "session.log", patient_id, detail=entry.day.isoformat(), at=now)
    return SessionLogOutcome(row)

"""Recording an assessment (six-minute walk, grip, resting heart rate...), checked against the
latest day a measurement may carry, audited whether it was stored or refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from coach import access, assessments
from coach.access import Actor
from coach.audit import record
from coach.models import Assessment, Patient, StaffUser


@dataclass(frozen=True)
class AssessmentOutcome:
    """The stored row, or the form field at fault and why (nothing stored)."""

    recorded: Assessment | None
    field: str | None = None
    message: str | None = None


def latest_allowed_day(session: Session, patient: Patient, actor: Actor, now: datetime) -> date:
    """Today where the patient is or where the coach is, whichever is later: a measurement taken
    'today' by either calendar is not in the future."""
    staff = session.get(StaffUser, actor.staff_id) if actor.staff_id else None
    days = [assessments.local_today(now, patient.time_zone)]
    if staff is not None:
        days.append(assessments.local_today(now, staff.time_zone))
    return max(days)


def record_assessment(
    session: Session,
    actor: Actor,
    patient_id: int,
    raw: Mapping[str, str],
    now: datetime,
    form_problem: tuple[str, str] | None = None,
) -> AssessmentOutcome:
    """`form_problem` (field, message): the form itself could not be read; refused as such."""
    patient = access.get_patient(session, actor, patient_id)
    try:
        if form_problem is not None:
            raise assessments.AssessmentInputError(*form_problem)
        entry = assessments.parse_entry(raw, latest_allowed_day(session, patient, actor, now))
    except assessments.AssessmentInputError as exc:
        record(session, actor, "assessment.create", patient_id, "error", exc.field)
        return AssessmentOutcome(None, exc.field, exc.message)
    row = assessments.record(session, patient_id, entry, patient.time_zone, actor.staff_id)
    record(session, actor, "assessment.create", patient_id, detail=entry.kind)
    return AssessmentOutcome(row)

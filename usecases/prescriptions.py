"""Approving a prescription, by hand or from a weekly progression. Whichever way a version
becomes the approved one, an SMS-only patient's coaching texts follow it in the same transaction
(`_approved`): that rule lives here once, not in each page that approves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from coach import access, prescriptions, progression_store
from coach.access import Actor, NotVisible
from coach.audit import record
from coach.rules import RuleSet
from scheduler import coaching_plans
from scheduler.config import SchedulerConfig


@dataclass(frozen=True)
class Approval:
    """What an approval did: the approved version, or why nothing changed (`conflict`: the draft
    or proposal changed since the coach saw it, or was decided already)."""

    version: int | None = None
    conflict: str | None = None


def approve_prescription(
    session: Session,
    actor: Actor,
    patient_id: int,
    prescription_id: int,
    revision: int,
    schedule: SchedulerConfig,
    now: datetime,
) -> Approval:
    """Approve the draft the coach reviewed (`revision`: its overrides count when shown)."""
    access.get_patient(session, actor, patient_id)
    draft = prescriptions.get_version(session, patient_id, prescription_id)
    if draft is None:
        raise NotVisible("prescription", prescription_id, patient_id)
    try:
        prescriptions.approve(session, draft, actor.staff_id, now, revision)
    except prescriptions.PrescriptionStateError as exc:
        record(session, actor, "prescription.approve", patient_id, "error", "stale")
        return Approval(conflict=str(exc))
    _approved(session, patient_id, schedule, now)
    record(session, actor, "prescription.approve", patient_id, detail=f"v{draft.version}")
    return Approval(version=draft.version)


def approve_progression(
    session: Session,
    actor: Actor,
    rules: RuleSet,
    patient_id: int,
    proposal_id: int,
    schedule: SchedulerConfig,
    now: datetime,
) -> Approval:
    """Approve a weekly progression proposal; one that keeps the dose makes no new version."""
    access.get_patient(session, actor, patient_id)
    proposal = progression_store.get_proposal(session, patient_id, proposal_id)
    if proposal is None:
        raise NotVisible("proposal", proposal_id, patient_id)
    try:
        created = progression_store.approve_proposal(session, rules, proposal, actor.staff_id, now)
    except progression_store.ProposalStateError as exc:
        record(session, actor, "progression.approve", patient_id, "error")
        return Approval(conflict=str(exc))
    if created is not None:
        _approved(session, patient_id, schedule, now)
    detail = f"week {proposal.week_start}: " + (f"v{created.version}" if created else "kept")
    record(session, actor, "progression.approve", patient_id, detail=detail)
    return Approval(version=created.version if created else None)


def _approved(session: Session, patient_id: int, schedule: SchedulerConfig, now: datetime) -> None:
    """A new approved version: an SMS-only patient's coaching texts follow it."""
    coaching_plans.on_prescription_approved(session, patient_id, schedule, now)

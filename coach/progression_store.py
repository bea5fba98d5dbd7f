"""Weekly progression as stored work: propose next week's dose, and the coach's decision on it.

`propose_for_week` is what the scheduler runs each week per patient: idempotent per (patient,
week_start), also across processes (the table's unique key; the insert does nothing on conflict).
It proposes nothing without an approved prescription with sessions to progress from (a patient on
hold is not progressed). Approving an "up" or "down" proposal creates a new approved version with
the proposed aerobic dose and the prog.* lines; approving a "hold" keeps the current version. A
proposal made on a version that has since been replaced cannot be approved: its numbers are stale.
"""

from __future__ import annotations

import copy
import math
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from coach import prescriptions
from coach.assessments import local_today
from coach.engine.zones import karvonen, zone_inputs
from coach.models import Patient, Prescription
from coach.next_session import NextSession
from coach.progression import (
    AerobicDose,
    Proposal,
    WeekSummary,
    propose_from_sessions,
    propose_next_week,
)
from coach.rules import RuleSet
from coach.week_review import monday_of, summarize_week, summary_json
from coach.workflow_models import ProgressionProposal

DOSE_KEYS = (
    "sessions_per_week", "minutes_per_session", "level", "hrr_low_pct", "hrr_high_pct", "rpe_low",
    "rpe_high",
)  # fmt: skip
REASON_MAX = 500


class ProposalStateError(ValueError):
    """The proposal was decided already, or the prescription it progresses has changed."""


def get_proposal(session: Session, patient_id: int, proposal_id: int) -> ProgressionProposal | None:
    row = session.get(ProgressionProposal, proposal_id)
    return row if row is not None and row.patient_id == patient_id else None


def for_week(session: Session, patient_id: int, week_start: date) -> ProgressionProposal | None:
    return session.exec(
        select(ProgressionProposal).where(
            ProgressionProposal.patient_id == patient_id,
            ProgressionProposal.week_start == week_start,
        )
    ).first()


def recent(session: Session, patient_id: int, limit: int = 12) -> list[ProgressionProposal]:
    """Newest week first."""
    return list(
        session.exec(
            select(ProgressionProposal)
            .where(ProgressionProposal.patient_id == patient_id)
            .order_by(col(ProgressionProposal.week_start).desc())
            .limit(limit)
        )
    )


def last_full_week(now: datetime, time_zone: str) -> date:
    """The Monday of the last week that has ended in the patient's time zone."""
    today = local_today(now, time_zone)
    return today - timedelta(days=today.weekday() + 7)


def propose_for_week(
    session: Session, rules: RuleSet, patient_id: int, week_start: date, now: datetime
) -> ProgressionProposal | None:
    """The stored proposal for the week from `week_start` (a Monday, in the patient's zone).

    Returns the one already stored if any; None when there is nothing to progress. Raises
    ValueError for a week_start that is not a Monday or a week that has not ended yet, LookupError
    for an unknown patient.
    """
    if week_start.weekday() != 0:
        raise ValueError(f"week_start {week_start} is not a Monday")
    existing = for_week(session, patient_id, week_start)
    if existing is not None:
        return existing
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise LookupError(f"patient {patient_id} not found")
    if week_start + timedelta(days=7) > local_today(now, patient.time_zone):
        raise ValueError(f"the week from {week_start} has not ended yet")
    current = prescriptions.current_approved(session, patient_id)
    if current is None or current.data.get("hold") or not _has_sessions(current.data):
        return None
    week = summarize_week(session, rules, patient, current, week_start)
    dose = AerobicDose(**{key: current.data["aerobic"][key] for key in DOSE_KEYS})
    proposal = propose_next_week(dose, week, rules)
    return _store_once(session, patient_id, week_start, current, proposal, week, now)


def propose_from_plan(
    session: Session,
    rules: RuleSet,
    patient: Patient,
    current: Prescription,
    plan: NextSession,
    now: datetime,
) -> ProgressionProposal | None:
    """A between-session plan (a home session's start) that found the patient ready for more
    than approved, stored as the proposal of the patient's current week for the coach to decide,
    with the week so far in numbers. A week has one proposal: when one is stored already (this
    week's, or one made earlier from sessions) it is kept, and the weekly review of this week
    later finds it (`propose_for_week`). None when the plan stayed inside the approval."""
    assert patient.id is not None
    if not plan.beyond_approval or current.data.get("hold") or not _has_sessions(current.data):
        return None
    week_start = monday_of(local_today(now, patient.time_zone))
    existing = for_week(session, patient.id, week_start)
    if existing is not None:
        return existing
    dose = AerobicDose(**{key: current.data["aerobic"][key] for key in DOSE_KEYS})
    proposal = propose_from_sessions(dose, plan, rules)
    if proposal is None:
        return None
    week = summarize_week(session, rules, patient, current, week_start)
    return _store_once(session, patient.id, week_start, current, proposal, week, now)


def _store_once(
    session: Session,
    patient_id: int,
    week_start: date,
    current: Prescription,
    proposal: Proposal,
    week: WeekSummary,
    now: datetime,
) -> ProgressionProposal | None:
    """Insert the week's proposal unless one is stored (across processes: the unique key), and
    return the one stored."""
    values = {
        "patient_id": patient_id,
        "week_start": week_start,
        "based_on_id": current.id,
        "change": proposal.change,
        "proposal": {**proposal.to_json(), "week": summary_json(week)},
        "status": "pending",
        "created_at": now,
    }
    table: Any = ProgressionProposal.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["patient_id", "week_start"])
    )
    return for_week(session, patient_id, week_start)


def _has_sessions(data: dict[str, Any]) -> bool:
    aerobic = data.get("aerobic") or {}
    return bool(aerobic.get("sessions_per_week")) and aerobic.get("level") in ("light", "moderate")


def _pending(session: Session, proposal: ProgressionProposal) -> None:
    session.exec(
        select(Patient.id).where(Patient.id == proposal.patient_id).with_for_update()
    ).first()
    session.refresh(proposal)
    if proposal.status != "pending":
        raise ProposalStateError(f"this proposal was {proposal.status} already")


def approve_proposal(
    session: Session,
    rules: RuleSet,
    proposal: ProgressionProposal,
    staff_id: int | None,
    now: datetime,
) -> Prescription | None:
    """Apply the proposal: a new approved version for a changed dose (returned), else None."""
    _pending(session, proposal)
    current = prescriptions.current_approved(session, proposal.patient_id)
    if current is None or current.id != proposal.based_on_id:
        raise ProposalStateError(
            "the approved prescription changed since this proposal was made: reject it"
        )
    dose = proposal.proposal["dose"]
    created = None
    if any(current.data["aerobic"].get(key) != dose[key] for key in DOSE_KEYS):
        data = progressed(current.data, current.profile_snapshot, proposal, rules)
        created = prescriptions.create_approved(
            session, proposal.patient_id, data, current.profile_snapshot, staff_id, now
        )
    proposal.status, proposal.decided_at, proposal.decided_by = "approved", now, staff_id
    proposal.result_id = created.id if created else None
    session.add(proposal)
    session.flush()
    return created


def reject_proposal(
    session: Session,
    proposal: ProgressionProposal,
    reason: str,
    staff_id: int | None,
    now: datetime,
) -> None:
    reason = " ".join(reason.split())
    if len(reason) < 3 or len(reason) > REASON_MAX:
        raise ValueError(f"a reason of 3 to {REASON_MAX} characters is required")
    _pending(session, proposal)
    proposal.status, proposal.decided_at, proposal.decided_by = "rejected", now, staff_id
    proposal.decision_reason = reason
    session.add(proposal)
    session.flush()


def progressed(
    data: dict[str, Any], snapshot: dict[str, Any], proposal: ProgressionProposal, rules: RuleSet
) -> dict[str, Any]:
    """The prescription `data` with the proposal's aerobic dose, its reasons and alerts as rule
    lines (replacing an earlier week's), and the heart rates rebuilt when the %HRR band moved."""
    result = copy.deepcopy(data)
    aerobic = result["aerobic"]
    dose = proposal.proposal["dose"]
    band_moved = (aerobic["hrr_low_pct"], aerobic["hrr_high_pct"]) != (
        dose["hrr_low_pct"],
        dose["hrr_high_pct"],
    )
    aerobic.update({key: dose[key] for key in DOSE_KEYS})
    lines = [line for line in result["rules"] if not str(line.get("id", "")).startswith("prog.")]
    if band_moved and result.get("intensity_basis") == "hr":
        lines = _rezone(aerobic, lines, snapshot, rules)
    level_line = rules.zone_moderate.ref(level=aerobic["level"]).to_json()
    lines = [level_line if line.get("id") == "zone.moderate" else line for line in lines]
    lines += proposal.proposal["reasons"] + proposal.proposal["alerts"]
    result["rules"] = lines
    result["progression"] = {
        "proposal_id": proposal.id,
        "week_start": proposal.week_start.isoformat(),
        "change": proposal.change,
    }
    return result


def _rezone(
    aerobic: dict[str, Any], lines: list[dict[str, Any]], snapshot: dict[str, Any], rules: RuleSet
) -> list[dict[str, Any]]:
    """Rebuild hr_low/hr_high for the new %HRR band, and the zone lines that quote them."""
    vitals = snapshot.get("vitals") or {}
    inputs = zone_inputs(
        int(snapshot["age"]), vitals.get("resting_hr"), vitals.get("measured_max_hr"), rules
    )
    low, high = karvonen(inputs, aerobic["hrr_low_pct"], aerobic["hrr_high_pct"])
    aerobic["hr_low"], aerobic["hr_high"] = low, high
    resting = inputs.resting_hr
    rebuilt = {
        "zone.karvonen": rules.zone_karvonen.ref(
            resting_hr=str(int(resting)) if resting.denominator == 1 else str(float(resting)),
            hr_max=math.floor(inputs.hr_max),
            low_pct=aerobic["hrr_low_pct"],
            high_pct=aerobic["hrr_high_pct"],
            hr_low=low,
            hr_high=high,
        ),
        "zone.ceiling": rules.zone_ceiling.ref(ceiling=high),
    }
    return [rebuilt[line["id"]].to_json() if line.get("id") in rebuilt else line for line in lines]

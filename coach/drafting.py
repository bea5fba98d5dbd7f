"""A draft prescription from what is stored about a patient: the clinical profile, the latest
recorded assessments, and the holds of the last days.

The draft's `data` is the engine's output (shared/clinical/PRESCRIPTION.md) plus:
- `overrides`: the coach's changes, [{field, from, to, reason, by, by_id, at, unsafe, unsafe_why}];
- `engine`: the engine's own value of every overridable field, what overrides are judged against;
- `inputs`: which recorded assessments and recent holds went in, for the page to show.
Its `profile_snapshot` is the profile exactly as the engine saw it (assessments merged in).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from coach import assessments, overrides, prescriptions
from coach.engine import prescribe
from coach.holds import PatientHold
from coach.models import ClinicalProfile, Patient, Prescription
from coach.profile import parse_profile
from coach.rules import RuleSet


class NoProfile(LookupError):
    """A draft needs a clinical profile (at least age and sex) first."""


def recent_hold_ids(session: Session, patient_id: int, now: datetime, days: int) -> list[str]:
    """Rule ids of stored holds in force at any time in the last `days` days (RULES.md §5)."""
    since = now - timedelta(days=days)
    rows = session.exec(
        select(PatientHold.rule_id)
        .where(PatientHold.patient_id == patient_id)
        .where(col(PatientHold.until) > since, col(PatientHold.created_at) <= now)
        .order_by(col(PatientHold.created_at))
    ).all()
    return list(dict.fromkeys(rows))


def draft_inputs(
    session: Session, rules: RuleSet, patient: Patient, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(profile as the engine will see it, what went into it) for the patient's next draft."""
    assert patient.id is not None
    row = session.exec(
        select(ClinicalProfile).where(ClinicalProfile.patient_id == patient.id)
    ).first()
    if row is None:
        raise NoProfile("record the clinical profile (at least age and sex) first")
    latest = assessments.latest(session, patient.id)
    merged = assessments.merge_into_profile(row.data, {k: a.value for k, a in latest.items()})
    days = rules.tier_clinically_supervised.hold_within_days
    used = {
        "assessments": {
            kind: {
                "value": int(a.value) if a.value.is_integer() else a.value,
                "measured_on": assessments.day_of(a, patient.time_zone).isoformat(),
            }
            for kind, a in latest.items()
        },
        "recent_holds": recent_hold_ids(session, patient.id, now, days),
        "hold_within_days": days,
    }
    return merged, used


def generate_draft(
    session: Session, rules: RuleSet, patient: Patient, staff_id: int | None, now: datetime
) -> Prescription:
    """Run the engine on the stored data and store the result as the patient's draft."""
    assert patient.id is not None
    merged, used = draft_inputs(session, rules, patient, now)
    result = prescribe(parse_profile(merged), rules, tuple(used["recent_holds"])).to_json()
    data = {**result, "overrides": [], "engine": overrides.engine_values(result), "inputs": used}
    return prescriptions.create_draft(session, patient.id, data, merged, staff_id, now)

"""A coach changing a patient's contact details. The texts already planned for the patient are
brought in step in the same transaction: reminders and coaching texts are due at local times in
the patient's zone (and quiet hours are the patient's), so a new zone moves them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from coach import access, patients
from coach.access import Actor
from coach.audit import record
from coach.models import Patient
from scheduler import coaching_plans, reminders
from scheduler.config import SchedulerConfig

# What the planned texts depend on: when they go (zone), whether they go (consent, SMS-only).
PLANNING_FIELDS = frozenset({"time_zone", "sms_consent", "sms_only"})


def update_contact_details(
    session: Session,
    actor: Actor,
    patient_id: int,
    values: Mapping[str, Any],
    schedule: SchedulerConfig,
    now: datetime,
) -> Patient:
    """`values` as `patients.parse_patient_input` returns them (partial or whole)."""
    patient = access.get_patient(session, actor, patient_id)
    before = {name: getattr(patient, name) for name in PLANNING_FIELDS}
    patients.update_patient(session, patient, values, now)
    if any(getattr(patient, name) != was for name, was in before.items()):
        reminders.sync_patient(session, schedule, now, patient_id, "patient_changed")
        plan = coaching_plans.plan_of(session, patient_id)
        if plan is not None:
            coaching_plans.sync_plan(session, plan, patient, schedule, now)
    detail = "fields: " + ",".join(sorted(values))
    record(session, actor, "patient.update", patient_id, detail=detail)
    return patient

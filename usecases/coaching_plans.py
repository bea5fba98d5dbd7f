"""An SMS-only patient's coaching plan changed by a coach: the days and times of their texts,
re-planned in the caller's transaction with its audit line."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from coach import access
from coach.access import Actor
from coach.audit import record
from scheduler import coaching_plans
from scheduler.config import SchedulerConfig
from scheduler.errors import ScheduleInputError
from scheduler.models import CoachingPlan


def save_coaching_plan(
    session: Session,
    actor: Actor,
    patient_id: int,
    values: Mapping[str, Any],
    schedule: SchedulerConfig,
    now: datetime,
) -> CoachingPlan:
    """`values` as `coaching_plans.parse_plan_input` returns them. ScheduleInputError for a
    patient who is not SMS-only, or who has no plan and no approved prescription yet."""
    patient = access.get_patient(session, actor, patient_id)
    if not patient.sms_only:
        raise ScheduleInputError("patient_id", "coaching plans are for SMS-only patients")
    plan = coaching_plans.save_plan(session, patient, values, actor.staff_id, schedule, now)
    record(session, actor, "coaching_plan.update", patient_id)
    return plan

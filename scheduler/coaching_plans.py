"""SMS coaching plans for SMS-only patients: exercise days and the local time of each text.

From the approved prescription come the number of days (aerobic sessions a week) and, when each
text goes, what to do. A plan is made for every SMS-only patient who consented and has an approved
prescription (the runners' periodic pass, or `on_prescription_approved` in the approving
transaction); the coach can change days and times. On an exercise day the patient gets, in their
own zone: a fatigue check-in in the morning, the day's coaching text, an effort check-in after the
session. Rows are planned `coaching_horizon_days` ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from coach.models import Patient, Prescription
from coach.prescriptions import current_approved
from scheduler import outbox
from scheduler.config import SchedulerConfig
from scheduler.errors import ScheduleInputError
from scheduler.models import PENDING, CoachingPlan, ScheduledMessage
from scheduler.offsets import parse_clock
from scheduler.outbox import Planned
from scheduler.quiet import place

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Spread over the week, with rest days between where the count allows.
DEFAULT_DAYS: dict[int, tuple[str, ...]] = {
    1: ("WE",),
    2: ("TU", "FR"),
    3: ("MO", "WE", "FR"),
    4: ("MO", "TU", "TH", "FR"),
    5: ("MO", "TU", "WE", "TH", "FR"),
    6: ("MO", "TU", "WE", "TH", "FR", "SA"),
    7: DAYS,
}
DEFAULT_TIMES = {"fatigue_time": "08:30", "coaching_time": "09:00", "effort_time": "18:00"}
COACHING, FATIGUE, EFFORT = "coaching", "checkin.fatigue", "checkin.rpe"
PURPOSES = (FATIGUE, COACHING, EFFORT)
PLAN_FIELDS = ("days", "coaching_time", "fatigue_time", "effort_time", "active")


def sessions_per_week(prescription: Prescription | None) -> int:
    aerobic = (prescription.data if prescription else {}).get("aerobic")
    count = aerobic.get("sessions_per_week") if isinstance(aerobic, Mapping) else None
    return count if isinstance(count, int) and 0 <= count <= 7 else 0


def default_plan(patient_id: int, prescription: Prescription) -> CoachingPlan:
    days = DEFAULT_DAYS.get(sessions_per_week(prescription), ())
    return CoachingPlan(
        patient_id=patient_id,
        days=",".join(days),
        prescription_id=prescription.id,
        active=not prescription.data.get("hold"),
        coaching_time=DEFAULT_TIMES["coaching_time"],
        fatigue_time=DEFAULT_TIMES["fatigue_time"],
        effort_time=DEFAULT_TIMES["effort_time"],
    )


def parse_plan_input(data: Mapping[str, Any], cfg: SchedulerConfig) -> dict[str, Any]:
    """A coach's change to a plan: any of days, the three times (a check-in may be null), active."""
    unknown = sorted(set(data) - set(PLAN_FIELDS))
    if unknown:
        raise ScheduleInputError(unknown[0], "unknown field")
    values: dict[str, Any] = {}
    if "days" in data:
        days = data["days"]
        if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
            raise ScheduleInputError("days", 'must be a list of days like ["MO", "WE", "FR"]')
        upper = {d.upper() for d in days}
        if not upper <= set(DAYS):
            raise ScheduleInputError("days", f"days are {', '.join(DAYS)}")
        values["days"] = ",".join(d for d in DAYS if d in upper)
    for name in ("coaching_time", "fatigue_time", "effort_time"):
        if name not in data:
            continue
        if data[name] is None and name != "coaching_time":
            values[name] = None
            continue
        at = parse_clock(data[name], name)
        if cfg.quiet_hours is not None and cfg.quiet_hours.contains_local(at):
            raise ScheduleInputError(name, f"{data[name]} falls in quiet hours")
        values[name] = data[name]
    if "active" in data:
        if not isinstance(data["active"], bool):
            raise ScheduleInputError("active", "must be true or false")
        values["active"] = data["active"]
    return values


def plan_of(session: Session, patient_id: int) -> CoachingPlan | None:
    return session.exec(select(CoachingPlan).where(CoachingPlan.patient_id == patient_id)).first()


def save_plan(
    session: Session,
    patient: Patient,
    values: Mapping[str, Any],
    staff_id: int | None,
    cfg: SchedulerConfig,
    now: datetime,
) -> CoachingPlan:
    """Create or change the patient's plan and re-plan its texts in the same transaction."""
    assert patient.id is not None
    plan = plan_of(session, patient.id)
    if plan is None:
        prescription = current_approved(session, patient.id)
        if prescription is None:
            raise ScheduleInputError("patient_id", "the patient has no approved prescription yet")
        plan = default_plan(patient.id, prescription)
    for name, value in values.items():
        setattr(plan, name, value)
    plan.updated_at, plan.updated_by = now, staff_id
    session.add(plan)
    session.flush()
    sync_plan(session, plan, patient, cfg, now)
    return plan


def on_prescription_approved(
    session: Session, patient_id: int, cfg: SchedulerConfig, now: datetime
) -> CoachingPlan | None:
    """Call in the transaction that approves a prescription: an SMS-only patient who consented
    gets a plan and its texts are planned (pending texts for the coming days are replaced: same
    keys, so no duplicates; days the new plan drops are cancelled).

    A plan no coach has changed follows the new prescription (its days from the sessions a week,
    paused while the prescription holds exercise); one a coach set keeps its days and times."""
    patient = session.get(Patient, patient_id)
    if patient is None or not patient.sms_only or not patient.sms_consent:
        return None
    plan = plan_of(session, patient_id)
    prescription = current_approved(session, patient_id)
    if prescription is None:
        return plan
    if plan is None:
        plan = default_plan(patient_id, prescription)
    elif plan.updated_by is None:
        following = default_plan(patient_id, prescription)
        plan.days, plan.active = following.days, following.active
    plan.prescription_id = prescription.id
    plan.updated_at = now
    session.add(plan)
    session.flush()
    sync_plan(session, plan, patient, cfg, now)
    return plan


def rows_for(
    plan: CoachingPlan, patient: Patient, cfg: SchedulerConfig, now: datetime
) -> list[Planned]:
    if not plan.active or not plan.days:
        return []
    assert patient.id is not None
    zone = ZoneInfo(patient.time_zone)
    today = now.astimezone(zone).date()
    days = set(plan.days.split(","))
    times = {FATIGUE: plan.fatigue_time, COACHING: plan.coaching_time, EFFORT: plan.effort_time}
    rows = []
    for offset in range(cfg.coaching_horizon_days):
        day = today + timedelta(days=offset)
        if DAYS[day.weekday()] not in days:
            continue
        end_of_day = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        for purpose in PURPOSES:
            at = times[purpose]
            if at is None:
                continue
            planned = datetime.combine(day, parse_clock(at, purpose), tzinfo=zone)
            if planned <= now:
                continue
            due, reason = place(planned, end_of_day, patient.time_zone, cfg.quiet_hours)
            rows.append(
                Planned(
                    patient.id,
                    purpose,
                    day.isoformat(),
                    planned,
                    due,
                    deliver_by=end_of_day,
                    reason=reason,
                )
            )
    return rows


def sync_plan(
    session: Session, plan: CoachingPlan, patient: Patient, cfg: SchedulerConfig, now: datetime
) -> None:
    wanted = rows_for(plan, patient, cfg, now)
    keys = {row.key for row in wanted}
    pending = session.exec(
        select(ScheduledMessage).where(
            ScheduledMessage.patient_id == patient.id,
            ScheduledMessage.status == PENDING,
            col(ScheduledMessage.purpose).in_(PURPOSES),
        )
    )
    stale = [r.id for r in pending if (r.patient_id, r.purpose, r.ref) not in keys and r.id]
    outbox.cancel(session, stale, "plan_changed", now)
    outbox.put(session, wanted, now, revive=True)


def plan_window(session: Session, cfg: SchedulerConfig, now: datetime) -> int:
    """The periodic pass: plans for eligible patients who have none, and the next days' texts."""
    eligible = session.exec(
        select(Patient).where(col(Patient.sms_only).is_(True), col(Patient.sms_consent).is_(True))
    ).all()
    count = 0
    for patient in eligible:
        assert patient.id is not None
        plan = plan_of(session, patient.id)
        if plan is None:
            prescription = current_approved(session, patient.id)
            if prescription is None:
                continue
            plan = default_plan(patient.id, prescription)
            session.add(plan)
            session.flush()
        rows = rows_for(plan, patient, cfg, now)
        outbox.put(session, rows, now, revive=False)
        count += len(rows)
    return count

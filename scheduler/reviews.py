"""The weekly progression review, as outbox work: one row per patient and week, due on the
Monday morning after the week ends (patient's zone). Claiming it runs the personalization
engine's `propose_for_week` in the same transaction that marks the row done; the proposal then
waits for the coach. Both are idempotent per patient and week, so a second run changes nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col

from coach.models import Patient, Prescription
from coach.prescriptions import APPROVED
from coach.progression_store import propose_for_week
from coach.rules import RuleSet
from scheduler import outbox
from scheduler.config import SchedulerConfig
from scheduler.outbox import Planned
from scheduler.task_run import TaskRun

PURPOSE = "review.weekly"
RUN_AT = time(6, 0)  # local: the proposal is ready before the coach's day starts


def week_of(now: datetime, zone: str) -> date:
    today = now.astimezone(ZoneInfo(zone)).date()
    return today - timedelta(days=today.weekday())


def row_for(patient_id: int, zone: str, week_start: date) -> Planned:
    due = datetime.combine(week_start + timedelta(days=7), RUN_AT, tzinfo=ZoneInfo(zone))
    return Planned(patient_id, PURPOSE, week_start.isoformat(), due, due, kind="task")


def plan_window(session: Session, cfg: SchedulerConfig, now: datetime) -> int:
    """This week's review for every patient with an approved prescription."""
    approved = (
        sa.select(col(Patient.id), col(Patient.time_zone))
        .join(Prescription, col(Prescription.patient_id) == col(Patient.id))
        .where(col(Prescription.status) == APPROVED)
        .distinct()
    )
    rows = [row_for(pid, zone, week_of(now, zone)) for pid, zone in session.execute(approved)]
    outbox.put(session, rows, now, revive=False)
    return len(rows)


def run(session: Session, rules: RuleSet, patient_id: int, ref: str, now: datetime) -> TaskRun:
    """Propose next week's dose; the reason to record when there was nothing to propose."""
    proposal = propose_for_week(session, rules, patient_id, date.fromisoformat(ref), now)
    return TaskRun(None if proposal is not None else "nothing_to_progress")

"""Reminder settings a coach changes: for a class or for one patient. Each stores the setting,
re-plans the pending reminders it affects and audits, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from coach import access
from coach.access import Actor
from coach.audit import record
from scheduler import preferences, reminders
from scheduler.config import SchedulerConfig


def set_class_reminders(
    session: Session,
    actor: Actor,
    class_id: int,
    offsets: tuple[int, ...] | None,
    schedule: SchedulerConfig,
    now: datetime,
) -> None:
    """`offsets` in minutes before each class; None: the clinic's default applies again."""
    access.get_class(session, actor, class_id)
    preferences.set_offsets(session, offsets, actor.staff_id, now, series_id=class_id)
    reminders.sync_series(session, schedule, now, class_id, "reminders_changed")
    record(session, actor, "class.reminders", None, detail=f"class {class_id}")


def set_patient_reminders(
    session: Session,
    actor: Actor,
    patient_id: int,
    offsets: tuple[int, ...] | None,
    schedule: SchedulerConfig,
    now: datetime,
) -> None:
    """The patient's own offsets win over each class's; None: each class's setting applies."""
    access.get_patient(session, actor, patient_id)
    preferences.set_offsets(session, offsets, actor.staff_id, now, patient_id=patient_id)
    reminders.sync_patient(session, schedule, now, patient_id, "reminders_changed")
    record(session, actor, "reminders.update", patient_id)

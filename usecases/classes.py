"""Enrolment and class changes. Each brings the enrolled patients' pending reminders in step and,
for a change of time, plans a notice for each patient who consented to SMS
(scheduler/class_notices.py), in the caller's transaction, with its audit line."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from coach import access, class_changes, classes
from coach.access import Actor, NotVisible
from coach.audit import record
from coach.models import ClassOccurrence, ClassSeries, Enrollment
from scheduler import class_notices, reminders
from scheduler.config import SchedulerConfig


def create_class(
    session: Session, actor: Actor, values: Mapping[str, Any], now: datetime
) -> ClassSeries:
    """A new class series with its first occurrences, owned by the coach who creates it."""
    assert actor.staff_id is not None
    series = classes.create_series(session, actor.staff_id, values, now)
    record(session, actor, "class.create", None, detail=f"class {series.id}")
    return series


def enroll(
    session: Session,
    actor: Actor,
    class_id: int,
    patient_id: int,
    schedule: SchedulerConfig,
    now: datetime,
) -> Enrollment:
    series = access.get_class(session, actor, class_id)
    patient = access.get_patient(session, actor, patient_id)
    enrollment = classes.enroll(session, series, patient, now)
    reminders.sync_enrollment(session, schedule, now, class_id, patient_id, "enrolled")
    record(session, actor, "enrollment.create", patient_id, detail=f"class {class_id}")
    return enrollment


def unenroll(
    session: Session,
    actor: Actor,
    class_id: int,
    patient_id: int,
    schedule: SchedulerConfig,
    now: datetime,
) -> None:
    access.get_class(session, actor, class_id)
    access.get_patient(session, actor, patient_id)
    if not classes.unenroll(session, class_id, patient_id):
        raise NotVisible("enrollment", f"of patient {patient_id} in class {class_id}", patient_id)
    session.flush()
    reminders.sync_enrollment(session, schedule, now, class_id, patient_id, "unenrolled")
    record(session, actor, "enrollment.delete", patient_id, detail=f"class {class_id}")


def update_class(
    session: Session,
    actor: Actor,
    class_id: int,
    changes: Mapping[str, Any],
    schedule: SchedulerConfig,
    now: datetime,
) -> ClassSeries:
    """Title, capacity or timing; only a change of timing tells the patients."""
    series = access.get_class(session, actor, class_id)
    moved = class_changes.update_series(session, series, changes, now)
    reminders.sync_series(session, schedule, now, class_id, "class_moved")
    if moved:
        class_notices.series_moved(session, schedule, now, class_id)
    record(session, actor, "class.update", None, detail=f"class {class_id}")
    return series


def cancel_class(
    session: Session, actor: Actor, class_id: int, schedule: SchedulerConfig, now: datetime
) -> None:
    series = access.get_class(session, actor, class_id)
    changed = class_changes.cancel_series(session, series, now)
    reminders.sync_series(session, schedule, now, class_id, "class_cancelled")
    class_notices.series_cancelled(session, schedule, now, class_id, changed)
    record(session, actor, "class.cancel", None, detail=f"class {class_id}")


def move_occurrence(
    session: Session,
    actor: Actor,
    occurrence_id: int,
    starts_local: datetime,
    schedule: SchedulerConfig,
    now: datetime,
) -> ClassOccurrence:
    occurrence = access.get_occurrence(session, actor, occurrence_id)
    series = access.get_class(session, actor, occurrence.series_id)
    was = occurrence.starts_at, occurrence.status
    changed = class_changes.move_occurrence(session, series, occurrence, starts_local, now)
    reminders.sync_occurrences(session, schedule, now, changed, "class_moved")
    if (occurrence.starts_at, occurrence.status) != was:
        class_notices.occurrence_moved(session, schedule, now, occurrence, was[0])
    record(session, actor, "occurrence.move", None, detail=f"occurrence {occurrence_id}")
    return occurrence


def cancel_occurrence(
    session: Session, actor: Actor, occurrence_id: int, schedule: SchedulerConfig, now: datetime
) -> None:
    occurrence = access.get_occurrence(session, actor, occurrence_id)
    changed = class_changes.cancel_occurrence(session, occurrence, now)
    reminders.sync_occurrences(session, schedule, now, changed, "class_cancelled")
    if changed:  # not cancelled already
        class_notices.occurrence_cancelled(session, schedule, now, occurrence)
    record(session, actor, "occurrence.cancel", None, detail=f"occurrence {occurrence_id}")

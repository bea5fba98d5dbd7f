"""Scheduler tables: the durable outbox of due work, reminder settings, SMS coaching plans.

`ScheduledMessage` is the outbox. Each row is one planned piece of work (an SMS, or a task such as
the weekly progression review) with a unique key (patient, purpose, ref): planning the same thing
twice finds the row that is already there. Rows are written in the same transaction as the change
that caused them (an enrollment, a moved class) and claimed by runners when due.

    pending ──claim──> sending ──> sent | failed | dropped | unconfirmed
       │  ^                │
       │  └── retry/reclaim┘
       └──> cancelled (the class was cancelled or moved, the plan changed)

`sms_message_id` is written in the same transaction as the `sms_message` row the sender stores
before calling the transport: a row left `sending` by a dead worker is reconciled from it and
never sent blindly again. It has no foreign key so that this table does not depend on the order
in which the SMS migration runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from coach.models import utcnow

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
DROPPED, CANCELLED, UNCONFIRMED = "dropped", "cancelled", "unconfirmed"
OPEN_STATUSES = (PENDING, SENDING)


def _utc(nullable: bool = False, index: bool = False) -> Any:
    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable, index=index)
    return Field(default=None, sa_column=column) if nullable else Field(sa_column=column)


class ScheduledMessage(SQLModel, table=True):
    __tablename__ = "scheduled_message"
    __table_args__ = (
        sa.UniqueConstraint("patient_id", "purpose", "ref", name="uq_scheduled_message_key"),
        sa.Index("ix_scheduled_message_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    purpose: str = Field(max_length=32)  # reminder.1440, coaching, checkin.fatigue, review.weekly
    ref: str = Field(max_length=64)  # what it is about: an occurrence and its start, a local date
    kind: str = Field(default="sms", max_length=8)  # sms, task
    series_id: int | None = Field(default=None, foreign_key="class_series.id", index=True)
    occurrence_id: int | None = Field(default=None, foreign_key="class_occurrence.id", index=True)
    planned_at: datetime = _utc()  # the ideal time (before quiet hours and retries moved it)
    due_at: datetime = _utc()  # when a runner may claim it next
    deliver_by: datetime | None = _utc(nullable=True)  # useless after this (the class started)
    urgent: bool = False  # safety texts: no quiet hours, no pacing, claimed first
    body: str | None = Field(default=None, max_length=1600)  # a text written when planned
    status: str = Field(default=PENDING, max_length=16)
    reason: str | None = Field(default=None, max_length=64)  # why dropped, cancelled, failed
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = _utc(nullable=True)
    sms_message_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ReminderPreference(SQLModel, table=True):
    """Reminder offsets for one class or one patient; a patient's own choice wins over the class's,
    which wins over `REMINDER_OFFSETS`. An empty list means no reminders."""

    __tablename__ = "reminder_preference"
    __table_args__ = (
        sa.UniqueConstraint("series_id", name="uq_reminder_preference_series"),
        sa.UniqueConstraint("patient_id", name="uq_reminder_preference_patient"),
        sa.CheckConstraint(
            "(series_id IS NULL) <> (patient_id IS NULL)", name="ck_reminder_preference_owner"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    series_id: int | None = Field(default=None, foreign_key="class_series.id")
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    offsets_minutes: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_by: int | None = Field(default=None, foreign_key="staff_user.id")


class CoachingPlan(SQLModel, table=True):
    """An SMS-only patient's week: exercise days and the local times of each text.

    The day's coaching text is rendered from the approved prescription when it is sent, so a newly
    approved prescription applies from the next text on."""

    __tablename__ = "coaching_plan"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", unique=True)
    days: str = Field(max_length=20)  # MO,WE,FR
    coaching_time: str = Field(max_length=5)  # HH:MM local
    fatigue_time: str | None = Field(default=None, max_length=5)  # morning check-in, or none
    effort_time: str | None = Field(default=None, max_length=5)  # after-session check-in
    active: bool = True
    prescription_id: int | None = Field(default=None, foreign_key="prescription.id")
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_by: int | None = Field(default=None, foreign_key="staff_user.id")

"""The stored domain: staff, patients, their clinical data, classes, heart-rate samples, audit.

Tables only; rules live in the engine and the storage functions beside this module. Every time is
stored in UTC (SQLModel's `UTCDateTime` refuses naive values and returns aware ones, on SQLite too);
the one wall-clock time, a class's local start, is explicitly naive. Every phone number is E.164.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import NaiveDatetime
from sqlmodel import JSON, Column, Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(nullable: bool = False, index: bool = False) -> Any:
    """A UTC timestamp column: required unless nullable (then it defaults to None)."""
    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable, index=index)
    return Field(default=None, sa_column=column) if nullable else Field(sa_column=column)


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


ROLES_STAFF = ("coach", "admin")


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    password_hash: str | None = Field(default=None, max_length=255)
    time_zone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=8)  # the language of their own pages
    active: bool = True
    created_at: datetime = _created()


class Patient(SQLModel, table=True):
    __tablename__ = "patient"

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = Field(foreign_key="staff_user.id", index=True)
    name: str = Field(max_length=200)
    phone: str = Field(max_length=16, unique=True, index=True)
    email: str | None = Field(default=None, max_length=254)
    time_zone: str = Field(max_length=64)
    language: str = Field(default="en", max_length=8)
    sms_only: bool = False
    # How the patient joins a live class: "browser" (a join link) or "phone" (dial in; their
    # reminders give the number and the class PIN, as they do for an SMS-only patient).
    join_by: str = Field(default="browser", max_length=8)
    sms_consent: bool = False
    sms_consent_at: datetime | None = _when(nullable=True)
    created_at: datetime = _created()


class ClinicalProfile(SQLModel, table=True):
    """The engine's profile document (shared/clinical/PRESCRIPTION.md), validated before storage."""

    __tablename__ = "clinical_profile"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", unique=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _created()
    updated_by: int | None = Field(default=None, foreign_key="staff_user.id")


class Assessment(SQLModel, table=True):
    __tablename__ = "assessment"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: str = Field(max_length=40)
    value: float
    measured_at: datetime = _when()
    recorded_by: int | None = Field(default=None, foreign_key="staff_user.id")
    note: str | None = Field(default=None, max_length=500)


class Prescription(SQLModel, table=True):
    """A versioned prescription; only an approved one drives zones and coaching."""

    __tablename__ = "prescription"
    __table_args__ = (sa.UniqueConstraint("patient_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    version: int
    status: str = Field(max_length=16)  # draft, approved, superseded
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    profile_snapshot: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = _created()
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    approved_at: datetime | None = _when(nullable=True)
    approved_by: int | None = Field(default=None, foreign_key="staff_user.id")


class ClassSeries(SQLModel, table=True):
    """A class as the coach plans it: first start in the coach's zone, optional RRULE."""

    __tablename__ = "class_series"

    id: int | None = Field(default=None, primary_key=True)
    coach_id: int = Field(foreign_key="staff_user.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    time_zone: str = Field(max_length=64)
    first_start_local: NaiveDatetime  # wall-clock time in time_zone
    duration_minutes: int
    rrule: str | None = Field(default=None, max_length=500)
    capacity: int = 12
    auto_admit: bool = False
    created_at: datetime = _created()
    cancelled_at: datetime | None = _when(nullable=True)


class ClassOccurrence(SQLModel, table=True):
    __tablename__ = "class_occurrence"
    __table_args__ = (sa.UniqueConstraint("series_id", "original_start"),)

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="class_series.id", index=True)
    original_start: datetime = _when()  # the RRULE's instant; stays put when moved
    starts_at: datetime = _when(index=True)
    ends_at: datetime = _when()
    status: str = Field(default="scheduled", max_length=16)  # scheduled, cancelled


class Enrollment(SQLModel, table=True):
    __tablename__ = "enrollment"
    __table_args__ = (sa.UniqueConstraint("series_id", "patient_id"),)

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="class_series.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    created_at: datetime = _created()


class HeartRateSample(SQLModel, table=True):
    __tablename__ = "heart_rate_sample"
    __table_args__ = (sa.UniqueConstraint("patient_id", "t"),)

    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique (patient_id, t) serves every lookup by patient, and each
    # index is one more write for every reading stored.
    patient_id: int = Field(foreign_key="patient.id")
    occurrence_id: int | None = Field(default=None, foreign_key="class_occurrence.id", index=True)
    t: datetime = _when()
    bpm: int
    rr_ms: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    source: str = Field(max_length=16)  # ble, api, fhir, simulator


class JoinLink(SQLModel, table=True):
    """A patient's way in: the signed token names this row, which can expire or be revoked."""

    __tablename__ = "join_link"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    nonce: str = Field(max_length=64, unique=True)
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = _created()
    expires_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    # One action over a span of time: a class's room events (coach/room_events.py), read by every
    # page that tags a class and every room connection, among every page view audited meanwhile.
    __table_args__ = (sa.Index("ix_audit_event_action_at", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    actor_kind: str = Field(max_length=16)  # staff, patient, system, cli, anonymous
    actor_id: int | None = None
    action: str = Field(max_length=64)
    patient_id: int | None = Field(default=None, index=True)
    outcome: str = Field(max_length=16)  # ok, denied, error
    detail: str = Field(default="", max_length=500)

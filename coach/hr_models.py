"""Tables for live heart rate: per-device ingest tokens and the alerts a class raised.

The readings themselves are `coach.models.HeartRateSample` (unique per patient and time).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from coach.models import _created, _when


class DeviceToken(SQLModel, table=True):
    """A bearer token for one device or vendor bridge, bound to one patient; stored as a digest."""

    __tablename__ = "device_token"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)
    created_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = _created()
    last_used_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)


class HeartRateAlert(SQLModel, table=True):
    """One alert episode. The unique key lets every process evaluate the same stream and store it
    once: an episode is named by its patient, kind and the reading time at which it began."""

    __tablename__ = "heart_rate_alert"
    __table_args__ = (sa.UniqueConstraint("occurrence_id", "patient_id", "kind", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="class_occurrence.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: str = Field(max_length=16)  # over_ceiling, no_signal, sudden_drop
    started_at: datetime = _when()
    raised_at: datetime = _when()
    bpm: int | None = None
    detail: str = Field(default="", max_length=200)
    acknowledged_at: datetime | None = _when(nullable=True)
    acknowledged_by: int | None = Field(default=None, foreign_key="staff_user.id")

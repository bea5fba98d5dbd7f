"""Tables for live heart rate: per-device ingest tokens (the alerts a class raises are
`coach.alerts.Alert`).

The readings themselves are `coach.models.HeartRateSample` (unique per patient and time).
"""

from __future__ import annotations

from datetime import datetime

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

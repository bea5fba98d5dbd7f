"""SMS tables: every message in and out, and each patient's SMS state (opt-out, last question).

A message's `provider_sid` is Twilio's MessageSid (or the outbox's own id); it is unique, so a
webhook delivered twice is stored once. Phone numbers are E.164; bodies are kept as sent/received.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import JSON, Column, Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from coach.models import utcnow


def _utc(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class SmsMessage(SQLModel, table=True):
    __tablename__ = "sms_message"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    direction: str = Field(max_length=3)  # in, out
    phone: str = Field(max_length=16)  # the patient's side of the conversation, E.164
    body: str = Field(max_length=1600)
    purpose: str = Field(default="", max_length=32)  # out: reminder, coaching, manual, safety...
    urgent: bool = False
    status: str = Field(max_length=16)  # out: queued..delivered/failed; in: received
    error_code: str | None = Field(default=None, max_length=32)
    provider_sid: str | None = Field(default=None, max_length=64, unique=True)
    segments: int = 1
    encoding: str = Field(default="GSM-7", max_length=8)
    question: str | None = Field(default=None, max_length=16)  # out: what a bare number answers
    intent: str | None = Field(default=None, max_length=16)  # in: parsed meaning
    value: float | None = None
    red_flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    needs_reply: bool = False  # in: free text waiting in the coach's inbox
    sent_by: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
    status_at: datetime = Field(default_factory=utcnow, sa_column=_utc())


class SmsPatientState(SQLModel, table=True):
    __tablename__ = "sms_patient_state"

    patient_id: int = Field(foreign_key="patient.id", primary_key=True)
    opted_out: bool = False
    opt_changed_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    opt_source: str | None = Field(default=None, max_length=32)  # keyword, carrier_21610
    last_question: str | None = Field(default=None, max_length=16)  # rpe, fatigue
    last_question_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))

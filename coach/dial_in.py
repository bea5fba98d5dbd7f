"""Joining a live class by phone: the class PIN a caller types, and the one-time token that ties
a call's media stream to the class and person the voice webhook recognised.

A PIN belongs to one class occurrence; it is made the first time anyone needs it (a reminder, the
patient's page, a caller) and only has to be unique among classes whose rooms could be open at the
same time. A stream token is stored as its hash, lives a few minutes and is spent by the first
stream that presents it (an UPDATE that only one process can win).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from coach.classes import RoomWindow
from coach.models import ClassOccurrence, ClassSeries, Enrollment, Patient, _when
from coach.room_events import ended_since_it_opened

PIN_DIGITS = 6
# Two classes whose PINs could both be typed at once are never this close together.
PIN_UNIQUE_WITHIN = timedelta(days=2)
TOKEN_LIFETIME = timedelta(minutes=2)  # Twilio opens the stream within a second of our answer


class ClassPin(SQLModel, table=True):
    __tablename__ = "class_pin"

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="class_occurrence.id", unique=True)
    pin: str = Field(max_length=12, index=True)


class VoiceToken(SQLModel, table=True):
    """A call the voice webhook let through to a class: who, which class, spent or not."""

    __tablename__ = "voice_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    occurrence_id: int = Field(foreign_key="class_occurrence.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    caller_label: str = Field(max_length=40)  # what the coach sees for an unknown number
    language: str = Field(default="en", max_length=8)
    call_sid: str = Field(max_length=64)
    expires_at: datetime = _when()
    used_at: datetime | None = _when(nullable=True)
    # Why the room ended the call ("ended", "removed", ...): which goodbye the caller hears.
    ended_by: str | None = Field(default=None, max_length=32)


@dataclass(frozen=True)
class Caller:
    """Who a stream token lets in."""

    occurrence_id: int
    patient_id: int | None
    label: str
    language: str
    call_sid: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _open_occurrences(window: RoomWindow, now: datetime) -> SelectOfScalar[int | None]:
    return (
        select(col(ClassOccurrence.id))
        .join(ClassSeries, ClassSeries.id == ClassOccurrence.series_id)  # type: ignore[arg-type]
        .where(
            ClassOccurrence.status == "scheduled",
            col(ClassSeries.cancelled_at).is_(None),
            ClassOccurrence.starts_at <= now + window.opens_before,
            ClassOccurrence.ends_at > now - window.closes_after,
        )
    )


def patient_by_phone(session: Session, phone: str) -> Patient | None:
    return session.exec(select(Patient).where(Patient.phone == phone)).first()


def open_class_for(
    session: Session, patient_id: int, window: RoomWindow, now: datetime
) -> int | None:
    """The patient's class whose room is open now (the earliest, if two overlap)."""
    query = (
        _open_occurrences(window, now)
        .join(Enrollment, Enrollment.series_id == ClassOccurrence.series_id)  # type: ignore[arg-type]
        .where(Enrollment.patient_id == patient_id)
        .order_by(col(ClassOccurrence.starts_at))
    )
    return session.exec(query).first()


def enrolled(session: Session, patient_id: int, occurrence_id: int) -> bool:
    query = (
        select(Enrollment.id)
        .join(ClassOccurrence, ClassOccurrence.series_id == Enrollment.series_id)  # type: ignore[arg-type]
        .where(Enrollment.patient_id == patient_id, ClassOccurrence.id == occurrence_id)
    )
    return session.exec(query).first() is not None


def class_by_pin(session: Session, pin: str, window: RoomWindow, now: datetime) -> int | None:
    if not (pin.isdigit() and len(pin) == PIN_DIGITS):
        return None
    query = (
        _open_occurrences(window, now)
        .join(ClassPin, ClassPin.occurrence_id == ClassOccurrence.id)  # type: ignore[arg-type]
        .where(ClassPin.pin == pin)
    )
    return session.exec(query).first()


def ended_early(session: Session, occurrence_id: int, window: RoomWindow) -> bool:
    """Its coach ended the class before its room closed (and has not started it again): a caller
    is told so, not put through to a room that would refuse them (docs/voice.md)."""
    occurrence = session.get(ClassOccurrence, occurrence_id)
    return occurrence is not None and ended_since_it_opened(
        session, occurrence, window.opens_before
    )


def pin_for(session: Session, occurrence_id: int) -> str:
    """The occurrence's PIN, made now if nobody needed it before."""
    existing = session.exec(select(ClassPin).where(ClassPin.occurrence_id == occurrence_id)).first()
    if existing is not None:
        return existing.pin
    occurrence = session.get(ClassOccurrence, occurrence_id)
    if occurrence is None:
        raise LookupError(f"no class occurrence {occurrence_id}")
    near = (
        select(ClassPin.pin)
        .join(ClassOccurrence, ClassOccurrence.id == ClassPin.occurrence_id)  # type: ignore[arg-type]
        .where(
            ClassOccurrence.starts_at > occurrence.starts_at - PIN_UNIQUE_WITHIN,
            ClassOccurrence.starts_at < occurrence.starts_at + PIN_UNIQUE_WITHIN,
        )
    )
    taken = set(session.exec(near).all())
    while True:
        pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
        if pin not in taken and pin[0] != "0":  # a leading 0 is easy to mistype as missing
            break
    session.add(ClassPin(occurrence_id=occurrence_id, pin=pin))
    session.flush()
    return pin


def issue_token(session: Session, caller: Caller, now: datetime) -> str:
    token = secrets.token_urlsafe(24)
    session.add(
        VoiceToken(
            token_hash=_hash(token),
            occurrence_id=caller.occurrence_id,
            patient_id=caller.patient_id,
            caller_label=caller.label[:40],
            language=caller.language,
            call_sid=caller.call_sid,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    session.flush()
    return token


def spend_token(session: Session, token: str, call_sid: str, now: datetime) -> Caller | None:
    """The caller the token was issued for, once: a used, expired or unknown token (or one
    presented for another call) gives None."""
    if not token or len(token) > 128:
        return None
    table = VoiceToken.__table__  # type: ignore[attr-defined]
    spent = session.execute(
        sa.update(table)
        .where(
            table.c.token_hash == _hash(token),
            table.c.used_at.is_(None),
            table.c.expires_at > now,
            table.c.call_sid == call_sid,
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = session.exec(select(VoiceToken).where(VoiceToken.token_hash == _hash(token))).one()
    return Caller(row.occurrence_id, row.patient_id, row.caller_label, row.language, row.call_sid)


def record_ending(session: Session, call_sid: str, ended_by: str) -> None:
    """Note why the room ended a call, before its stream closes (Twilio then asks which goodbye)."""
    table = VoiceToken.__table__  # type: ignore[attr-defined]
    session.execute(
        sa.update(table)
        .where(table.c.call_sid == call_sid, table.c.used_at.is_not(None))
        .values(ended_by=ended_by[:32])
    )


def ending_of(session: Session, call_sid: str) -> str | None:
    """Why the room ended this call, if it did (None: the line dropped or nobody said)."""
    query = select(VoiceToken.ended_by).where(
        VoiceToken.call_sid == call_sid, col(VoiceToken.used_at).is_not(None)
    )
    return session.exec(query).first()

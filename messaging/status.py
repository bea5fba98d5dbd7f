"""Delivery status: it only moves forward, and a final one (delivered, failed...) never changes.

    accepted, scheduled, queued  <  sending  <  sent  <  delivered, read, undelivered, failed...

A failure keeps its error code; error 21610 (the number replied STOP to the carrier) opts the
patient out here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from messaging import state
from messaging.models import SmsMessage


@dataclass(frozen=True)
class StatusReport:
    """A delivery report: Twilio's status callback for one of our messages."""

    message_id: int | None  # ours, from the callback URL; None for an older message
    provider_sid: str
    status: str
    error_code: str | None
    received_at: datetime


RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "read": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
}
FINAL = 3
FAILURES = frozenset({"undelivered", "failed", "canceled"})
OPTED_OUT_CODE = "21610"


class UnknownStatus(ValueError):
    def __init__(self, status: str) -> None:
        super().__init__(f"unknown message status {status[:40]!r}")
        self.status = status


def check_status(status: str) -> None:
    if status not in RANK:
        raise UnknownStatus(status)


class SidMismatch(ValueError):
    """A callback names one of our messages with another provider SID: it is not about that one."""


def advance(message: SmsMessage, status: str, error_code: str | None, now: datetime) -> bool:
    """Move `message` to `status` if that is forward; True when it changed."""
    check_status(status)
    current = RANK.get(message.status, 0)
    if current >= FINAL or RANK[status] <= current:
        return False
    message.status = status
    message.status_at = now
    if status in FAILURES:
        message.error_code = error_code or message.error_code
    return True


def find_outgoing(session: Session, message_id: int | None, provider_sid: str) -> SmsMessage | None:
    if message_id is not None:
        message = session.get(SmsMessage, message_id)
        if message is None or message.direction != "out":
            return None
        if message.provider_sid not in (None, provider_sid):
            raise SidMismatch(f"message {message_id} has another provider SID")
        return message
    return session.exec(
        select(SmsMessage).where(
            SmsMessage.provider_sid == provider_sid, SmsMessage.direction == "out"
        )
    ).first()


def apply_status(session: Session, report: StatusReport) -> SmsMessage | None:
    """A status callback: None when the message is not ours, else the (maybe updated) message."""
    check_status(report.status)
    message = find_outgoing(session, report.message_id, report.provider_sid)
    if message is None:
        return None
    if message.provider_sid is None:
        # The callback can arrive before the send call has returned and stored the SID.
        message.provider_sid = report.provider_sid
    now, error_code = report.received_at, report.error_code
    changed = advance(message, report.status, error_code, now)
    if changed and error_code == OPTED_OUT_CODE and message.patient_id is not None:
        state.set_opted_out(session, message.patient_id, True, "carrier_21610", now)
    session.add(message)
    return message

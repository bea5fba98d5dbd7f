"""Rows a dead runner left `sending`: decided from what was stored, never by sending blindly.

The `sms_message` row and the outbox's link to it are committed together before the transport is
called, so:
- no link: the transport was never called; the row goes back to `pending` and is sent later;
- a link to a message the provider acknowledged (a SID, a delivery status): it was sent;
- a link to a message still `queued` without a SID: the runner died during or right after the
  call and nobody knows whether the provider took it. The row becomes `unconfirmed` and is never
  sent again (at most one text); a late delivery report for the message turns it `sent`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from messaging.models import SmsMessage
from messaging.status import FAILURES
from scheduler import outbox
from scheduler.models import FAILED, PENDING, SENT, UNCONFIRMED, ScheduledMessage

UNCONFIRMED_WATCH = timedelta(days=2)  # how long a late delivery report can still confirm a row
DIED_MID_SEND = "runner_died_mid_send"

# Codes the sender stores for failures a retry may fix (provider 429/5xx, no connection).
TRANSIENT_PREFIXES = ("http_429", "http_5", "20429", "20500", "20503", "network")


def is_transient(error_code: str | None) -> bool:
    # A timeout may come after the provider accepted the message: never "transient" for a resend.
    return (
        bool(error_code)
        and error_code != "network_timeout"
        and (error_code or "").startswith(TRANSIENT_PREFIXES)
    )


def verdict(message: SmsMessage | None) -> tuple[str, str | None]:
    """What a linked message says about its outbox row: (status, reason)."""
    if message is None:
        return PENDING, "reclaimed"
    if message.status in FAILURES:
        if is_transient(message.error_code):
            return PENDING, f"retry_{message.error_code}"[:64]
        return FAILED, message.error_code or message.status
    if message.provider_sid or message.status not in ("queued", "accepted", "scheduled"):
        return SENT, None
    return UNCONFIRMED, DIED_MID_SEND


def reconcile(session: Session, now: datetime, lease: timedelta) -> dict[str, int]:
    """Settle stale claims and re-read unconfirmed rows; counts per new status."""
    counts: dict[str, int] = {}
    for row in outbox.stale_claims(session, now, lease):
        message = session.get(SmsMessage, row.sms_message_id) if row.sms_message_id else None
        status, reason = verdict(message)
        if row.sms_message_id is None:
            status, reason = PENDING, "reclaimed"
        if outbox.take_back(session, row, status, reason, now):
            counts[status] = counts.get(status, 0) + 1
    for row in outbox.unconfirmed(session, now - UNCONFIRMED_WATCH):
        _confirm_late(session, row, now, counts)
    return counts


def _confirm_late(
    session: Session, row: ScheduledMessage, now: datetime, counts: dict[str, int]
) -> None:
    message = session.get(SmsMessage, row.sms_message_id) if row.sms_message_id else None
    status, reason = verdict(message)
    # Only the provider's word moves an unconfirmed row: it never goes back to pending.
    if status in (SENT, FAILED) and outbox.take_back(session, row, status, reason, now):
        counts[status] = counts.get(status, 0) + 1

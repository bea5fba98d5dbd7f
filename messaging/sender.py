"""`SmsSender`: the one way a text goes out, whoever sends it (replies, the scheduler, a coach).

For each message: check the patient may get it (opt-out, consent), check the text (no diagnosis
words, at most 1600 characters), store the row as `queued`, call the transport, store the outcome.
The row is committed before the transport is called, so a crash in between leaves a `queued` row to
reconcile rather than a text nobody knows was sent. Blocking work runs in a worker thread.

    sender = SmsSender(db, transport, status_callback_base="https://clinic.example/sms/status")
    result = await sender.send(patient_id, "reminder", text, validity_seconds=3600)
    if result.refused: ...      # "opted_out", "no_consent", "no_patient"
    elif result.retryable: ...  # 429, 5xx, network: the scheduler may try again later
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import anyio.to_thread
from sqlalchemy import func
from sqlmodel import Session, col, select

from coach.access import Actor
from coach.audit import record, record_system
from coach.clock import Clock, SystemClock
from coach.database import Database
from coach.models import Patient
from messaging import state
from messaging.models import SmsMessage, SmsPatientState
from messaging.privacy import check_sms_text
from messaging.segments import count_segments
from messaging.status import OPTED_OUT_CODE, advance
from messaging.transport import OutgoingSms, SmsTransport

log = logging.getLogger("telecoach.sms")

MAX_BODY = 1600  # Twilio's limit for one (concatenated) message
# Carrier rules: an opted-out number still gets the one opt-out confirmation and HELP answers.
ALWAYS_ALLOWED = frozenset({"opt_out_confirm", "help"})
# Answers to a text the patient just sent: they need no standing SMS consent.
REPLY_PURPOSES = frozenset(
    {"opt_out_confirm", "opt_in_confirm", "help", "safety", "ack", "ack_free_text"}
)


class SmsBodyError(ValueError):
    """A body that cannot go out; `code` ("empty", "too_long") and `length` let a page say why
    in its reader's words."""

    def __init__(self, message: str, code: str, length: int = 0) -> None:
        super().__init__(message)
        self.field = "body"
        self.code = code
        self.length = length


@dataclass(frozen=True)
class SendResult:
    message_id: int | None
    status: str  # the row's status after the call; "refused" when nothing was stored or sent
    error_code: str | None = None
    retryable: bool = False
    refused: str | None = None  # opted_out, no_consent, no_patient


@dataclass(frozen=True)
class Transmitted:
    """A message stored and handed to the transport, whose outcome is not stored yet."""

    message_id: int
    status: str
    provider_sid: str | None
    error_code: str | None
    retryable: bool


def check_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise SmsBodyError("the message is empty", "empty")
    if len(text) > MAX_BODY:
        raise SmsBodyError(
            f"the message is {len(text)} characters; at most {MAX_BODY}", "too_long", len(text)
        )
    check_sms_text(text)
    return text


def manual_sends_since(session: Session, patient_id: int, since: datetime) -> list[datetime]:
    """When staff sent this patient a manual text since `since`, oldest first (for rate limits)."""
    rows = session.exec(
        select(SmsMessage.created_at)
        .where(SmsMessage.patient_id == patient_id, SmsMessage.purpose == "manual")
        .where(col(SmsMessage.created_at) >= since)
        .order_by(col(SmsMessage.created_at))
    )
    return list(rows)


def count_outgoing(session: Session, patient_id: int, purpose: str, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(SmsMessage)
        .where(SmsMessage.patient_id == patient_id, SmsMessage.purpose == purpose)
        .where(SmsMessage.direction == "out", col(SmsMessage.created_at) >= since)
    )
    return int(session.exec(query).one())


def outgoing_row(
    patient: Patient,
    purpose: str,
    text: str,
    status: str,
    at: datetime,
    *,
    urgent: bool,
    question: str | None = None,
    sent_by: int | None = None,
) -> SmsMessage:
    count = count_segments(text)
    return SmsMessage(
        patient_id=patient.id,
        direction="out",
        phone=patient.phone,
        body=text,
        purpose=purpose,
        urgent=urgent,
        status=status,
        segments=count.segments,
        encoding=count.encoding,
        question=question,
        sent_by=sent_by,
        created_at=at,
        status_at=at,
    )


class SmsSender:
    def __init__(
        self,
        db: Database,
        transport: SmsTransport,
        status_callback_base: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.transport = transport
        self.status_callback_base = status_callback_base

    async def send(
        self,
        patient_id: int,
        purpose: str,
        body: str,
        *,
        urgent: bool = False,
        validity_seconds: int | None = None,
        question: str | None = None,
        sent_by: int | None = None,
    ) -> SendResult:
        work = functools.partial(
            self.send_blocking,
            patient_id,
            purpose,
            body,
            urgent=urgent,
            validity_seconds=validity_seconds,
            question=question,
            sent_by=sent_by,
        )
        return await anyio.to_thread.run_sync(work)

    def send_blocking(
        self,
        patient_id: int,
        purpose: str,
        body: str,
        *,
        urgent: bool = False,
        validity_seconds: int | None = None,
        question: str | None = None,
        sent_by: int | None = None,
        on_stored: Callable[[Session, int], None] | None = None,
    ) -> SendResult:
        """`send` for callers already on a worker thread (a worker process, a CLI command).

        `on_stored(session, message_id)` runs in the transaction that stores the message row,
        before the transport is called (the scheduler links its outbox row there; raising in it
        stores and sends nothing)."""
        step = self.transmit(
            patient_id,
            purpose,
            body,
            urgent=urgent,
            validity_seconds=validity_seconds,
            question=question,
            sent_by=sent_by,
            on_stored=on_stored,
        )
        if isinstance(step, SendResult):
            return step
        return self.db.run_sync(self.record, step)

    def transmit(
        self,
        patient_id: int,
        purpose: str,
        body: str,
        *,
        urgent: bool = False,
        validity_seconds: int | None = None,
        question: str | None = None,
        sent_by: int | None = None,
        on_stored: Callable[[Session, int], None] | None = None,
    ) -> SendResult | Transmitted:
        """Store the message row (committed) and call the transport, without storing the outcome:
        the caller stores it with `record`, possibly together with many others in one
        transaction (the scheduler settles a batch at once). A refusal is returned as it is."""
        text = check_body(body)
        if validity_seconds is not None and validity_seconds <= 0:
            raise ValueError("validity_seconds must be positive")
        prepared = self.db.run_sync(
            self._prepare, patient_id, purpose, text, urgent, question, sent_by, on_stored
        )
        if isinstance(prepared, SendResult):
            return prepared
        message_id, phone = prepared
        callback = (
            f"{self.status_callback_base}?m={message_id}" if self.status_callback_base else None
        )
        outgoing = OutgoingSms(phone, text, message_id, callback, validity_seconds)
        result = self.transport.send(outgoing)
        return Transmitted(
            message_id, result.status, result.provider_sid, result.error_code, result.retryable
        )

    def record(self, session: Session, sent: Transmitted) -> SendResult:
        """Store what the transport said about a `transmit`ted message (in `session`)."""
        message = session.get(SmsMessage, sent.message_id)
        assert message is not None
        now = self.clock.now()
        if sent.provider_sid and message.provider_sid is None:
            message.provider_sid = sent.provider_sid
        advance(message, sent.status, sent.error_code, now)
        if sent.error_code == OPTED_OUT_CODE and message.patient_id is not None:
            state.set_opted_out(session, message.patient_id, True, "carrier_21610", now)
        session.add(message)
        log.info(
            "sms %s %s: %s %s",
            sent.message_id,
            message.purpose,
            message.status,
            sent.error_code or "",
        )
        return SendResult(sent.message_id, message.status, message.error_code, sent.retryable)

    def record_answered(
        self, session: Session, patient_id: int, purpose: str, body: str, at: datetime
    ) -> int | None:
        """A reply that went in the webhook's own answer (TwiML, sent by Twilio, so no id or
        status report of ours): stored as sent, for the patient's thread and the audit trail.
        To a patient who opted out it is stored as failed with Twilio's opt-out error: Twilio
        does not send to a number that texted STOP, and the coach must not read it as sent."""
        patient = session.get(Patient, patient_id)
        if patient is None:
            return None
        blocked = state.is_opted_out(session, patient_id)
        message = outgoing_row(
            patient, purpose, body, "failed" if blocked else "sent", at, urgent=True
        )
        if blocked:
            message.error_code = OPTED_OUT_CODE
        session.add(message)
        session.flush()
        detail = f"message {message.id}: {purpose}, answered at once"
        if blocked:
            detail += " (opted out: blocked by Twilio)"
        record_system(session, "system", "sms.send", patient_id, detail=detail)
        return message.id

    def _prepare(
        self,
        session: Session,
        patient_id: int,
        purpose: str,
        text: str,
        urgent: bool,
        question: str | None,
        sent_by: int | None,
        on_stored: Callable[[Session, int], None] | None = None,
    ) -> SendResult | tuple[int, str]:
        # The patient and their opt-out in one query: this runs once for every text sent.
        found = session.exec(
            select(Patient, SmsPatientState.opted_out)
            .outerjoin(SmsPatientState, col(SmsPatientState.patient_id) == col(Patient.id))
            .where(Patient.id == patient_id)
        ).first()
        if found is None:
            return SendResult(None, "refused", refused="no_patient")
        patient, opted_out = found
        if purpose not in ALWAYS_ALLOWED and opted_out:
            return SendResult(None, "refused", refused="opted_out")
        if purpose not in REPLY_PURPOSES and not patient.sms_consent:
            return SendResult(None, "refused", refused="no_consent")
        now = self.clock.now()
        message = outgoing_row(
            patient, purpose, text, "queued", now, urgent=urgent, question=question, sent_by=sent_by
        )
        session.add(message)
        if question:
            state.ask(session, patient_id, question, now)
        session.flush()
        assert message.id is not None
        detail = f"message {message.id}: {purpose}"
        if sent_by is not None:
            record(session, Actor("coach", staff_id=sent_by), "sms.send", patient_id, detail=detail)
        else:
            record_system(session, "system", "sms.send", patient_id, detail=detail)
        if on_stored is not None:
            on_stored(session, message.id)
        return message.id, patient.phone

    def close(self) -> None:
        self.transport.close()

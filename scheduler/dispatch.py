"""Sending one claimed row: check it again, pace it, hand it to the SMS sender, record the outcome.

Three short transactions and the transport call between them:
1. `examine` the row (opt-out, holds, consent, quiet hours, the class or plan as it is now) and
   write its text; a task (the weekly review) runs and finishes here, in one transaction;
2. the sender stores the message row and, in the same transaction, our link to it; then calls
   the transport;
3. the outcome: sent; a retry later with backoff (429, 5xx); failed for good (21610, 21211);
   `unconfirmed` when the provider may or may not have it (a timeout): never resent.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

import anyio.to_thread
from sqlmodel import Session

from coach.database import Database
from coach.rules import RuleSet
from messaging.sender import SendResult, SmsSender
from scheduler import outbox, reviews
from scheduler.checks import Send, Settle, examine
from scheduler.clock import Clock
from scheduler.config import SchedulerConfig
from scheduler.models import DROPPED, FAILED, PENDING, SENT, UNCONFIRMED
from scheduler.pacing import RateLimiter, take
from scheduler.reconcile import is_transient

log = logging.getLogger("telecoach.scheduler")
LOST = "lost"  # the claim was taken back meanwhile: this runner does nothing more with the row


class ClaimLost(RuntimeError):
    """Raised inside the sender's transaction when our claim is gone: nothing is stored or sent."""


@dataclass(frozen=True)
class Prepared:
    patient_id: int
    send: Send
    urgent: bool
    deliver_by: datetime | None


def prepare(
    session: Session,
    row_id: int,
    worker: str,
    cfg: SchedulerConfig,
    rules: RuleSet | None,
    now: datetime,
) -> Prepared | str:
    row = outbox.owned(session, row_id, worker)
    if row is None:
        return LOST
    if row.kind == "task":
        if rules is None:
            raise RuntimeError("this runner was given no clinical rules for the weekly review")
        reason = reviews.run(session, rules, row.patient_id, row.ref, now)
        outbox.finish(session, row_id, worker, SENT, now, reason=reason)
        return SENT
    step = examine(session, row, cfg, now)
    if isinstance(step, Settle):
        outbox.finish(
            session,
            row_id,
            worker,
            step.status,
            now,
            reason=step.reason,
            due_at=step.due_at,
            not_an_attempt=step.not_an_attempt,
        )
        return step.status
    return Prepared(row.patient_id, step, row.urgent, row.deliver_by)


def settle_result(
    session: Session,
    row_id: int,
    worker: str,
    result: SendResult,
    deliver_by: datetime | None,
    cfg: SchedulerConfig,
    now: datetime,
) -> str:
    row = outbox.owned(session, row_id, worker)
    if row is None:
        return LOST
    status, reason, due = SENT, None, None
    if result.refused:
        status, reason = DROPPED, result.refused
    elif result.status == "failed":
        code = result.error_code or "failed"
        if code == "network_timeout":
            status, reason = UNCONFIRMED, code  # the provider may have it: never resent
        elif result.retryable or is_transient(code):
            due = now + cfg.backoff(row.attempts)
            if row.attempts >= cfg.max_attempts or (deliver_by is not None and due >= deliver_by):
                status, reason = FAILED, f"gave_up_{code}"[:64]
            else:
                status, reason = PENDING, f"retry_{code}"[:64]
        else:
            status, reason = FAILED, code[:64]
    outbox.finish(session, row_id, worker, status, now, reason=reason, due_at=due)
    return status


def settle_error(
    session: Session,
    row_id: int,
    worker: str,
    error: BaseException,
    cfg: SchedulerConfig,
    now: datetime,
) -> str:
    """Something raised (the database, a bug): retry later unless a message may have gone out."""
    row = outbox.owned(session, row_id, worker)
    if row is None:
        return LOST
    name = type(error).__name__
    if row.sms_message_id is not None:
        outbox.finish(session, row_id, worker, UNCONFIRMED, now, reason=f"error_{name}"[:64])
        return UNCONFIRMED
    if row.attempts >= cfg.max_attempts:
        outbox.finish(session, row_id, worker, FAILED, now, reason=f"error_{name}"[:64])
        return FAILED
    due = now + cfg.backoff(row.attempts)
    outbox.finish(session, row_id, worker, PENDING, now, reason=f"error_{name}"[:64], due_at=due)
    return PENDING


class Dispatcher:
    def __init__(
        self,
        db: Database,
        sender: SmsSender,
        cfg: SchedulerConfig,
        limiter: RateLimiter,
        clock: Clock,
        *,
        worker: str,
        sender_key: str = "default",
        rules: RuleSet | None = None,
    ) -> None:
        self.db, self.sender, self.cfg = db, sender, cfg
        self.limiter, self.clock = limiter, clock
        self.worker, self.sender_key, self.rules = worker, sender_key, rules

    async def dispatch(self, row_id: int) -> str:
        """Take one claimed row to its next state; returns that state (or `lost`)."""
        try:
            return await self._dispatch(row_id)
        except ClaimLost:
            return LOST
        except Exception as exc:
            log.exception("scheduled row %s failed", row_id)
            return await self.db.run(
                settle_error, row_id, self.worker, exc, self.cfg, self.clock.now()
            )

    async def _dispatch(self, row_id: int) -> str:
        step = await self.db.run(
            prepare, row_id, self.worker, self.cfg, self.rules, self.clock.now()
        )
        if not isinstance(step, Prepared):
            return step
        if not step.urgent:  # safety texts never wait behind the queue
            await take(self.limiter, self.sender_key, self.clock)

        def link(session: Session, message_id: int) -> None:
            if not outbox.link_message(session, row_id, self.worker, message_id):
                raise ClaimLost(f"row {row_id} was taken back before sending")

        send = functools.partial(
            self.sender.send_blocking,
            step.patient_id,
            step.send.sms_purpose,
            step.send.body,
            urgent=step.urgent,
            validity_seconds=step.send.validity_seconds,
            question=step.send.question,
            on_stored=link,
        )
        result = await anyio.to_thread.run_sync(send)
        return await self.db.run(
            settle_result, row_id, self.worker, result, step.deliver_by, self.cfg, self.clock.now()
        )

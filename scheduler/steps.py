"""The transactions of sending claimed rows, each a function of a session (`Dispatcher` in
scheduler/dispatch.py runs them, and the transport calls between them):

- `prepare_batch` examines a claimed batch (`prepare` one row, the one-at-a-time fallback) and
  settles the rows that will not be sent;
- `settle_sent` stores what became of texts handed to the sender (`settle_result` for one
  outcome, `settle_error` for an exception), for a group of rows at once.

Every change is conditional on this runner's claim (`outbox.finish`): a row whose claim was taken
back meanwhile is `lost` to this runner and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from coach.models import ClassOccurrence, ClassSeries, Patient
from coach.rules import RuleSet
from messaging.models import SmsMessage
from messaging.sender import SendResult, SmsSender, Transmitted
from scheduler import engagement, outbox, reviews
from scheduler.checks import Send, Settle, examine, known_for
from scheduler.config import SchedulerConfig
from scheduler.models import (
    DROPPED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    UNCONFIRMED,
    ScheduledMessage,
)
from scheduler.reconcile import is_transient
from scheduler.task_run import TaskRun

# What a task row runs, by purpose: each tells the reason to record when it did nothing and the
# alerts it raised.
TASKS = {reviews.PURPOSE: reviews.run, engagement.PURPOSE: engagement.run}
LOST = "lost"  # the claim was taken back meanwhile: this runner does nothing more with the row


class ClaimLost(RuntimeError):
    """Raised inside the sender's transaction when our claim is gone: nothing is stored or sent."""


@dataclass(frozen=True)
class Prepared:
    row_id: int
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
) -> Prepared | TaskRun | str:
    """A text to send, a task run (its row finished: `SENT`), or the state the row was settled
    in."""
    row = outbox.owned(session, row_id, worker)
    if row is None:
        return LOST
    if row.kind == "task":
        if rules is None:
            raise RuntimeError("this runner was given no clinical rules for its tasks")
        ran = TASKS[row.purpose](session, rules, row.patient_id, row.ref, now)
        outbox.finish(session, row_id, worker, SENT, now, reason=ran.reason)
        return ran
    step = examine(session, row, cfg, now, rules=rules)
    if isinstance(step, Settle):
        _settle(session, row_id, worker, step, now)
        return step.status
    return Prepared(row_id, row.patient_id, step, row.urgent, row.deliver_by)


@dataclass
class Examined:
    """A claimed batch after `prepare_batch`: texts to send (in order), tasks to run one by one,
    and the rows already settled (their new status)."""

    to_send: list[Prepared]
    tasks: list[int]
    settled: dict[int, str]


def prepare_batch(
    session: Session,
    row_ids: Sequence[int],
    worker: str,
    cfg: SchedulerConfig,
    now: datetime,
    rules: RuleSet | None = None,
) -> Examined:
    ids = list(row_ids)
    claimed = {
        row.id: row
        for row in session.exec(
            select(ScheduledMessage).where(
                col(ScheduledMessage.id).in_(ids),
                ScheduledMessage.status == SENDING,
                ScheduledMessage.claimed_by == worker,
            )
        )
    }
    # Loaded once for the batch, so that `examine` finds each patient, occurrence and class in
    # the session (which holds them weakly: `loaded` keeps them there until the end).
    patient_ids = {row.patient_id for row in claimed.values()}
    occurrence_ids = {r.occurrence_id for r in claimed.values() if r.occurrence_id is not None}
    loaded: list[object] = [
        *session.exec(select(Patient).where(col(Patient.id).in_(patient_ids))),
        *session.exec(select(ClassOccurrence).where(col(ClassOccurrence.id).in_(occurrence_ids))),
        *session.exec(
            select(ClassSeries).where(
                col(ClassSeries.id).in_({r.series_id for r in claimed.values()} - {None})
            )
        ),
    ]
    known = known_for(session, patient_ids, now)
    done = Examined([], [], {i: LOST for i in ids if i not in claimed})
    # Safety texts first, then in due order: the order in which they were meant to go.
    for row in sorted(claimed.values(), key=lambda r: (not r.urgent, r.due_at, r.id)):
        assert row.id is not None
        if row.kind == "task":
            done.tasks.append(row.id)
            continue
        step = examine(session, row, cfg, now, known, rules)
        if isinstance(step, Settle):
            _settle(session, row.id, worker, step, now)
            done.settled[row.id] = step.status
        else:
            done.to_send.append(Prepared(row.id, row.patient_id, step, row.urgent, row.deliver_by))
    del loaded
    return done


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


# What became of one text handed to the sender: stored and sent, refused, or an exception.
Outcome = Transmitted | SendResult | BaseException


def settle_sent(
    session: Session,
    sender: SmsSender,
    worker: str,
    sent: Sequence[tuple[Prepared, Outcome]],
    cfg: SchedulerConfig,
    now: datetime,
) -> dict[int, str]:
    """Store the outcomes of texts sent meanwhile, and their rows' new states, together."""
    # Loaded once: each row's and message's `get` below then finds it in the session.
    # (The session holds loaded objects weakly: `loaded` keeps them there until the end.)
    row_ids = [item.row_id for item, _ in sent]
    message_ids = [o.message_id for _, o in sent if isinstance(o, Transmitted)]
    loaded: list[object] = [
        *session.exec(select(ScheduledMessage).where(col(ScheduledMessage.id).in_(row_ids))),
        *session.exec(select(SmsMessage).where(col(SmsMessage.id).in_(message_ids))),
    ]
    states: dict[int, str] = {}
    for item, outcome in sent:
        if isinstance(outcome, ClaimLost):
            states[item.row_id] = LOST
        elif isinstance(outcome, BaseException):
            states[item.row_id] = settle_error(session, item.row_id, worker, outcome, cfg, now)
        else:
            result = (
                sender.record(session, outcome) if isinstance(outcome, Transmitted) else outcome
            )
            states[item.row_id] = settle_result(
                session, item.row_id, worker, result, item.deliver_by, cfg, now
            )
    del loaded
    return states


def _settle(session: Session, row_id: int, worker: str, step: Settle, now: datetime) -> None:
    """Store what the checks decided for a row that is not sent (now or ever)."""
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

"""Sending claimed rows: check them again, pace them, hand them to the SMS sender, record outcomes.

A claimed batch goes through few transactions (scheduler/steps.py), and one per text where it
matters:
1. `prepare_batch` examines every row of the batch in one transaction (opt-out, holds, consent,
   quiet hours, the class or plan as it is now) and settles those that will not be sent; a task
   (the weekly review, the engagement check) runs and finishes alone, in its own transaction,
   and the alerts it raised are announced to live views after it commits;
2. for each text, as its pacing slot comes: the sender stores the message row and, in the same
   transaction, our link to it, commits, then calls the transport (one text per transaction, so
   a runner that dies mid-batch leaves unconfirmed only the texts it had in flight, at most
   `concurrency`; the rest of the batch was never stored and goes back to pending);
3. the outcomes of the texts sent meanwhile are stored together in one transaction (the message
   status and the row: sent; a retry later with backoff (429, 5xx); failed for good (21610,
   21211); `unconfirmed` when the provider may or may not have it (a timeout): never resent).
If a batch transaction fails (a bug, a lost connection), its rows are handled one at a time, so
one bad row cannot hold up the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import anyio.to_thread
from sqlmodel import Session

from coach.alerts import AlertAnnouncer
from coach.clock import Clock
from coach.database import Database
from coach.rules import RuleSet
from messaging.sender import SendResult, SmsSender, Transmitted
from scheduler import outbox
from scheduler.config import SchedulerConfig
from scheduler.models import SENT
from scheduler.pacing import RateLimiter, take
from scheduler.steps import (
    LOST,
    ClaimLost,
    Outcome,
    Prepared,
    prepare,
    prepare_batch,
    settle_error,
    settle_sent,
)
from scheduler.task_run import TaskRun

log = logging.getLogger("telecoach.scheduler")


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
        alerts: AlertAnnouncer | None = None,
    ) -> None:
        self.db, self.sender, self.cfg = db, sender, cfg
        self.limiter, self.clock = limiter, clock
        self.worker, self.sender_key, self.rules = worker, sender_key, rules
        self.alerts = alerts  # live views told of the alerts tasks raise (none: only stored)

    async def dispatch_batch(
        self, row_ids: Sequence[int], gate: asyncio.Semaphore | None = None
    ) -> dict[int, str]:
        """Take claimed rows to their next states; returns each row's (or `lost`). `gate`
        bounds the texts in flight across batches (else `concurrency` for this batch)."""
        try:
            examined = await self.db.run(
                prepare_batch, row_ids, self.worker, self.cfg, self.clock.now(), self.rules
            )
        except Exception:
            log.exception("examining a batch of %s rows failed; one at a time", len(row_ids))
            return {row_id: await self.dispatch(row_id) for row_id in row_ids}
        states = dict(examined.settled)
        for row_id in examined.tasks:
            states[row_id] = await self.dispatch(row_id)
        states.update(await self._send_all(examined.to_send, gate))
        return states

    async def _send_all(
        self, batch: Sequence[Prepared], gate: asyncio.Semaphore | None = None
    ) -> dict[int, str]:
        """Send each text in its pacing slot, at most `concurrency` at a time (`gate`, shared by
        the batches a runner has in flight); store outcomes in groups, in the background, as
        soon as a group is ready, before waiting for a slot, and at the end."""
        states: dict[int, str] = {}
        finished: list[tuple[Prepared, Outcome]] = []
        gate = gate or asyncio.Semaphore(max(1, self.cfg.concurrency))
        group_size = max(1, self.cfg.concurrency)
        sending: set[asyncio.Task[None]] = set()
        settling: set[asyncio.Task[None]] = set()

        def settle_soon() -> None:
            if finished:
                task = asyncio.create_task(self._settle(finished.copy(), states))
                finished.clear()
                settling.add(task)
                task.add_done_callback(settling.discard)

        async def one(item: Prepared) -> None:
            try:
                outcome: Outcome = await anyio.to_thread.run_sync(self._transmit, item)
            except Exception as exc:
                if not isinstance(exc, ClaimLost):
                    log.exception("scheduled row %s failed", item.row_id)
                outcome = exc
            finally:
                gate.release()
            finished.append((item, outcome))
            if len(finished) >= group_size:
                settle_soon()

        for index, item in enumerate(batch):
            try:
                if not item.urgent:  # safety texts never wait behind the queue
                    wait = await self.limiter.reserve(self.sender_key, self.clock.now().timestamp())
                    if wait > 0:
                        settle_soon()
                        await self.clock.sleep(wait)
            except Exception as exc:  # the shared rate limiter is out of reach (Redis)
                log.exception("pacing failed; %s rows wait for a retry", len(batch) - index)
                finished.extend((rest, exc) for rest in batch[index:])  # none was stored
                break
            await gate.acquire()
            task = asyncio.create_task(one(item))
            sending.add(task)
            task.add_done_callback(sending.discard)
        while sending:
            await asyncio.wait(set(sending))
        settle_soon()
        while settling:
            await asyncio.wait(set(settling))
        return states

    def _transmit(self, item: Prepared) -> Transmitted | SendResult:
        """Store the text with its link (committed on its own), then hand it to the transport."""

        def link(session: Session, message_id: int) -> None:
            if not outbox.link_message(session, item.row_id, self.worker, message_id):
                raise ClaimLost(f"row {item.row_id} was taken back before sending")

        return self.sender.transmit(
            item.patient_id,
            item.send.sms_purpose,
            item.send.body,
            urgent=item.urgent,
            validity_seconds=item.send.validity_seconds,
            question=item.send.question,
            on_stored=link,
        )

    async def _settle(self, group: list[tuple[Prepared, Outcome]], states: dict[int, str]) -> None:
        try:
            states.update(
                await self.db.run(
                    settle_sent, self.sender, self.worker, group, self.cfg, self.clock.now()
                )
            )
            return
        except Exception:
            log.exception("settling %s sent rows together failed; one at a time", len(group))
        for pair in group:
            try:
                states.update(
                    await self.db.run(
                        settle_sent, self.sender, self.worker, [pair], self.cfg, self.clock.now()
                    )
                )
            except Exception:
                # Left `sending`, linked to its message: the reconciler settles it after the
                # lease from what was stored, and never sends it again.
                log.exception("settling row %s failed", pair[0].row_id)

    async def _announce(self, ran: TaskRun) -> None:
        """After the task's commit. A notice that cannot go out (Redis away) is only a prompt:
        the alert is stored, and a view loads the open ones whenever it connects."""
        if self.alerts is None:
            return
        for notice in ran.raised:
            try:
                await self.alerts.announce(notice)
            except Exception:
                log.exception("alert %s stored but not announced", notice.alert_id)

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
        if isinstance(step, TaskRun):
            await self._announce(step)
            return SENT
        if not isinstance(step, Prepared):
            return step
        if not step.urgent:
            await take(self.limiter, self.sender_key, self.clock)
        outcome = await anyio.to_thread.run_sync(self._transmit, step)
        states = await self.db.run(
            settle_sent, self.sender, self.worker, [(step, outcome)], self.cfg, self.clock.now()
        )
        return states[row_id]

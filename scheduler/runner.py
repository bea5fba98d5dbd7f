"""A runner: plans now and then, reconciles stale claims, claims due rows and dispatches them.

The same runner works in `serve` (the embedded default, started by the web app's lifespan) and
in `telecoach worker` (driven by arq's cron). Any number may run against one database: claims are
exclusive, planning is idempotent. Time comes from the injected clock only.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError

from coach.clock import Clock
from coach.database import NOT_ANSWERING, Database, why_not_answering
from scheduler import outbox, planner, reconcile
from scheduler.config import SchedulerConfig
from scheduler.dispatch import Dispatcher

log = logging.getLogger("telecoach.scheduler")
CLAIM_AHEAD_SECONDS = 0.5
# When caught up, wait at least this long before claiming again: rows due meanwhile go out
# together (fewer transactions) at the cost of this much lag.
COALESCE_SECONDS = 0.05
MAX_RECONCILE_INTERVAL = timedelta(seconds=10)


def worker_name() -> str:
    """Unique per runner; names a host and process, never a person."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(3)}"


class Runner:
    def __init__(
        self,
        db: Database,
        dispatcher: Dispatcher,
        cfg: SchedulerConfig,
        clock: Clock,
        *,
        rate_per_second: float = 1.0,
        poll_seconds: float = 1.0,
        plan_every: timedelta = timedelta(minutes=5),
    ) -> None:
        self.db, self.dispatcher, self.cfg, self.clock = db, dispatcher, cfg, clock
        self.poll_seconds = poll_seconds
        self.plan_every = plan_every
        # Claim what the rate lets go out within `CLAIM_AHEAD_SECONDS` (and enough to keep
        # `concurrency` texts in flight): rows held while waiting for the rate limiter are rows
        # another runner cannot send.
        paced = math.ceil(rate_per_second * CLAIM_AHEAD_SECONDS)
        self.claim_limit = max(1, min(cfg.batch, max(cfg.concurrency, paced)))
        # Stale claims are rare (a runner died): looked for a few times per lease, not each tick.
        self.reconcile_every = min(cfg.lease / 4, MAX_RECONCILE_INTERVAL)
        self._next_reconcile: datetime | None = None

    @property
    def worker(self) -> str:
        return self.dispatcher.worker

    async def plan(self) -> dict[str, int]:
        """One planning pass, each step in its own transaction."""
        counts: dict[str, int] = {}
        for name, step in planner.STEPS.items():
            try:
                counts[name] = await self.db.run(step, self.cfg, self.clock.now())
            except (IntegrityError, OperationalError) as exc:
                # Another runner planned the same thing at the same moment; the next pass retries.
                log.info("planning %s collided (%s); next pass retries", name, type(exc).__name__)
        return counts

    async def reconcile(self) -> dict[str, int]:
        return await self.db.run(reconcile.reconcile, self.clock.now(), self.cfg.lease)

    async def tick(self) -> int:
        """Reconcile (now and then), claim what is due and dispatch it; the number of rows
        claimed."""
        await self._reconcile_now_and_then()
        ids = await self.db.run(outbox.claim_due, self.worker, self.clock.now(), self.claim_limit)
        if ids:
            await self.dispatcher.dispatch_batch(ids)
        return len(ids)

    async def drain(self, budget_seconds: float) -> int:
        """Tick until nothing is due or the budget is spent (an arq job's body)."""
        start, total = self.clock.now(), 0
        while (self.clock.now() - start).total_seconds() < budget_seconds:
            claimed = await self.tick()
            total += claimed
            if claimed < self.claim_limit:
                break
        return total

    async def run(self, stop: asyncio.Event, *, plan: bool = True) -> None:
        """Loop until `stop` is set: send as rows come due, and plan every `plan_every` (unless
        something else plans, as arq's cron does for workers).

        Claiming does not wait for the batches in flight: while they are sent, rows coming due
        are claimed too (up to `claim_limit` rows held at once, texts in flight bounded by
        `concurrency` across batches), so a row waits for its pacing slot, not for the previous
        batch to finish. When nothing more is due the loop sleeps until the next due time (at
        most `poll_seconds`: other processes plan rows too)."""
        next_plan = self.clock.now()
        gate = asyncio.Semaphore(max(1, self.cfg.concurrency))
        flights: dict[asyncio.Future[Any], int] = {}  # batches in flight and their sizes

        def landed(task: asyncio.Future[Any]) -> None:
            flights.pop(task, None)
            if not task.cancelled() and task.exception() is not None:
                log.error("a batch failed", exc_info=task.exception())

        try:
            while not stop.is_set():
                try:
                    if plan and self.clock.now() >= next_plan:
                        await self.plan()
                        next_plan = self.clock.now() + self.plan_every
                    await self._reconcile_now_and_then()
                    room = self.claim_limit - sum(flights.values())
                    wait = self.poll_seconds  # (or until a batch in flight lands)
                    if room > 0:
                        ids, due = await self.db.run(
                            outbox.claim_due_and_next, self.worker, self.clock.now(), room
                        )
                        if ids:
                            task = asyncio.ensure_future(self.dispatcher.dispatch_batch(ids, gate))
                            flights[task] = len(ids)
                            task.add_done_callback(landed)
                        if len(ids) < room:  # caught up: sleep until the next row is due
                            wait = max(COALESCE_SECONDS, self._seconds_until(due))
                except NOT_ANSWERING as exc:  # the database is away: said once a pass, briefly
                    log.warning(
                        "scheduler pass: the database is not answering (%s); trying again shortly",
                        why_not_answering(exc),
                    )
                    wait = self.poll_seconds
                except Exception:
                    log.exception("scheduler pass failed; trying again shortly")
                    wait = self.poll_seconds
                await self._wait(stop, wait, set(flights))
        finally:
            if flights:  # let the texts in flight finish and be recorded
                await asyncio.gather(*flights, return_exceptions=True)

    async def _reconcile_now_and_then(self) -> None:
        now = self.clock.now()
        if self._next_reconcile is None or now >= self._next_reconcile:
            await self.reconcile()
            self._next_reconcile = now + self.reconcile_every

    def _seconds_until(self, due: datetime | None) -> float:
        """How long to sleep for a row due at `due`: at most `poll_seconds`, since other
        processes plan rows too."""
        if due is None:
            return self.poll_seconds
        return min(self.poll_seconds, max(0.0, (due - self.clock.now()).total_seconds()))

    async def _wait(
        self, stop: asyncio.Event, seconds: float, landing: set[asyncio.Future[Any]]
    ) -> None:
        """Sleep `seconds`, or less if `stop` is set or one of the batches `landing` lands."""
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({sleeper, stopper, *landing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()

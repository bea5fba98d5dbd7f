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
from datetime import timedelta

from sqlalchemy.exc import IntegrityError, OperationalError

from coach.database import Database
from scheduler import outbox, planner, reconcile
from scheduler.clock import Clock
from scheduler.config import SchedulerConfig
from scheduler.dispatch import Dispatcher

log = logging.getLogger("telecoach.scheduler")


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
        # Claim no more than can go out soon: rows held while waiting for the rate limiter are
        # rows another runner cannot send.
        paced = math.ceil(rate_per_second * poll_seconds * 2)
        self.claim_limit = max(1, min(cfg.batch, max(cfg.concurrency, paced)))

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
        """Reconcile, claim what is due and dispatch it; the number of rows claimed."""
        await self.reconcile()
        ids = await self.db.run(outbox.claim_due, self.worker, self.clock.now(), self.claim_limit)
        if ids:
            gate = asyncio.Semaphore(self.cfg.concurrency)

            async def one(row_id: int) -> None:
                async with gate:
                    await self.dispatcher.dispatch(row_id)

            await asyncio.gather(*(one(i) for i in ids))
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
        something else plans, as arq's cron does for workers)."""
        next_plan = self.clock.now()
        while not stop.is_set():
            try:
                if plan and self.clock.now() >= next_plan:
                    await self.plan()
                    next_plan = self.clock.now() + self.plan_every
                if await self.tick() >= self.claim_limit:
                    continue  # more is due right now
                wait = await self._until_next_due()
            except Exception:
                log.exception("scheduler pass failed; trying again shortly")
                wait = self.poll_seconds
            await self._wait(stop, wait)

    async def _until_next_due(self) -> float:
        due = await self.db.run(outbox.next_due)
        if due is None:
            return self.poll_seconds
        return min(self.poll_seconds, max(0.0, (due - self.clock.now()).total_seconds()))

    async def _wait(self, stop: asyncio.Event, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()

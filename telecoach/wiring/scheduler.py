"""Wiring the scheduler from `Settings`: its config, the runner in `serve`, and the arq worker.

The scheduler never reads settings itself; this module builds what it needs (the SMS sender, the
rate limiter on Redis or in memory, the clinical rules, the clock) and hands them over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from coach.alerts import AlertAnnouncer
from coach.clock import Clock, SystemClock
from coach.database import Database
from coach.rules import RuleSet
from messaging.sender import SmsSender
from scheduler.config import Links, SchedulerConfig
from scheduler.dispatch import Dispatcher
from scheduler.offsets import parse_quiet_hours
from scheduler.pacing import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from scheduler.quiet import QuietHours
from scheduler.runner import Runner, worker_name
from telecoach.settings import Settings

if TYPE_CHECKING:
    from web.context import AppContext

log = logging.getLogger("telecoach.scheduler")
STOP_GRACE_SECONDS = 10


def scheduler_config(settings: Settings) -> SchedulerConfig:
    window = parse_quiet_hours(settings.quiet_hours)
    return SchedulerConfig(
        links=Links(
            settings.secret_key,
            settings.public_base_url,
            timedelta(hours=settings.join_link_hours),
        ),
        clinic_name=settings.clinic_name,
        clinic_phone=settings.clinic_phone,
        voice_number=settings.voice_number,
        quiet_hours=QuietHours(*window) if window else None,
        reminder_offsets=settings.reminder_offsets,
        max_attempts=settings.sms_max_attempts,
        lease=timedelta(seconds=settings.worker_lease_seconds),
        batch=settings.worker_batch,
        concurrency=settings.worker_concurrency,
    )


def sender_key(settings: Settings) -> str:
    """What the rate applies to: the sending number or Messaging Service (hashed into a key)."""
    return (settings.twilio_messaging_service_sid or settings.twilio_from_number or "local")[-34:]


def limiter(settings: Settings, redis: Any | None) -> RateLimiter:
    burst = max(1.0, settings.sms_rate_per_second)
    if redis is None:
        return MemoryRateLimiter(settings.sms_rate_per_second, burst)
    return RedisRateLimiter(redis, settings.sms_rate_per_second, burst, settings.worker_queue)


def build_runner(
    settings: Settings,
    db: Database,
    sender: SmsSender,
    rules: RuleSet,
    redis: Any | None,
    clock: Clock | None = None,
    alerts: AlertAnnouncer | None = None,
) -> Runner:
    clock = clock or SystemClock()
    cfg = scheduler_config(settings)
    dispatcher = Dispatcher(
        db,
        sender,
        cfg,
        limiter(settings, redis),
        clock,
        worker=worker_name(),
        sender_key=sender_key(settings),
        rules=rules,
        alerts=alerts,
    )
    return Runner(
        db,
        dispatcher,
        cfg,
        clock,
        rate_per_second=settings.sms_rate_per_second,
        poll_seconds=settings.worker_poll_seconds,
        plan_every=timedelta(seconds=settings.worker_plan_seconds),
    )


@contextlib.asynccontextmanager
async def running(runner: Runner) -> AsyncIterator[Runner]:
    """Run `runner` in the background for the block; stop it (gracefully, then by force) after."""
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop), name="telecoach-scheduler")
    try:
        yield runner
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, STOP_GRACE_SECONDS)
        except TimeoutError:
            # A row cut off mid-send stays `sending` and is reconciled after the lease.
            log.warning("scheduler did not stop within %ss; cancelled", STOP_GRACE_SECONDS)


@contextlib.asynccontextmanager
async def in_serve(ctx: AppContext, settings: Settings) -> AsyncIterator[None]:
    """The embedded default: `serve` runs a scheduler runner beside the web app."""
    if not settings.scheduler_in_serve:
        yield
        return
    runner = build_runner(
        settings, ctx.db, ctx.sms.sender, ctx.rules, ctx.redis, ctx.clock, alerts=ctx.alerts
    )
    async with running(runner):
        yield

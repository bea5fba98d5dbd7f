"""`telecoach worker`: scheduled work on Redis with arq, as many processes as needed.

Each worker process runs the scheduler's runner loop from start-up to shutdown (claims are
exclusive, so workers share the due rows and each sends as soon as a row is due), and arq runs
the planning pass as a unique cron job: once per interval across all workers. arq also gives the
process its Redis pool (the shared rate limit), signal handling and health checks.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker

from coach.database import Database
from coach.rules import RuleSet, load_rules
from messaging.sender import SmsSender
from rtc.alert_hub import publisher
from scheduler.runner import Runner
from telecoach.settings import Settings
from telecoach.wiring.scheduler import STOP_GRACE_SECONDS, build_runner
from telecoach.wiring.sms import build_transport, uses_twilio

JOB_TIMEOUT_SECONDS = 300
log = logging.getLogger("telecoach.scheduler")


def _parts(settings: Settings) -> tuple[Database, SmsSender, RuleSet]:
    db = Database(settings.database_url)
    callback = f"{settings.public_base_url}/sms/status" if uses_twilio(settings) else None
    sender = SmsSender(db, build_transport(settings), callback)
    return db, sender, load_rules(Path(settings.rules_file) if settings.rules_file else None)


async def run_once(settings: Settings) -> dict[str, int]:
    """One pass and out (`telecoach worker --once`, e.g. from cron): plan, then send what is due."""
    from redis.asyncio import Redis

    db, sender, rules = _parts(settings)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    try:
        alerts = publisher(redis) if redis is not None else None
        runner = build_runner(settings, db, sender, rules, redis, alerts=alerts)
        counts = await runner.plan()
        counts["sent_or_settled"] = await runner.drain(float("inf"))
        return counts
    finally:
        if redis is not None:
            await redis.aclose()
        sender.close()
        db.dispose()


def build_worker(settings: Settings) -> Worker:
    if not settings.redis_url:
        raise ValueError("telecoach worker needs REDIS_URL")

    async def startup(ctx: dict[str, Any]) -> None:
        db, sender, rules = _parts(settings)
        runner = build_runner(
            settings, db, sender, rules, ctx["redis"], alerts=publisher(ctx["redis"])
        )
        stop = asyncio.Event()
        ctx.update(db=db, sender=sender, runner=runner, stop=stop)
        ctx["loop"] = asyncio.create_task(runner.run(stop, plan=False), name="scheduler")
        print(f"scheduler running as {runner.worker}", flush=True)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "loop" in ctx:
            ctx["stop"].set()
            try:
                await asyncio.wait_for(ctx["loop"], STOP_GRACE_SECONDS)
            except TimeoutError:
                log.warning("worker loop did not stop within %ss", STOP_GRACE_SECONDS)
        if "sender" in ctx:
            ctx["sender"].close()
        if "db" in ctx:
            ctx["db"].dispose()

    async def plan(ctx: dict[str, Any]) -> dict[str, int]:
        runner: Runner = ctx["runner"]
        return await runner.plan()

    plan_minutes = max(1, settings.worker_plan_seconds // 60)
    return Worker(
        functions=[],
        cron_jobs=[
            cron(
                plan,
                minute=set(range(0, 60, plan_minutes)) if plan_minutes < 60 else {0},
                second=0,
                run_at_startup=True,
                timeout=JOB_TIMEOUT_SECONDS,
            ),
        ],
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        queue_name=settings.worker_queue,
        on_startup=startup,
        on_shutdown=shutdown,
        handle_signals=True,
        max_jobs=4,
        keep_result=0,
        poll_delay=min(0.5, settings.worker_poll_seconds),
        health_check_key=f"{settings.worker_queue}:health-check",
    )

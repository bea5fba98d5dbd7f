"""Live heart rate for the app: the bus (Redis Streams when `REDIS_URL` is set, else in-process),
the service, and the per-device rate limit; built with the app, run inside its lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from coach.alerts import AlertAnnouncer
from coach.clock import Clock
from coach.database import Database
from coach.rules import RuleSet
from rtc.heart_rate.bus import LiveBus, MemoryBus, RedisStreamsBus
from rtc.heart_rate.service import HeartRateService
from telecoach.settings import Settings
from web.heart_rate.rate_limit import DeviceRateLimiter


def build_heart_rate(
    settings: Settings,
    db: Database,
    rules: RuleSet,
    clock: Clock,
    redis: Any,
    alerts: AlertAnnouncer,
) -> tuple[HeartRateService, DeviceRateLimiter]:
    retention_s = settings.hr_retention_minutes * 60
    bus: LiveBus = (
        RedisStreamsBus(redis, retention_ms=retention_s * 1000)
        if redis is not None
        else MemoryBus(retention_s)
    )
    service = HeartRateService(db, bus, rules, clock=clock, announcer=alerts)
    return service, DeviceRateLimiter(settings.hr_device_requests_per_minute, redis)


@contextlib.asynccontextmanager
async def heart_rate_running(service: HeartRateService) -> AsyncIterator[None]:
    await service.start()
    try:
        yield
    finally:
        await service.stop()  # the last batch of readings is stored before we go

"""Opening and closing live heart rate with the app: the bus (Redis Streams when `REDIS_URL` is
set, else in-process), the service, and the per-device rate limit."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from rtc.bus import LiveBus, MemoryBus, RedisStreamsBus
from rtc.heart_rate.service import HeartRateService
from telecoach.settings import Settings
from web.context import AppContext
from web.heart_rate.rate_limit import DeviceRateLimiter


@contextlib.asynccontextmanager
async def heart_rate_running(ctx: AppContext, settings: Settings) -> AsyncIterator[None]:
    """Inside the lifespan, after Redis is open (`ctx.redis`) and before it closes."""
    retention_s = settings.hr_retention_minutes * 60
    bus: LiveBus = (
        RedisStreamsBus(ctx.redis, retention_ms=retention_s * 1000)
        if ctx.redis is not None
        else MemoryBus(retention_s)
    )
    ctx.heart_rate = HeartRateService(ctx.db, bus, ctx.rules, clock=ctx.clock)
    ctx.device_rate = DeviceRateLimiter(settings.hr_device_requests_per_minute, ctx.redis)
    await ctx.heart_rate.start()
    try:
        yield
    finally:
        await ctx.heart_rate.stop()  # the last batch of readings is stored before we go
        ctx.heart_rate = None

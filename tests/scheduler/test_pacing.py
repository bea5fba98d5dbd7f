"""The rate limit is one bucket per sender shared by every process through Redis: two limiters
(as in two worker processes) hand out consecutive slots, never the same one."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from scheduler.pacing import MemoryRateLimiter, RedisRateLimiter
from tests.scheduler.conftest import asyncio_run

REDIS_URL = "redis://127.0.0.1:6379/14"  # not the suite's db 15; keys carry a unique prefix


def test_two_processes_share_one_bucket() -> None:
    async def scenario() -> tuple[list[float], list[float]]:
        prefix = f"test-{uuid.uuid4().hex}"
        first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
        try:
            a = RedisRateLimiter(first, rate=2.0, burst=1.0, prefix=prefix)
            b = RedisRateLimiter(second, rate=2.0, burst=1.0, prefix=prefix)
            at = 1_800_000_000.0
            waits = [await limiter.reserve("+15005550006", at) for limiter in (a, b, a, b)]
            other_sender = [await a.reserve("MG123", at)]
            later = [await b.reserve("+15005550006", at + 10)]  # the bucket refilled meanwhile
            await first.delete(f"{prefix}:rate:+15005550006", f"{prefix}:rate:MG123")
            return waits + other_sender, later
        finally:
            await first.aclose()
            await second.aclose()

    slots, later = asyncio_run(scenario())
    assert slots == [0.0, 0.5, 1.0, 1.5, 0.0]
    assert later == [0.0]


@pytest.mark.parametrize(
    ("rate", "burst", "expected"),
    [
        (1.0, 1.0, [0.0, 1.0, 2.0]),
        (4.0, 4.0, [0.0, 0.0, 0.0]),
        (0.5, 1.0, [0.0, 2.0, 4.0]),
    ],
)
def test_memory_bucket(rate: float, burst: float, expected: list[float]) -> None:
    limiter = MemoryRateLimiter(rate, burst)
    assert [asyncio_run(limiter.reserve("s", 100.0)) for _ in range(3)] == expected

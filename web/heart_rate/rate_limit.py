"""Requests per device token per minute: in this process, or in Redis shared by all processes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

log = logging.getLogger("telecoach.heart_rate")


class DeviceRateLimiter:
    def __init__(
        self,
        per_minute: int,
        redis: Any = None,
        *,
        prefix: str = "tc:hr:rate:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._counts: dict[tuple[int, int], int] = {}

    async def retry_after(self, device_id: int) -> int | None:
        """Count one request; None if allowed, else the seconds until the next window."""
        now = self._clock()
        window = int(now // 60)
        count = await self._shared_count(device_id, window)
        if count is None:
            count = self._local_count(device_id, window)
        if count <= self.per_minute:
            return None
        return max(1, int((window + 1) * 60 - now))

    async def _shared_count(self, device_id: int, window: int) -> int | None:
        """The count across processes; None without Redis, or while it cannot be reached: then
        this process counts alone (a device's readings are still stored, and a flood from one
        token is still stopped here) rather than refusing every device until Redis is back."""
        if self._redis is None:
            return None
        key = f"{self._prefix}{device_id}:{window}"
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, 120)
            return int((await pipe.execute())[0])
        except (RedisError, OSError) as exc:
            log.warning("device rate limit counted in this process: Redis failed (%s)", exc)
            return None

    def _local_count(self, device_id: int, window: int) -> int:
        for old in [k for k in self._counts if k[1] < window]:
            del self._counts[old]
        count = self._counts[(device_id, window)] = self._counts.get((device_id, window), 0) + 1
        return count

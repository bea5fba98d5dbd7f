"""Requests per device token per minute: in this process, or in Redis shared by all processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


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
        if self._redis is not None:
            key = f"{self._prefix}{device_id}:{window}"
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, 120)
            count = int((await pipe.execute())[0])
        else:
            for old in [k for k in self._counts if k[1] < window]:
                del self._counts[old]
            count = self._counts[(device_id, window)] = self._counts.get((device_id, window), 0) + 1
        if count <= self.per_minute:
            return None
        return max(1, int((window + 1) * 60 - now))

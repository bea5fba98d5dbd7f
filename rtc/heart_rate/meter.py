"""How many heart-rate readings this process took in: a running total and a recent rate.

Per process, in memory, for `/metrics`: the total only grows (a Prometheus counter, whose `rate()`
is the precise figure); the rate over the last `window_s` seconds is there for a glance without a
query. Readings are counted per whole second of the clock, so memory stays at `window_s` buckets.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class ReadingMeter:
    def __init__(self, window_s: int = 60, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.total = 0
        self._clock = clock
        self._buckets: deque[list[int]] = deque()  # [second, readings], oldest first

    def count(self, readings: int) -> None:
        if readings <= 0:
            return
        self.total += readings
        second = int(self._clock())
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1][1] += readings
        else:
            self._buckets.append([second, readings])
        self._forget(second)

    def per_second(self) -> float:
        """Readings a second over the last `window_s` seconds."""
        self._forget(int(self._clock()))
        return sum(n for _, n in self._buckets) / self.window_s

    def _forget(self, now: int) -> None:
        while self._buckets and self._buckets[0][0] <= now - self.window_s:
            self._buckets.popleft()

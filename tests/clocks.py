"""Clocks for tests: the product asks an injected `coach.clock.Clock` for the time, so a test
chooses the instant instead of depending on the hour, weekday or date it happens to run at."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class ManualClock:
    """Time moves only when a test says so, or when the code under test waits (instantly)."""

    current: datetime
    slept: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=max(0.0, seconds))

    def at(self, when: datetime) -> ManualClock:
        self.current = when
        return self

    def advance(self, seconds: float) -> datetime:
        self.current += timedelta(seconds=seconds)
        return self.current


class RunningClock:
    """Starts at a chosen instant and runs at real speed: for an app whose background work waits
    (an in-process scheduler, live heart rate) while its dates must not depend on today's."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]

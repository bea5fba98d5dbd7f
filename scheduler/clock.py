"""The clock, injected: runners and planners ask it the time and to wait; tests pass their own."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Protocol

from coach.models import utcnow


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

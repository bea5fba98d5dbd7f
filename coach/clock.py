"""Time as a dependency: code that needs "now" (or to wait) is given a `Clock`, so a test can fix
the instant or move it by hand, and no behaviour depends on the hour the suite happens to run at.

The app builds one `SystemClock` (or takes the one a test passes to `create_app`) and hands it to
every part that asks the time: handlers, the scheduler's runners, the live heart-rate service.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

"""Readings from live connections go to storage in batches: one INSERT for many readings.

Each reading may carry a `done` callback, called once its batch is committed, so the sender can
be told "stored" and forget it; a reading whose process dies before that is still unacknowledged
and the sender sends it again (storage keeps one copy per patient and time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from coach.database import Database
from coach.hr_store import SampleRow, store_samples

log = logging.getLogger("telecoach.heart_rate")

Done = Callable[[SampleRow], None]


@dataclass
class _Pending:
    row: SampleRow
    done: Done | None


class SampleWriter:
    def __init__(
        self,
        db: Database,
        *,
        flush_interval: float = 1.0,
        max_batch: int = 5_000,
        max_buffer: int = 200_000,
    ) -> None:
        self._db = db
        self._interval = flush_interval
        self._max_batch = max_batch
        self._max_buffer = max_buffer
        self._buffer: list[_Pending] = []
        self._wake = asyncio.Event()
        # One flush at a time: `drain` must wait for a batch the background task is storing.
        self._flushing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.stored = 0

    def add(self, row: SampleRow, done: Done | None = None) -> None:
        if len(self._buffer) >= self._max_buffer:
            # Storage is down for a long while: refuse rather than grow without bound. The
            # sender never hears "stored", so it keeps the reading and sends it again later.
            return
        self._buffer.append(_Pending(row, done))
        if len(self._buffer) >= self._max_batch:
            self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="hr-writer")

    async def close(self) -> None:
        if self._task is not None:
            async with self._flushing:  # never cancelled halfway through storing a batch
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while self._buffer:  # the last readings before a graceful stop
            if not await self.flush():
                break

    async def drain(self) -> bool:
        """Store everything added so far, a batch being stored right now included: when this
        returns True, each of those readings is stored and its `done` was called. Readings
        added meanwhile are left to the next flush: a busy socket cannot keep this going."""
        last = self._buffer[-1] if self._buffer else None
        while True:
            if not await self.flush():  # waits for a batch being stored first
                return False
            if last is None or all(pending is not last for pending in self._buffer):
                return True

    async def _run(self) -> None:
        delay = self._interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()
            ok = await self.flush()
            # Back off while storage fails; go back to the normal pace once it works again.
            delay = self._interval if ok else min(delay * 2, 30.0)

    async def flush(self) -> bool:
        async with self._flushing:
            return await self._flush_one()

    async def _flush_one(self) -> bool:
        if not self._buffer:
            return True
        batch, self._buffer = self._buffer[: self._max_batch], self._buffer[self._max_batch :]
        try:
            await self._db.run(store_samples, [p.row for p in batch])
        except Exception:
            log.warning("storing %d heart-rate readings failed; will retry", len(batch))
            self._buffer[:0] = batch
            return False
        self.stored += len(batch)
        for pending in batch:
            if pending.done is not None:
                pending.done(pending.row)
        return True

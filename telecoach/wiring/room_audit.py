"""Room events into the audit trail, written in order by one background task.

A room runs on the event loop and may not wait on the database, so it hands each event over
synchronously (`room_event`); the writer started by the app's lifespan stores them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from coach.audit import record
from coach.clock import Clock
from coach.database import Database
from rtc.participants import RoomEvent

log = logging.getLogger("telecoach.rooms")


class RoomAudit:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._queue: asyncio.Queue[tuple[RoomEvent, datetime] | None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._early: list[tuple[RoomEvent, datetime]] = []

    def room_event(self, event: RoomEvent) -> None:
        stamped = event, self._clock.now()  # when it happened, not when it is written
        if self._queue is None:
            self._early.append(stamped)  # before start(): kept, written once the writer runs
        else:
            self._queue.put_nowait(stamped)

    def start(self) -> None:
        self._queue = asyncio.Queue()
        for event in self._early:
            self._queue.put_nowait(event)
        self._early.clear()
        self._writer = asyncio.ensure_future(self._write())

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._queue is None or self._writer is None:
            return
        self._queue.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        self._queue = None

    async def _write(self) -> None:
        assert self._queue is not None
        while (stamped := await self._queue.get()) is not None:
            event, at = stamped
            try:
                await self._db.run(
                    record,
                    event.actor,
                    event.action,
                    event.patient_id,
                    "ok",
                    f"occurrence {event.occurrence_id}{' ' + event.detail if event.detail else ''}",
                    at,
                )
            except Exception:  # one failed write must not stop the trail for everyone else
                log.exception("audit write failed for %s", event.action)

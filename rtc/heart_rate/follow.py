"""Reading a class's live heart rate from outside the service: a coach view follows the whole
class, a patient's own screen follows their readings. The bus's resume rules (stream names,
positions, gaps, the snapshot to start over from) stay here; a reader gets wire texts.

A coach view that reconnects sends back the position it last saw (`Resume`): it gets what it
missed, or, when that is gone (past the retention window, the stream recreated, the view fell
too far behind), a fresh snapshot of every tile and the class's alerts, then what follows.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rtc.heart_rate.bus import Gap, LiveBus, Position, Subscription
from rtc.heart_rate.events import stream_name
from rtc.heart_rate.monitor import OccurrenceMonitor

SNAPSHOT_TRIES = 3
SNAPSHOT_RETRY_S = 0.2


class FollowUnavailable(Exception):
    """The live view could not start (the class's monitor kept starting over); reconnect."""


@dataclass(frozen=True)
class Resume:
    """Where a reconnecting view left off: the stream's epoch and the last entry it saw."""

    epoch: str
    after: int

    @classmethod
    def from_client(cls, epoch: object, after: object) -> Resume | None:
        """The client's `epoch` and `after`, or None when they are not a position."""
        if isinstance(epoch, str) and isinstance(after, int) and not isinstance(after, bool):
            return cls(epoch[:64], after)
        return None


Alerts = Callable[[int], Awaitable[list[dict[str, Any]]]]


class ClassFollow:
    """One coach view's follow of a class: `first` is the message to send after the roster
    (`resumed`, or a `snapshot` with the alerts); `next()` gives the wire texts that follow,
    a fresh snapshot in their place after a gap."""

    def __init__(
        self, bus: LiveBus, monitor: OccurrenceMonitor, occurrence_id: int, alerts: Alerts
    ) -> None:
        self._bus = bus
        self._monitor = monitor
        self._occurrence_id = occurrence_id
        self._stream = stream_name(occurrence_id)
        self._alerts = alerts
        self._subscription: Subscription | None = None
        self.first: dict[str, Any] = {}

    async def start(self, resume: Resume | None) -> None:
        if resume is not None:
            try:
                self._subscription = await self._bus.subscribe(
                    self._stream, Position(resume.epoch, resume.after)
                )
            except Gap:
                pass
            else:
                self.first = {"type": "resumed", "epoch": resume.epoch, "after": resume.after}
                return
        self.first = await self._snapshot()

    async def _snapshot(self) -> dict[str, Any]:
        for _ in range(SNAPSHOT_TRIES):
            snapshot = self._monitor.snapshot()
            alerts = await self._alerts(self._occurrence_id)
            try:
                self._subscription = await self._bus.subscribe(
                    self._stream, Position(snapshot["epoch"], snapshot["seq"])
                )
            except Gap:  # the monitor itself is starting over; try its next state
                await asyncio.sleep(SNAPSHOT_RETRY_S)
                continue
            return {"type": "snapshot", **snapshot, "alerts": alerts}
        raise FollowUnavailable("the live view could not start; reconnect")

    async def next(self) -> list[str]:
        """The next entries as wire texts (waits for at least one)."""
        assert self._subscription is not None, "start() first"
        try:
            entry = await self._subscription.get()
        except Gap:
            self._subscription.close()
            self._subscription = None
            return [json.dumps(await self._snapshot(), separators=(",", ":"))]
        return [item.wire() for item in (entry, *self._subscription.drain())]

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None


class OwnReadings:
    """A patient's own live readings, for their screen: only the latest matters there, so a gap
    is passed over rather than started again from."""

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription

    async def next(self) -> str:
        while True:
            try:
                return (await self._subscription.get()).wire()
            except Gap:
                continue

    def close(self) -> None:
        self._subscription.close()

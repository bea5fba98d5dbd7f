"""The live bus: a stream per class occurrence, every entry numbered, resumable within a window.

    publish(stream, data, key=, order=) -> seq | None
    subscribe(stream, after=Position | None, key=, from_start=) -> Subscription
    position(stream) -> Position

A stream has an *epoch* (a random name given when it is created) and numbers its entries 1, 2, 3...
with no holes. A subscriber that saw up to `Position(epoch, seq)` resumes from exactly the next
entry, or gets `Gap` (the entries are older than the retention window, the stream was recreated,
or the subscriber fell too far behind): the caller then starts again from a fresh snapshot.

`key` routes an entry (a patient id): a subscription with a key receives only entries with that
key or a sub-key of it ("7/cue" for key "7": a patient's cues, ordered apart from their
readings). With `order`, an entry is published only if `order` is greater than the last one
published for its key (readings are live once, in time order; a replayed or late reading
returns None).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol


class Gap(Exception):
    """This subscriber cannot continue without a gap: start again from a snapshot."""


class BusClosed(Exception):
    """The bus is shutting down."""


@dataclass(frozen=True)
class Position:
    epoch: str
    seq: int


@dataclass(frozen=True)
class Entry:
    seq: int
    key: str | None
    data: str  # a JSON object with at least one member, exactly as published

    def wire(self) -> str:
        """The data with `"seq"` added as its first member, without decoding it again."""
        return f'{{"seq":{self.seq},{self.data[1:]}'


def check_data(data: str) -> None:
    if not (data.startswith("{") and data.endswith("}") and len(data) > 2):
        raise ValueError("bus data must be a non-empty JSON object")


class Subscription:
    """A subscriber's queue. The bus `offer`s entries in sequence order; duplicates (a backfill
    overlapping live delivery) are dropped by sequence number."""

    def __init__(
        self,
        stream: str,
        epoch: str,
        after: int,
        live_after: int,
        key: str | None,
        max_queue: int,
        on_close: Callable[[Subscription], None],
    ) -> None:
        """`after`: the last entry the subscriber has (its position); `live_after`: the last entry
        the bus had when it registered; entries after `after` up to it come through `prepend`."""
        self.stream = stream
        self.epoch = epoch
        self.key = key
        self._sub_keys = None if key is None else f"{key}/"
        self._offered = live_after  # highest seq queued or skipped
        self._delivered = after
        self._queue: deque[Entry] = deque()
        # The one `get` waiting, if any. A bare future rather than an asyncio.Event: on Python
        # 3.11 every Event.wait asks for the running loop, a getpid system call, and a class's
        # monitor and coach views each wait once for almost every reading.
        self._loop = asyncio.get_running_loop()
        self._waiter: asyncio.Future[None] | None = None
        self._max_queue = max_queue
        self._on_close = on_close
        self._overflowed = False
        self._closed = False

    @property
    def position(self) -> Position:
        """What this subscriber has been given so far."""
        return Position(self.epoch, self._delivered)

    def offer(self, entry: Entry) -> None:
        if entry.seq <= self._offered or self._closed:
            return
        self._offered = entry.seq
        if not self.wants(entry.key):
            return
        if len(self._queue) >= self._max_queue:
            self._overflowed = True
            self._queue.clear()
        else:
            self._queue.append(entry)
        self._wake()

    def wants(self, key: str | None) -> bool:
        if self._sub_keys is None or key == self.key:
            return True
        return key is not None and key.startswith(self._sub_keys)

    def prepend(self, backlog: Iterable[Entry]) -> None:
        """Entries older than anything offered live so far (the catch-up read)."""
        wanted = [e for e in backlog if self.wants(e.key)]
        self._queue.extendleft(reversed(wanted))
        if wanted:
            self._wake()

    def interrupt(self) -> None:
        """Make the next `get` raise Gap (e.g. the stream was recreated under us)."""
        self._overflowed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Entry:
        while not self._queue:
            if self._overflowed:
                raise Gap("subscriber fell behind")
            if self._closed:
                raise BusClosed("subscription closed")
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._overflowed:
            raise Gap("subscriber fell behind")
        entry = self._queue.popleft()
        self._delivered = entry.seq
        return entry

    def drain(self, limit: int = 1000) -> list[Entry]:
        """Whatever is queued right now, without waiting (after a `get`, to batch sends)."""
        taken: list[Entry] = []
        while self._queue and len(taken) < limit and not self._overflowed:
            taken.append(self._queue.popleft())
        if taken:
            self._delivered = taken[-1].seq
        return taken

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._wake()
            self._on_close(self)

    def __aiter__(self) -> AsyncIterator[Entry]:
        return self

    async def __anext__(self) -> Entry:
        try:
            return await self.get()
        except BusClosed:
            raise StopAsyncIteration from None


class LiveBus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(
        self, stream: str, data: str, *, key: str | None = None, order: int | None = None
    ) -> int | None: ...

    async def position(self, stream: str) -> Position: ...

    async def subscribe(
        self,
        stream: str,
        after: Position | None = None,
        *,
        key: str | None = None,
        from_start: bool = False,
    ) -> Subscription: ...

"""The in-process live bus of the embedded default: one process, streams in memory."""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from rtc.heart_rate.bus.base import Entry, Gap, Position, Subscription, check_data


@dataclass
class _Stream:
    epoch: str
    seq: int = 0
    log: deque[tuple[Entry, float]] = field(default_factory=deque)
    subscribers: set[Subscription] = field(default_factory=set)
    order: dict[str, int] = field(default_factory=dict)
    touched: float = 0.0

    def first_seq(self) -> int:
        return self.log[0][0].seq if self.log else self.seq + 1


class MemoryBus:
    def __init__(
        self,
        retention_s: float = 900.0,
        *,
        max_queue: int = 10_000,
        idle_ttl_s: float = 6 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.retention_s = retention_s
        self.max_queue = max_queue
        self._idle_ttl_s = max(idle_ttl_s, retention_s)
        self._clock = clock
        self._streams: dict[str, _Stream] = {}
        self._swept = clock()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for stream in list(self._streams.values()):
            for subscriber in list(stream.subscribers):
                subscriber.close()
        self._streams.clear()

    def _stream(self, name: str) -> _Stream:
        now = self._clock()
        self._forget_idle(now)
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = _Stream(epoch=secrets.token_hex(8), touched=now)
        self._trim(stream, now)
        stream.touched = now
        return stream

    def _trim(self, stream: _Stream, now: float) -> None:
        cutoff = now - self.retention_s
        while stream.log and stream.log[0][1] < cutoff:
            stream.log.popleft()

    def _forget_idle(self, now: float) -> None:
        """Trim every stream now and then; forget one idle for `idle_ttl_s` (as Redis expires)."""
        if now - self._swept < min(10.0, self.retention_s):
            return
        self._swept = now
        for name, stream in list(self._streams.items()):
            self._trim(stream, now)
            if not stream.subscribers and stream.touched < now - self._idle_ttl_s:
                del self._streams[name]

    async def publish(
        self, stream: str, data: str, *, key: str | None = None, order: int | None = None
    ) -> int | None:
        check_data(data)
        state = self._stream(stream)
        if key is not None and order is not None:
            if order <= state.order.get(key, -1):
                return None
            state.order[key] = order
        state.seq += 1
        entry = Entry(state.seq, key, data)
        state.log.append((entry, self._clock()))
        for subscriber in list(state.subscribers):
            subscriber.offer(entry)
        return state.seq

    async def position(self, stream: str) -> Position:
        state = self._stream(stream)
        return Position(state.epoch, state.seq)

    async def subscribe(
        self,
        stream: str,
        after: Position | None = None,
        *,
        key: str | None = None,
        from_start: bool = False,
    ) -> Subscription:
        state = self._stream(stream)
        if from_start:
            start = state.first_seq() - 1
        elif after is None:
            start = state.seq
        else:
            if after.epoch != state.epoch or after.seq > state.seq:
                raise Gap("unknown position")
            if after.seq < state.first_seq() - 1:
                raise Gap("older than the retention window")
            start = after.seq
        subscription = Subscription(
            stream, state.epoch, start, state.seq, key, self.max_queue, state.subscribers.discard
        )
        subscription.prepend(entry for entry, _ in state.log if entry.seq > start)
        state.subscribers.add(subscription)
        return subscription

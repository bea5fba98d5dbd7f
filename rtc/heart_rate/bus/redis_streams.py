"""The live bus on Redis Streams, shared by every `serve` process.

One Redis stream per bus stream, whose entry ids are `<seq>-0`; a hash beside it holds the epoch,
the sequence counter and the last `order` per key. One Lua script numbers, appends and trims
atomically, so two processes publishing to one class never race for a number. Entries older than
the retention window are trimmed (checked every 16th entry); idle streams expire after `idle_ttl`
(counted from their last 16th entry).

The same script appends every entry to one more stream, the *firehose* (`<prefix>all`), numbered
by its own counter and capped in length. Each process reads only the firehose, with one blocking
XREAD, and hands each entry to its local subscriptions of that stream: the command is the same
size however many classes a process follows (an XREAD naming every followed stream grew with
them). The per-class streams stay the record: a follow that missed entries (it started after
they passed, or the process fell further behind than the firehose keeps) reads them from there.
Publishes made in the same moment go to Redis in one script call, packed by `resp` beside this
(hundreds of arguments, many times a second under load).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import NoScriptError

from rtc.heart_rate.bus import resp
from rtc.heart_rate.bus.base import BusClosed, Entry, Gap, Position, Subscription, check_data

log = logging.getLogger("telecoach.bus")

# Publishes a batch. KEYS: the firehose and its counter, then (stream, meta) per entry. ARGV: epoch,
# retention ms, idle ttl ms, firehose length, then (data, key, order, stream name) per entry.
# Returns each entry's seq, or 0 when its order was not newer. Every redis.call costs the script
# far more than the command itself (its arguments are copied in, its reply converted): what need
# not happen for every entry (the epoch, the expiry, the trim) happens at a stream's first entry
# and every 16th.
_PUBLISH = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local cutoff = now - tonumber(ARGV[2])
local out = {}
local all, all_seq = KEYS[1], KEYS[2]
for i = 1, (#KEYS - 2) / 2 do
  local stream, meta = KEYS[2 * i + 1], KEYS[2 * i + 2]
  local data, key, order, name = ARGV[4 * i + 1], ARGV[4 * i + 2], ARGV[4 * i + 3], ARGV[4 * i + 4]
  local fresh = true
  if key ~= '' and order ~= '' then
    local field = 'o:' .. key
    local last = redis.call('HGET', meta, field)
    if last and tonumber(last) >= tonumber(order) then
      fresh = false
    else
      redis.call('HSET', meta, field, order)
    end
  end
  if fresh then
    local seq = redis.call('HINCRBY', meta, 'seq', 1)
    if seq == 1 then
      redis.call('HSETNX', meta, 'epoch', ARGV[1])
      redis.call('DEL', stream)
    end
    redis.call('XADD', stream, seq .. '-0', 'd', data, 'k', key, 'ts', now)
    local n = redis.call('INCR', all_seq)
    if n == 1 then redis.call('DEL', all) end
    redis.call('XADD', all, 'MAXLEN', '~', ARGV[4], n .. '-0', 's', name, 'q', seq, 'd', data,
               'k', key)
    if seq % 16 == 0 then
      local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', 32)
      local keep = nil
      for _, item in ipairs(head) do
        if tonumber(item[2][6]) >= cutoff then keep = item[1] break end
      end
      if keep then
        redis.call('XTRIM', stream, 'MINID', keep)
      elseif #head > 0 then
        local n = tonumber(string.match(head[#head][1], '^(%d+)'))
        redis.call('XTRIM', stream, 'MINID', (n + 1) .. '-0')
      end
    end
    if seq == 1 or seq % 16 == 0 then
      redis.call('PEXPIRE', stream, ARGV[3])
      redis.call('PEXPIRE', meta, ARGV[3])
    end
    out[i] = seq
  else
    out[i] = 0
  end
end
redis.call('PEXPIRE', all, ARGV[3])
redis.call('PEXPIRE', all_seq, ARGV[3])
return out
"""

_POSITION = """
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local first_id = ''
if #first > 0 then first_id = first[1][1] end
return {v[1], v[2] or '0', first_id}
"""


def _seq(entry_id: bytes | str) -> int:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class _Follow:
    name: str
    pos: int  # the last seq handed to the subscribers
    subscribers: set[Subscription] = field(default_factory=set)


@dataclass
class _Publish:
    stream: str
    data: str
    key: str
    order: str
    done: asyncio.Future[int | None]


class RedisStreamsBus:
    def __init__(
        self,
        redis: Any,
        *,
        prefix: str = "tc:live:",
        retention_ms: int = 900_000,
        idle_ttl_ms: int = 86_400_000,
        block_ms: int = 5_000,
        max_queue: int = 10_000,
        batch: int = 500,
        gather_ms: float = 3.0,
        firehose_len: int = 100_000,
    ) -> None:
        if redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError(
                "the live bus reads raw replies: use a client without decode_responses"
            )
        self._redis = redis
        self._publishing = resp.Line(redis)
        self._reading = resp.Line(redis)
        self.prefix = prefix
        self.retention_ms = retention_ms
        self._idle_ttl_ms = max(idle_ttl_ms, retention_ms)
        self._block_ms = block_ms
        self.max_queue = max_queue
        self._batch = batch
        self._gather_s = gather_ms / 1000
        self._publish_sha = hashlib.sha1(_PUBLISH.encode()).hexdigest()  # noqa: S324 (Redis's id)
        self._script_loaded = False
        self._position_script = redis.register_script(_POSITION)
        self._follows: dict[str, _Follow] = {}
        self._by_wire: dict[bytes, _Follow] = {}  # the same follows, by name as the firehose has it
        self._firehose_len = firehose_len
        self._firehose = f"{prefix}all"
        self._firehose_seq = f"{prefix}all:seq"
        self._cursor: int | None = None  # the last firehose entry read; None until started
        self._pending: list[_Publish] = []
        self._flusher: asyncio.Task[None] | None = None
        self._last_flush = 0.0  # loop time the last script call went
        self._reader: asyncio.Task[None] | None = None
        # stream -> its two keys and its name, packed
        self._packed_keys: dict[str, tuple[bytes, bytes, bytes]] = {}
        self._closed = False
        # Asked for once: on Python 3.11 each asyncio.get_running_loop() is a getpid system call,
        # and publish runs for every reading.
        self._loop: asyncio.AbstractEventLoop | None = None

    def _keys(self, stream: str) -> tuple[str, str]:
        return f"{self.prefix}{stream}", f"{self.prefix}{stream}:meta"

    def _packed(self, stream: str) -> tuple[bytes, bytes, bytes]:
        packed = self._packed_keys.get(stream)
        if packed is None:
            if len(self._packed_keys) > 100_000:  # streams come and go over days
                self._packed_keys.clear()
            stream_key, meta_key = self._keys(stream)
            packed = (
                resp.bulk(stream_key.encode()),
                resp.bulk(meta_key.encode()),
                resp.bulk(stream.encode()),
            )
            self._packed_keys[stream] = packed
        return packed

    async def start(self) -> None:
        """Touches no Redis: a process starts (and says it is not ready) while Redis is down."""
        self._loop = asyncio.get_running_loop()
        self._reader = asyncio.create_task(self._read_forever(), name="bus-reader")

    async def close(self) -> None:
        self._closed = True
        for task in (self._reader, self._flusher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for follow in list(self._follows.values()):
            for subscriber in list(follow.subscribers):
                subscriber.close()
        self._follows.clear()
        self._by_wire.clear()
        for pending in self._pending:
            if not pending.done.done():
                pending.done.set_exception(BusClosed("bus closed"))
        for line in (self._publishing, self._reading):
            await line.close()

    # --- publishing -----------------------------------------------------------------------

    async def publish(
        self, stream: str, data: str, *, key: str | None = None, order: int | None = None
    ) -> int | None:
        check_data(data)
        if self._closed:
            raise BusClosed("bus closed")
        loop = self._loop or asyncio.get_running_loop()
        done: asyncio.Future[int | None] = loop.create_future()
        self._pending.append(
            _Publish(
                stream, data, key or "", "" if order is None or key is None else str(order), done
            )
        )
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="bus-publish")
        return await done

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            # Busy: at most one script call per gather window, carrying all that came meanwhile.
            # Quiet: a publish goes at once.
            wait = self._last_flush + self._gather_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._last_flush = loop.time()
            batch, self._pending = self._pending[: self._batch], self._pending[self._batch :]
            try:
                results = await self._send(batch)
            except Exception as exc:  # Redis down: each publisher gets the error and retries
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            for item, result in zip(batch, results, strict=True):
                if item.done.done():
                    continue
                if isinstance(result, Exception):
                    item.done.set_exception(result)
                else:
                    item.done.set_result(int(result) or None)

    async def _send(self, batch: Sequence[_Publish]) -> list[Any]:
        """The whole batch in one script call: one command instead of one per entry."""
        keys: list[bytes] = [
            resp.bulk(self._firehose.encode()),
            resp.bulk(self._firehose_seq.encode()),
        ]
        args: list[bytes] = [
            resp.bulk(secrets.token_hex(8).encode()),
            resp.bulk(b"%d" % self.retention_ms),
            resp.bulk(b"%d" % self._idle_ttl_ms),
            resp.bulk(b"%d" % self._firehose_len),
        ]
        for item in batch:
            stream_key, meta_key, name = self._packed(item.stream)
            keys.extend((stream_key, meta_key))
            args.extend(
                (
                    resp.bulk(item.data.encode()),
                    resp.bulk(item.key.encode()),
                    resp.bulk(item.order.encode()),
                    name,
                )
            )
        packed = resp.command(
            [
                b"$7\r\nEVALSHA\r\n",
                resp.bulk(self._publish_sha.encode()),
                resp.bulk(b"%d" % len(keys)),
                *keys,
                *args,
            ]
        )
        for attempt in range(2):
            if not self._script_loaded:
                await self._redis.script_load(_PUBLISH)
                self._script_loaded = True
            try:
                return list(await self._publishing.call(packed))
            except NoScriptError:  # Redis restarted and forgot it: load it again, once
                self._script_loaded = False
                if attempt:
                    raise
        raise AssertionError("unreachable")

    # --- reading --------------------------------------------------------------------------

    async def _state(self, stream: str) -> tuple[str, int, int | None]:
        """(epoch, last seq, first retained seq or None)."""
        _, meta_key = self._keys(stream)
        stream_key = self._keys(stream)[0]
        epoch, last, first_id = await self._position_script(
            keys=[meta_key, stream_key], args=[secrets.token_hex(8), self._idle_ttl_ms]
        )
        first = _text(first_id)
        return _text(epoch), int(_text(last)), _seq(first) if first else None

    async def position(self, stream: str) -> Position:
        epoch, last, _ = await self._state(stream)
        return Position(epoch, last)

    async def subscribe(
        self,
        stream: str,
        after: Position | None = None,
        *,
        key: str | None = None,
        from_start: bool = False,
    ) -> Subscription:
        if self._closed:
            raise BusClosed("bus closed")
        epoch, last, first = await self._state(stream)
        if from_start:
            start = first - 1 if first is not None else last
        elif after is None:
            start = last
        else:
            if after.epoch != epoch or after.seq > last:
                raise Gap("unknown position")
            if after.seq < last and (first is None or after.seq < first - 1):
                raise Gap("older than the retention window")
            start = after.seq
        follow = self._follows.get(stream)
        if follow is None:  # it follows from what Redis has now; the subscriber reads up to it
            follow = self._follows[stream] = self._by_wire[stream.encode()] = _Follow(stream, last)
        live_after = max(follow.pos, start)
        subscription = Subscription(
            stream, epoch, start, live_after, key, self.max_queue, self._unsubscribe
        )
        follow.subscribers.add(subscription)
        if live_after > start:
            await self._backfill(subscription, start, live_after)
        return subscription

    async def _backfill(self, subscription: Subscription, start: int, end: int) -> None:
        entries, whole = await self._stored(subscription.stream, start, end)
        if not whole:
            subscription.close()
            raise Gap("entries were trimmed while catching up")
        subscription.prepend(entries)

    async def _stored(self, stream: str, after: int, until: int | None) -> tuple[list[Entry], bool]:
        """The entries after `after` up to `until` (None: to the end) from the stream itself, and
        whether none is missing (a hole: trimmed)."""
        stream_key, _ = self._keys(stream)
        end = "+" if until is None else f"{until}-0"
        rows = await self._redis.xrange(stream_key, f"{after + 1}-0", end)
        entries = [self._entry(entry_id, fields) for entry_id, fields in rows]
        count = len(entries) if until is None else until - after
        return entries, [e.seq for e in entries] == list(range(after + 1, after + 1 + count))

    def _unsubscribe(self, subscription: Subscription) -> None:
        follow = self._follows.get(subscription.stream)
        if follow is None:
            return
        follow.subscribers.discard(subscription)
        if not follow.subscribers:
            del self._follows[subscription.stream]
            del self._by_wire[subscription.stream.encode()]

    @staticmethod
    def _entry(entry_id: bytes | str, fields: dict[Any, Any]) -> Entry:
        key = _text(fields.get(b"k", fields.get("k", b"")))
        return Entry(_seq(entry_id), key or None, _text(fields.get(b"d", fields.get("d"))))

    def _xread(self) -> bytes:
        assert self._cursor is not None
        return resp.command(
            [
                b"$5\r\nXREAD\r\n",
                b"$5\r\nCOUNT\r\n",
                b"$4\r\n1000\r\n",
                b"$5\r\nBLOCK\r\n",
                resp.bulk(b"%d" % self._block_ms),
                b"$7\r\nSTREAMS\r\n",
                resp.bulk(self._firehose.encode()),
                resp.bulk(b"%d-0" % self._cursor),
            ]
        )

    async def _firehose_at(self) -> int:
        return int(await self._redis.get(self._firehose_seq) or 0)

    async def _read_forever(self) -> None:
        failing = 0.0  # seconds to wait before the next try while Redis is away
        while not self._closed:
            try:
                if self._cursor is None or failing:
                    await self._resync()
                response = await self._reading.call(self._xread())
                if failing:
                    log.info("live bus: reading from Redis again")
                    failing = 0.0
                if not response:  # quiet for block_ms: did Redis start over (and its counter)?
                    if await self._firehose_at() < (self._cursor or 0):
                        await self._resync()
                    continue
                replies = (
                    response.values() if isinstance(response, dict) else [r[1] for r in response]
                )
                for rows in replies:  # RESP3 gives a map, RESP2 a list of pairs: one stream here
                    await self._dispatch(rows)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not failing:
                    log.warning("live bus: reading from Redis failed (%s); retrying", exc)
                failing = min(max(failing * 2, 0.25), 5.0)
                await asyncio.sleep(failing)
                continue
            if self._gather_s:
                # Under load, let entries gather for a moment: one XREAD then carries many of
                # them, instead of one command per entry or two.
                await asyncio.sleep(self._gather_s)

    async def _dispatch(self, rows: list[Any]) -> None:
        """Firehose entries to the follows they belong to, in order; entries a follow has not
        seen before them are read from their own stream first."""
        assert self._cursor is not None
        if rows and _seq(rows[0][0]) != self._cursor + 1:
            await self._resync()  # it was trimmed past us: everything we follow catches up
        for entry_id, fields in rows:
            self._cursor = max(self._cursor, _seq(entry_id))
            # Fields as the script wrote them: s (stream), q (seq), d (data), k (key).
            follow = self._by_wire.get(fields[1])
            if follow is None:
                continue
            seq = int(fields[3])
            if seq <= follow.pos:
                continue
            if seq > follow.pos + 1:
                await self._catch_up(follow, seq - 1)
                if self._follows.get(follow.name) is not follow:
                    continue
            follow.pos = seq
            entry = Entry(seq, fields[7].decode() or None, fields[5].decode())
            for subscriber in list(follow.subscribers):
                subscriber.offer(entry)

    async def _resync(self) -> None:
        """Start reading the firehose where it is now; every follow reads what it missed from its
        own stream (at start-up, after Redis was away, or when the firehose dropped entries)."""
        at = await self._firehose_at()
        if self._cursor is None or at < self._cursor:
            self._cursor = at  # first start, or Redis started over: its counter did too
        for follow in list(self._follows.values()):
            await self._catch_up(follow, None)
        self._cursor = max(self._cursor, at)

    async def _catch_up(self, follow: _Follow, until: int | None) -> None:
        """Hand a follow's subscribers the entries after its position (up to `until`) from its
        stream; a hole there (trimmed) is a Gap for them."""
        entries, whole = await self._stored(follow.name, follow.pos, until)
        if not whole:
            for subscriber in list(follow.subscribers):
                subscriber.interrupt()
            follow.pos = (
                until if until is not None else max([follow.pos, *[e.seq for e in entries]])
            )
            return
        for entry in entries:
            follow.pos = entry.seq
            for subscriber in list(follow.subscribers):
                subscriber.offer(entry)

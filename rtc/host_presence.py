"""Which classes have their coach in the room, told to every process through Redis.

A room lives in one process (docs/deploy.md), but the pages that tag a class ("On now", "Live
now", "past its end") come from any process: without this, a class its coach began early or ran
over was on only in the pages of the process holding its room. Each process keeps its own coached
rooms in one sorted set, each member scored with the instant it lapses; it rewrites them when they
change and before they lapse, and withdraws them when it stops, so a process that dies without
withdrawing stops counting within `ttl_s`. Without Redis (one process) the rooms answer alone.

Redis being away costs only this: other processes' pages fall back on the timetable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError

from coach.clock import Clock
from rtc.rooms import Rooms

log = logging.getLogger("telecoach.rooms")
KEY = "telecoach:room-hosts"


class HostPresence:
    def __init__(
        self,
        rooms: Rooms,
        clock: Clock,
        redis: Any,
        *,
        every_s: float = 1.0,  # how soon another process's pages learn of a change
        ttl_s: float = 30.0,  # how long a process that died keeps counting
    ) -> None:
        self._rooms = rooms
        self._clock = clock
        self.redis = redis  # redis.asyncio.Redis, or None: one process
        self._every_s = every_s
        self._ttl_s = ttl_s
        self._published: frozenset[int] = frozenset()
        self._refresh_at = 0.0
        self._failing = False

    async def hosted_elsewhere(self) -> frozenset[int]:
        """The classes whose coach is in a room another process holds."""
        if self.redis is None:
            return frozenset()
        now = self._now()
        try:
            # One lapsing much later than a fresh entry would was written on a clock far from
            # this one's (another deployment's test clock, say): not to be believed.
            members = await self.redis.zrangebyscore(KEY, f"({now}", now + 2 * self._ttl_s)
        except (RedisError, OSError) as exc:
            log.warning("rooms' coaches elsewhere unknown: Redis failed (%s)", exc)
            return frozenset()
        hosted = frozenset(int(m) for m in members if m.isdigit())
        return hosted - self._published  # this process's own rooms answer for themselves

    async def publish(self) -> None:
        """Write this process's coached rooms if they changed or are about to lapse."""
        now = self._now()
        hosted = self._rooms.hosted()
        if hosted == self._published and now < self._refresh_at:
            return
        pipe = self.redis.pipeline(transaction=True)
        if hosted:
            pipe.zadd(KEY, {str(i): now + self._ttl_s for i in hosted})
        gone = self._published - hosted
        if gone:
            pipe.zrem(KEY, *(str(i) for i in gone))
        pipe.zremrangebyscore(KEY, "-inf", now)  # what dead processes left
        await pipe.execute()
        self._published = hosted
        self._refresh_at = now + self._ttl_s / 3

    async def run(self) -> None:
        """Publish until cancelled; Redis failing is logged once per outage and retried."""
        while True:
            try:
                await self.publish()
                if self._failing:
                    log.info("rooms' coaches published again")
                self._failing = False
            except (RedisError, OSError) as exc:
                if not self._failing:
                    log.warning("rooms' coaches not published: Redis failed (%s)", exc)
                self._failing = True
            await asyncio.sleep(self._every_s)

    async def withdraw(self) -> None:
        if not self._published:
            return
        with contextlib.suppress(RedisError, OSError):
            await self.redis.zrem(KEY, *(str(i) for i in self._published))
        self._published = frozenset()

    def _now(self) -> float:
        return self._clock.now().timestamp()


@contextlib.asynccontextmanager
async def hosts_across_processes(presence: HostPresence) -> AsyncIterator[None]:
    """Inside the lifespan: with Redis, tell the other processes whose coach is in our rooms."""
    if presence.redis is None:
        yield
        return
    task = asyncio.ensure_future(presence.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # its cancellation, awaited
        await presence.withdraw()  # before the rooms close: nobody waits out the lapse

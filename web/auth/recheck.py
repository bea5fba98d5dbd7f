"""Open connections outlive their credentials: a class or live heart-rate socket asks again, every
`SESSION_RECHECK_SECONDS`, whether the sign-in that opened it still stands (a revoked join link,
a logout or an idle end closes it; asking also keeps the session from idling out).

Thousands of sockets each asking on their own cost a transaction apiece. Here a process asks for
all the connections that are due in one transaction, every second: each connection is still
checked once per interval, counted from when it opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from coach.access import Actor
from coach.clock import Clock
from coach.database import Database
from web.auth.credentials import Credential, credential_of, principals_for
from web.auth.principal import Principal
from web.auth.sessions import SessionLimits

log = logging.getLogger("telecoach.auth")

TICK_S = 1.0  # at most this late, on top of the interval


@dataclass(eq=False)
class _Watched:
    credential: Credential
    actor: Actor
    due: float
    ended: asyncio.Future[None] = field(repr=False)


class SignInRecheck:
    def __init__(self, db: Database, every_s: float, limits: SessionLimits, clock: Clock) -> None:
        self._db = db
        self._every_s = every_s
        self._limits = limits
        self._clock = clock
        self._watched: set[_Watched] = set()
        self._task: asyncio.Task[None] | None = None

    async def until_ended(self, conn: HTTPConnection, principal: Principal) -> None:
        """Returns once the sign-in behind this connection no longer stands; cancel it when the
        connection closes first."""
        credential = credential_of(conn)
        assert credential is not None, "the connection was signed in"
        loop = asyncio.get_running_loop()
        watched = _Watched(credential, principal.actor, time.monotonic() + self._every_s,
                           loop.create_future())  # fmt: skip
        self._watched.add(watched)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="sign-in-recheck")
        try:
            await watched.ended
        finally:
            self._watched.discard(watched)
            if not self._watched and self._task is not None:
                self._task.cancel()  # nothing left to watch: no task lingers
                self._task = None

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(min(TICK_S, self._every_s))
            now = time.monotonic()
            due = [w for w in self._watched if w.due <= now and not w.ended.done()]
            if not due:
                continue
            try:
                current = await self._db.run(
                    principals_for,
                    [w.credential for w in due],
                    self._limits,
                    self._clock.now(),
                )
            except Exception:  # the database is away: keep the connections, ask again later
                log.warning("re-checking %d connections' sign-in failed; retrying", len(due))
                continue
            for watched, principal in zip(due, current, strict=True):
                watched.due = now + self._every_s
                gone = principal is None or principal.actor != watched.actor
                if gone and not watched.ended.done():  # (a closed connection cancelled it)
                    watched.ended.set_result(None)

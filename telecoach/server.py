"""Stopping `serve` without losing anything: every client is told to come back, every reading is
stored, and the process exits within a bounded time.

Uvicorn, on SIGTERM, closes every websocket with 1012 and only then runs the app's lifespan
shutdown: a room's `reconnect` message or a patient's last `stored` acknowledgement sent from the
lifespan would go nowhere. So `serve` runs `GracefulServer`, which first stops accepting
connections, then calls `drain(ctx)` while the sockets are still open:

1. rooms: each participant gets `{"type": "reconnect", "reason": "server_restarting"}` and close
   1012 (`Rooms.shutdown`);
2. live heart rate: the readings received so far are stored, each patient gets its last `stored`
   acknowledgements, and every live socket (patients and coaches) closes with 1012 "server
   restarting; reconnect";

and then lets uvicorn finish the HTTP requests under way (at most `GRACEFUL_SECONDS`) and run the
lifespan shutdown (the scheduler finishes the text it is sending, the readings that arrived since
are stored, Redis and the database are closed).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from web.context import AppContext

log = logging.getLogger("telecoach.shutdown")

DRAIN_SECONDS = 5.0  # telling the clients; the room writers give up after 5 s themselves
GRACEFUL_SECONDS = 10  # uvicorn: HTTP requests under way may finish within this, then are cancelled


async def drain(ctx: AppContext) -> None:
    """Tell every connected client to come back, after storing what they sent."""
    ctx.open_sockets.stopping = True
    log.info("stopping: telling %d connections to reconnect", len(ctx.open_sockets))
    await ctx.rooms.shutdown()  # class rooms say so in their own protocol
    # Stored before the sockets close, so each patient hears "stored" for them now instead of
    # resending them after the reconnect.
    await ctx.heart_rate.writer.drain()
    await ctx.open_sockets.close_all()


class GracefulServer(uvicorn.Server):
    """Uvicorn with `drain` between "stop accepting" and "close every connection"."""

    def __init__(
        self,
        config: uvicorn.Config,
        ctx: AppContext,
        on_started: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(config)
        self._ctx = ctx
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_started is not None:
            self._on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new connections while the clients are told to go
        try:
            await asyncio.wait_for(drain(self._ctx), DRAIN_SECONDS)
        except TimeoutError:
            log.warning("telling clients to reconnect took over %ss; closing anyway", DRAIN_SECONDS)
        except Exception:
            log.exception("draining before the stop failed; closing anyway")
        await super().shutdown(sockets)

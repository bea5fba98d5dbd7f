"""The websockets open in this process (class rooms and live heart rate): told to reconnect when
`serve` stops (telecoach/server.py drains them while they are still open)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator

from starlette.websockets import WebSocket

# RFC 6455 "Service Restart": the client reconnects, to this process or another.
RESTART_CLOSE_CODE = 1012
RESTART_REASON = "server restarting; reconnect"

BeforeClose = Callable[[], Awaitable[None]]


class OpenSockets:
    """Every websocket open in this process, closed with 1012 when it stops."""

    def __init__(self) -> None:
        self.stopping = False
        self._open: dict[WebSocket, BeforeClose | None] = {}

    @contextlib.contextmanager
    def holding(
        self, websocket: WebSocket, before_close: BeforeClose | None = None
    ) -> Iterator[None]:
        """While the block runs the socket is closed on a stop, after `before_close` (a patient's
        last acknowledgements)."""
        self._open[websocket] = before_close
        try:
            yield
        finally:
            self._open.pop(websocket, None)

    def __len__(self) -> int:
        return len(self._open)

    async def close_all(self) -> None:
        # All at once: one slow client must not hold the others' close back.
        await asyncio.gather(*(self._close(ws, last) for ws, last in list(self._open.items())))

    @staticmethod
    async def _close(websocket: WebSocket, before_close: BeforeClose | None) -> None:
        with contextlib.suppress(Exception):  # a client that already left
            if before_close is not None:
                await before_close()
            await websocket.close(RESTART_CLOSE_CODE, RESTART_REASON)

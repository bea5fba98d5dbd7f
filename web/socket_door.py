"""The one way into a websocket, for `/ws/rooms` (live class) and `/ws/live` (live heart rate).

Both ask the same things of a connection before it may speak its own protocol, and both must keep
asking while it stays open:
- a browser page on another site must not ride the visitor's cookie (the Origin check);
- who is this: a staff sign-in or a patient's join-link session (`resolve_principal`);
- a refusal is one `error` message, then a close code the client acts on (4401 sign in again,
  4403 not allowed, 4404 not found, ...);
- a revoked join link or an ended sign-in closes it within `SESSION_RECHECK_SECONDS`;
- `serve` stopping closes it with 1012, after its last word, so the client reconnects elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from coach.input_check import is_id
from web.auth.principal import Principal
from web.auth.resolve import resolve_principal
from web.context import AppContext
from web.errors import HTTPError
from web.open_sockets import BeforeClose


class Refused(Exception):
    """This connection may not go on: told to the client as `error` `code`, then closed."""

    def __init__(self, code: str, message: str, close_code: int, **fields: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code
        self.fields = fields  # more for the client, e.g. when a class that is not open opens


def origin_allowed(websocket: WebSocket, public_base_url: str) -> bool:
    """Browsers always send Origin: a page on another site must not ride the visitor's cookie."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (a device or an aiortc script): its credential is its own
    netloc = urlsplit(origin).netloc
    return netloc in (urlsplit(public_base_url).netloc, websocket.headers.get("host", ""))


async def enter(websocket: WebSocket, ctx: AppContext, what: str) -> Principal:
    """Accept the upgrade and say who is connecting; `Refused` when they may not. `what` names
    the connection in the refusal ("class", "live heart-rate")."""
    await websocket.accept()
    if not origin_allowed(websocket, ctx.settings.public_base_url):
        raise Refused("forbidden_origin", f"this page may not open a {what} connection", 4403)
    if not all(is_id(v) for v in websocket.path_params.values() if isinstance(v, int)):
        raise Refused("not_found", "no such class", 4404)  # too big for the database to look up
    try:
        principal = await resolve_principal(websocket)
    except HTTPError as exc:
        raise Refused("unauthenticated", exc.message, 4401) from None
    if principal is None:
        raise Refused("unauthenticated", "sign in, or open your join link again", 4401)
    return principal


async def refuse(
    websocket: WebSocket, code: str, message: str, close_code: int, **fields: Any
) -> None:
    """One `error`, then the close code; a client that already left is no failure."""
    with contextlib.suppress(Exception):
        error = {"type": "error", "code": code, "message": message, **fields}
        await websocket.send_text(json.dumps(error, separators=(",", ":")))
        await websocket.close(close_code)


SignInEnded = Callable[[], Awaitable[None]]


@contextlib.asynccontextmanager
async def held_open(
    websocket: WebSocket,
    ctx: AppContext,
    principal: Principal,
    on_sign_in_ended: SignInEnded,
    before_restart: BeforeClose | None = None,
) -> AsyncIterator[None]:
    """While the block runs: the sign-in is re-checked (`on_sign_in_ended` when it ends; the
    re-check also keeps the session from idling out) and a stop of `serve` closes the socket
    with 1012 after `before_restart`."""

    async def watch() -> None:
        await ctx.recheck.until_ended(websocket, principal)
        await on_sign_in_ended()

    watcher = asyncio.ensure_future(watch())
    try:
        with ctx.open_sockets.holding(websocket, before_restart):
            yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher

"""`/ws/live/{occurrence_id}`: the live heart-rate connection (docs/heart-rate.md, "Live socket").

A coach (or admin) watches the class: a roster with every patient's zone, then either the entries
missed since the position it sends back (resume) or a fresh snapshot, then every entry live. A
patient sends readings from their sensor and sees their own; each reading is acknowledged once
stored, so a client that reconnects sends again exactly what was not acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.websockets import WebSocket, WebSocketDisconnect

from web.auth.resolve import resolve_principal
from web.context import ctx_of
from web.errors import HTTPError
from web.heart_rate.live_coach import CoachView
from web.heart_rate.live_patient import PatientFeed
from web.heart_rate.socket_common import Refused, error, origin_allowed, send, watch_sign_in
from web.routing import Access, GuardedWebSocketRoute

log = logging.getLogger("telecoach.heart_rate")


async def live_socket(websocket: WebSocket) -> None:
    ctx = ctx_of(websocket)
    await websocket.accept()
    watcher = None
    try:
        if ctx.heart_rate is None:
            raise Refused("unavailable", "live heart rate is not running", 1011)
        if not origin_allowed(websocket, ctx.settings.public_base_url):
            raise Refused("forbidden_origin", "this page may not open a live connection", 4403)
        try:
            principal = await resolve_principal(websocket)
        except HTTPError as exc:
            raise Refused("unauthenticated", exc.message, 4401) from None
        if principal is None:
            raise Refused("unauthenticated", "sign in, or open your join link again", 4401)
        occurrence_id: int = websocket.path_params["occurrence_id"]
        watcher = asyncio.ensure_future(watch_sign_in(websocket, principal, ctx.recheck))
        view = (CoachView if principal.is_staff else PatientFeed)(
            websocket, ctx, principal, occurrence_id
        )
        last_word = view.send_acks if isinstance(view, PatientFeed) else None
        with ctx.live_sockets.holding(websocket, last_word):  # closed with 1012 on a restart
            await view.run()
    except Refused as exc:
        with contextlib.suppress(Exception):
            await send(websocket, error(exc.code, exc.message))
            await websocket.close(exc.close_code)
    except TimeoutError:
        with contextlib.suppress(Exception):
            await send(websocket, error("bad_hello", "no hello within 10 s"))
            await websocket.close(4408)
    except WebSocketDisconnect:
        pass
    except Exception:  # Redis or the database failed: the client reconnects and resends
        if ctx.live_sockets.stopping:
            return  # closed for the restart while a reply was under way: nothing failed
        log.exception(
            "live socket for occurrence %s failed", websocket.path_params.get("occurrence_id")
        )
        with contextlib.suppress(Exception):
            await send(websocket, error("unavailable", "try again in a moment"))
            await websocket.close(1011)
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


ROUTES = [
    GuardedWebSocketRoute(
        "/ws/live/{occurrence_id:int}", live_socket, access=Access.SIGNED_IN, name="live_socket"
    ),
]

"""`/ws/live/{occurrence_id}`: the live heart-rate connection (docs/heart-rate.md, "Live socket").

A coach (or admin) watches the class: a roster with every patient's zone, then either the entries
missed since the position it sends back (resume) or a fresh snapshot, then every entry live. A
patient sends readings from their sensor and sees their own; each reading is acknowledged once
stored, so a client that reconnects sends again exactly what was not acknowledged.
"""

from __future__ import annotations

import logging

from starlette.websockets import WebSocket, WebSocketDisconnect

from web.context import ctx_of
from web.heart_rate.live_coach import CoachView
from web.heart_rate.live_patient import PatientFeed
from web.routing import Access, GuardedWebSocketRoute
from web.socket_door import Refused, enter, held_open, refuse

log = logging.getLogger("telecoach.heart_rate")


async def live_socket(websocket: WebSocket) -> None:
    ctx = ctx_of(websocket)
    try:
        principal = await enter(websocket, ctx, "live heart-rate")
        occurrence_id: int = websocket.path_params["occurrence_id"]
        view = (CoachView if principal.is_staff else PatientFeed)(
            websocket, ctx, principal, occurrence_id
        )

        async def sign_in_ended() -> None:
            await refuse(websocket, "session_ended", "your sign-in ended", 4401)

        last_word = view.send_acks if isinstance(view, PatientFeed) else None
        async with held_open(websocket, ctx, principal, sign_in_ended, last_word):
            await view.run()
    except Refused as exc:
        await refuse(websocket, exc.code, exc.message, exc.close_code)
    except TimeoutError:
        await refuse(websocket, "bad_hello", "no hello within 10 s", 4408)
    except WebSocketDisconnect:
        pass
    except Exception:  # Redis or the database failed: the client reconnects and resends
        if ctx.open_sockets.stopping:
            return  # closed for the restart while a reply was under way: nothing failed
        log.exception(
            "live socket for occurrence %s failed", websocket.path_params.get("occurrence_id")
        )
        await refuse(websocket, "unavailable", "try again in a moment", 1011)


ROUTES = [
    GuardedWebSocketRoute(
        "/ws/live/{occurrence_id:int}", live_socket, access=Access.SIGNED_IN, name="live_socket"
    ),
]

"""`/ws/rooms/{occurrence_id}`: the live class connection.

The web layer's part is the door: web/socket_door.py checks the origin and says who this is (the
staff session, or the patient's session opened by their join link); here `coach.access` says
whether they may enter this class (the coach owns it, the patient is enrolled) and the database
whether the patient is on hold today. Then the connection is handed to `rtc`, which speaks the
protocol in docs/signaling.md.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.websockets import WebSocket

from coach import access, holds
from coach.audit import record
from coach.classes import RoomWindow
from coach.models import ClassOccurrence, ClassSeries, Patient
from coach.room_events import ended_since_it_opened
from rtc.errors import Fatal
from rtc.participants import Identity, RoomPolicy
from web.auth.principal import Principal
from web.context import AppContext, ctx_of
from web.routing import Access, GuardedWebSocketRoute
from web.socket_door import Refused, enter, held_open, refuse


class WebSocketChannel:
    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    async def send(self, message: dict[str, Any]) -> None:
        await self._websocket.send_text(json.dumps(message, separators=(",", ":")))

    async def close(self, code: int) -> None:
        await self._websocket.close(code)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def room_policy(
    session: Session,
    occurrence: ClassOccurrence,
    series: ClassSeries,
    room_capacity: int,
    window: RoomWindow,
) -> RoomPolicy:
    """The rules of a class's room, for a browser or a phone caller: its places, whether it
    admits enrolled patients itself, when it closes, and whether its coach ended it already
    (in a room this process no longer holds)."""
    return RoomPolicy(
        series.title,
        min(series.capacity, room_capacity),
        series.auto_admit,
        occurrence.ends_at + window.closes_after,
        ended_before=ended_since_it_opened(session, occurrence, window.opens_before),
    )


def _entry(
    session: Session,
    principal: Principal,
    occurrence_id: int,
    room_capacity: int,
    window: RoomWindow,
    now: datetime,
) -> tuple[Identity, RoomPolicy] | None:
    """Who enters and the room's rules; None (audited as denied) when they may not."""
    actor = principal.actor
    try:
        occurrence = access.get_occurrence(session, actor, occurrence_id)
    except access.NotVisible:
        record(session, actor, "class.room", None, "denied", f"occurrence {occurrence_id}")
        return None
    series = session.get(ClassSeries, occurrence.series_id)
    assert series is not None
    if occurrence.status == "cancelled" or series.cancelled_at is not None:
        raise Fatal("class_cancelled", "this class was cancelled", 4410)
    opens_at = occurrence.starts_at - window.opens_before
    closes_at = occurrence.ends_at + window.closes_after
    if now < opens_at:
        raise Refused(
            "not_open",
            f"this class opens at {_iso(opens_at)}",
            4425,
            opens_at=_iso(opens_at),
            starts_at=_iso(occurrence.starts_at),
        )
    if now >= closes_at:
        raise Fatal("class_ended", "this class has ended", 4410)
    policy = room_policy(session, occurrence, series, room_capacity, window)
    if actor.role == "patient" and actor.patient_id is not None:
        patient = session.get(Patient, actor.patient_id)
        assert patient is not None
        reasons = holds.hold_reasons(session, actor.patient_id, now)
        identity = Identity(
            f"p{actor.patient_id}", "patient", patient.name, actor, bool(reasons), reasons
        )
    else:
        identity = Identity(f"s{actor.staff_id}", "host", principal.name, actor)
    return identity, policy


async def _admit(websocket: WebSocket, ctx: AppContext) -> tuple[Principal, Identity, RoomPolicy]:
    principal = await enter(websocket, ctx, "class")
    occurrence_id: int = websocket.path_params["occurrence_id"]
    window = ctx.room_window
    entry = await ctx.db.run(
        _entry, principal, occurrence_id, ctx.settings.room_capacity, window, ctx.clock.now()
    )
    if entry is None:
        raise Refused("not_found", f"class {occurrence_id} not found", 4404)
    return principal, *entry


async def room_socket(websocket: WebSocket) -> None:
    ctx = ctx_of(websocket)
    try:
        principal, identity, policy = await _admit(websocket, ctx)
        connection = ctx.rooms.open_connection(
            identity, websocket.path_params["occurrence_id"], policy, WebSocketChannel(websocket)
        )
    except Refused as exc:
        await refuse(websocket, exc.code, exc.message, exc.close_code, **exc.fields)
        return
    except Fatal as exc:
        await refuse(websocket, exc.code, exc.message, exc.close_code)
        return

    async def sign_in_ended() -> None:
        connection.terminate(
            "error", 4401, code="session_ended", message="your sign-in ended; open your link again"
        )

    connection.start()
    try:
        # On a stop of `serve` the rooms say "reconnect" themselves (Rooms.shutdown), first.
        async with held_open(websocket, ctx, principal, sign_in_ended):
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("text")
                await connection.handle(data if data is not None else message.get("bytes") or b"")
    finally:
        await ctx.rooms.close_connection(connection)


ROUTES = [
    GuardedWebSocketRoute(
        "/ws/rooms/{occurrence_id:int}", room_socket, access=Access.SIGNED_IN, name="room_socket"
    ),
]

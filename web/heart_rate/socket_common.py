"""What both sides of the live heart-rate socket share: JSON messages in and out, admission to a
class (the door itself, origin and sign-in, is web/socket_door.py)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sqlmodel import Session
from starlette.websockets import WebSocket, WebSocketDisconnect

from coach import access
from coach.audit import record
from coach.input_check import InputRejected, checked_json
from coach.token_bucket import TokenBucket
from web.auth.principal import Principal
from web.socket_door import Refused

MAX_MESSAGE = 256 * 1024  # a resend of 1,000 readings fits easily
HELLO_TIMEOUT = 10.0
# Any message at all, readings or not (a sensor sends one a second, a coach's page a ping now and
# then): a client past this is broken or hostile, and is closed as the class socket closes one.
MESSAGES_PER_SECOND = 20.0
MESSAGES_BURST = 200.0


async def send(websocket: WebSocket, message: dict[str, Any]) -> None:
    await websocket.send_text(json.dumps(message, separators=(",", ":")))


def _allowance(websocket: WebSocket) -> TokenBucket:
    bucket: TokenBucket | None = getattr(websocket.state, "messages", None)
    if bucket is None:
        bucket = TokenBucket(MESSAGES_PER_SECOND, MESSAGES_BURST, time.monotonic())
        websocket.state.messages = bucket
    return bucket


async def receive_json(websocket: WebSocket, timeout: float | None = None) -> Any:
    """The next JSON message; None for one that is not JSON or too big (answered with an error)."""
    if timeout is None:  # the usual case, a message at a time: without wait_for's own overhead
        message = await websocket.receive()
    else:
        message = await asyncio.wait_for(websocket.receive(), timeout)
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if not _allowance(websocket).take(time.monotonic()):
        raise Refused("rate_limited", "too many messages", 4429)
    text = message.get("text")
    if text is None:
        await send(websocket, {"type": "error", "code": "bad_message", "message": "send text"})
        return None
    if len(text) > MAX_MESSAGE:
        await send(websocket, {"type": "error", "code": "too_big", "message": "message too big"})
        return None
    try:
        data = checked_json(text)
    except InputRejected as exc:
        await send(websocket, {"type": "error", "code": "bad_json", "message": str(exc)})
        return None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        await send(
            websocket,
            {"type": "error", "code": "bad_message", "message": "send an object with a type"},
        )
        return None
    return data


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def admitted(session: Session, principal: Principal, occurrence_id: int) -> bool:
    """May this person follow this class? A refusal is audited (and must then be committed: the
    caller returns rather than raises inside the transaction)."""
    try:
        access.get_occurrence(session, principal.actor, occurrence_id)
    except access.NotVisible:
        record(session, principal.actor, "heart_rate.live", None, "denied", f"occ {occurrence_id}")
        return False
    return True


def not_found(occurrence_id: int) -> Refused:
    return Refused("not_found", f"class {occurrence_id} not found", 4404)

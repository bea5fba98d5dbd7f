"""`/voice/stream`: the websocket Twilio opens for a call our TwiML `<Connect>`ed.

The door: the upgrade must carry Twilio's signature over our public `wss://` URL (refused with
403 before any handshake otherwise); then the `start` message must name, in its custom
parameters, a stream token the voice webhook issued for this very call and nobody has spent.
Then the caller joins the room (rtc/phone/) and this loop feeds it what Twilio sends. A broken
message closes the stream (Twilio then says goodbye and hangs up): one caller's bad stream never
touches anyone else in the room. docs/voice.md has the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlmodel import Session
from starlette.websockets import WebSocket

from coach import dial_in, holds
from coach.access import Actor
from coach.classes import RoomWindow
from coach.models import ClassOccurrence, ClassSeries, Patient
from messaging.signature import valid_signature
from rtc.errors import Fatal, SignalingError
from rtc.participants import Identity, RoomPolicy
from rtc.phone.call import PhoneCall
from rtc.phone.media_stream import Dtmf, Media, Start, Stop, StreamError, StreamReader
from web.context import AppContext, ctx_of
from web.room_socket import room_policy
from web.routing import Access, GuardedWebSocketRoute
from web.voice.inbound import stream_url

log = logging.getLogger("telecoach.phone")
START_SECONDS = 10.0  # Twilio sends `connected` and `start` at once
# A room's refusal -> why the call ended, as web/voice/inbound.py's goodbyes read it.
REFUSALS_SAID = {"class_ended": "ended", "removed": "removed"}


def _signed(websocket: WebSocket, ctx: AppContext) -> bool:
    token = ctx.settings.twilio_auth_token
    if not token or not ctx.settings.voice_number:
        return False
    url = stream_url(ctx.settings.public_base_url)
    signature = websocket.headers.get("x-twilio-signature")
    return valid_signature(token, url, {}, signature)


def _identity(
    session: Session, caller: dial_in.Caller, capacity: int, window: RoomWindow, now: datetime
) -> tuple[Identity, RoomPolicy]:
    occurrence = session.get(ClassOccurrence, caller.occurrence_id)
    series = session.get(ClassSeries, occurrence.series_id) if occurrence else None
    if occurrence is None or series is None:
        raise Fatal("not_found", "no such class", 4404)
    if occurrence.status == "cancelled" or series.cancelled_at is not None:
        raise Fatal("class_cancelled", "this class was cancelled", 4410)
    policy = room_policy(session, occurrence, series, capacity, window)
    if caller.patient_id is None:
        # A caller with the class PIN from an unknown number: the coach admits them or not.
        actor = Actor("patient")
        guest = f"c{caller.call_sid[-12:]}"
        return Identity(guest, "patient", caller.label, actor, kind="phone"), policy
    patient = session.get(Patient, caller.patient_id)
    assert patient is not None
    reasons = holds.hold_reasons(session, caller.patient_id, now)
    actor = Actor("patient", patient_id=caller.patient_id)
    identity = Identity(
        f"p{caller.patient_id}", "patient", patient.name, actor, bool(reasons), reasons, "phone"
    )
    return identity, policy


async def _start(websocket: WebSocket, reader: StreamReader) -> Start:
    while True:
        event = reader.read(await websocket.receive_text())
        if isinstance(event, Start):
            return event
        if event is not None:
            raise StreamError("media before 'start'")


async def voice_stream(websocket: WebSocket) -> None:
    ctx = ctx_of(websocket)
    if not _signed(websocket, ctx):
        await websocket.close(1008)  # before accept: the upgrade is answered 403
        return
    await websocket.accept()
    reader = StreamReader()
    call_sid: str | None = None
    try:
        start = await asyncio.wait_for(_start(websocket, reader), START_SECONDS)
        now = ctx.clock.now()
        window = ctx.room_window
        token = start.parameters.get("token", "")
        caller = await ctx.db.run(dial_in.spend_token, token, start.call_sid, now)
        if caller is None:
            raise StreamError("unknown or spent stream token", 4403)
        call_sid = start.call_sid
        identity, policy = await ctx.db.run(
            _identity, caller, ctx.settings.room_capacity, window, now
        )

        async def hang_up(code: int, ended_by: str) -> None:
            # Recorded before the close: Twilio asks our `<Connect>` action which goodbye to say
            # as soon as the stream is gone.
            with contextlib.suppress(Exception):
                await ctx.db.run(dial_in.record_ending, call_sid, ended_by)
            await websocket.close(code)

        call = ctx.rooms.open_call(
            identity, caller.occurrence_id, policy, start.stream_sid, websocket.send_text, hang_up
        )
    except (StreamError, Fatal, TimeoutError, ValueError, KeyError) as exc:
        # ValueError/KeyError: the websocket sent bytes or disconnected before `start`.
        log.info("voice stream refused: %r", exc)
        ending = REFUSALS_SAID.get(exc.code) if isinstance(exc, Fatal) else None
        if ending is not None and call_sid is not None:
            # Ended (or removed) between the webhook and the stream: the goodbye says so, not
            # that the line had a problem and the caller should try again.
            with contextlib.suppress(Exception):
                await ctx.db.run(dial_in.record_ending, call_sid, ending)
        with contextlib.suppress(Exception):
            await websocket.close(getattr(exc, "close_code", 1008))
        return
    except SignalingError as exc:  # not Fatal: the room is full
        log.info("voice stream refused: %r", exc)
        with contextlib.suppress(Exception):
            await websocket.close(1013)  # "try again later"; Twilio says goodbye
        return
    try:
        await _relay(websocket, reader, call)
        await call.hung_up()
    finally:
        await ctx.rooms.close_call(call)


async def _relay(websocket: WebSocket, reader: StreamReader, call: PhoneCall) -> None:
    while call.ended_by is None:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        try:
            event = reader.read(message.get("text"))
        except StreamError as exc:
            log.info("voice stream %s closed: %s", call.identity.id, exc.reason)
            call.terminate("stream_error", exc.close_code)
            with contextlib.suppress(Exception):
                await websocket.close(exc.close_code)
            return
        if isinstance(event, Media):
            call.hear(event.payload)
        elif isinstance(event, Dtmf):
            call.key(event.digit)
        elif isinstance(event, Stop):
            return


ROUTES = [
    GuardedWebSocketRoute("/voice/stream", voice_stream, access=Access.PUBLIC, name="voice_stream"),
]

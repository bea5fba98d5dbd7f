"""A phone caller as a member of a room: the `MemberConnection` the room talks to, backed by a
Twilio media stream instead of a signaling websocket and an aiortc peer.

The room admits, mutes, spotlights and removes a caller as it does anyone else. What the caller
hears goes out in steady 20 ms μ-law frames (silence while they wait in the lobby); a gap or a
burst would stutter on the phone. When the room ends the call (class over, removed, replaced),
the stream is closed with the reason (`ended`, `removed`, ...), and Twilio asks our `<Connect>`
action for the goodbye that fits it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from rtc.participants import Identity
from rtc.phone.audio import FRAME_MS, MulawEncoder
from rtc.phone.listening import PhonePeer
from rtc.phone.media_stream import media_message
from rtc.room import Room

log = logging.getLogger("telecoach.phone")
FRAME_SECONDS = FRAME_MS / 1000
# Behind by more than this (a busy loop, a slow socket): skip the missed ticks rather than send
# a burst Twilio would queue as delay.
MAX_LAG_SECONDS = 0.06
MUTE_KEYS = "*6"


class PhoneCall:
    def __init__(
        self,
        identity: Identity,
        room: Room,
        stream_sid: str,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
    ) -> None:
        self.identity = identity
        self.room = room
        self.peer: PhonePeer | None = None
        self.ended_by: str | None = None
        self._stream_sid = stream_sid
        self._send = send
        self._close = close
        self._encoder = MulawEncoder()
        self._keys = ""
        self._sender: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self._left = False

    # -- MemberConnection -----------------------------------------------------------------------

    @property
    def link(self) -> str:
        return "connected"  # a call is either on or gone (Twilio keeps the line)

    @property
    def link_since(self) -> datetime | None:
        return None

    def post(self, message: dict[str, Any]) -> None:
        """Room messages (`state`, `lobby`) have no place on a phone line: the caller heard
        "please wait" before the stream began, and hears the coach once admitted."""

    def admitted(self) -> None:
        if self.peer is None:
            self.peer = PhonePeer()

    def terminate(self, kind: str, close_code: int, **fields: Any) -> None:
        if self.ended_by is not None:
            return
        self.ended_by = kind
        log.info("room %s: call %s ended (%s)", self.room.occurrence_id, self.identity.id, kind)
        self._closing = asyncio.ensure_future(self._hang_up())

    # -- the call ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.room.join(self, audio_only=True)
        self._sender = asyncio.ensure_future(self._send_frames())

    def hear(self, mulaw: bytes) -> None:
        if self.peer is not None and self.ended_by is None:
            self.peer.speak(mulaw)

    def key(self, digit: str) -> None:
        """`*6` mutes or unmutes the caller, as the mute button does in a browser."""
        self._keys = (self._keys + digit)[-len(MUTE_KEYS) :]
        if self._keys != MUTE_KEYS or self.ended_by is not None:
            return
        self._keys = ""
        member = self.room.members.get(self.identity.id)
        if member is not None and member.connection is self:
            muted = member.audio_muted or member.muted_by_host
            self.room.set_mute(self, "audio", not muted)

    async def _send_frames(self) -> None:
        # Frame n goes out at start + n * 20 ms: deadlines on one grid, so a late wake-up never
        # shifts the ones after it (sleeping 20 ms after each send would drift by the work).
        loop = asyncio.get_running_loop()
        start = loop.time()
        tick = 0
        with contextlib.suppress(Exception):  # a vanished stream: the handler cleans up
            while self.ended_by is None:
                pcm = self.peer.next_frame() if self.peer is not None else None
                mulaw = self._encoder.encode(pcm) if pcm is not None else _SILENT_MULAW
                await self._send(media_message(self._stream_sid, mulaw))
                tick += 1
                behind = loop.time() - (start + tick * FRAME_SECONDS)
                if behind > MAX_LAG_SECONDS:
                    tick += int(behind / FRAME_SECONDS)  # stay on the grid, drop what's missed
                await asyncio.sleep(max(0.0, start + tick * FRAME_SECONDS - loop.time()))

    async def _hang_up(self) -> None:
        with contextlib.suppress(Exception):
            await self._close(1000, self.ended_by or "hung_up")

    async def hung_up(self) -> None:
        """Wait for the hang-up the room asked for (its reason is recorded before the close)."""
        if self._closing is not None:
            with contextlib.suppress(Exception):
                await self._closing

    async def close(self) -> None:
        """The stream is gone (or ending): leave the room and free the decoders."""
        if self._left:
            return
        self._left = True
        if self.ended_by is None:
            self.ended_by = "hung_up"
        self.room.leave(self)
        sender = self._sender
        if sender is not None and sender is not asyncio.current_task():
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        if self.peer is not None:
            self.peer.close()
            self.peer = None


_SILENT_MULAW = b"\xff" * 160  # μ-law's zero

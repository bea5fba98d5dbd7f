"""One signaling connection: validates what the client sends, acts on its room, and writes every
message back in order through its own outbox (so a room can post without waiting on a socket).

The transport is anything with `send(dict)` and `close(code)` (`Channel`); the web layer adapts
its websocket to it after authenticating the person and checking they may enter the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from aiortc import RTCConfiguration

from coach.token_bucket import TokenBucket
from rtc import protocol
from rtc.errors import Fatal, SignalingError
from rtc.participants import Identity, Member
from rtc.peer import PeerTimings, ServerPeer
from rtc.room import Room

log = logging.getLogger("telecoach.rooms")
OUTBOX_LIMIT = 500
# Token bucket per connection: bursts of trickled candidates are fine, a flood is not.
BURST_MESSAGES = 200
MESSAGES_PER_SECOND = 20.0
CLOSE_FLUSH_SECONDS = 5.0


class Channel(Protocol):
    async def send(self, message: dict[str, Any]) -> None: ...

    async def close(self, code: int) -> None: ...


@dataclass(frozen=True)
class PeerSettings:
    configuration: Callable[[], RTCConfiguration]
    # Numbers every server peer of the process, so a client never mistakes a new one for its last.
    next_generation: Callable[[], int]
    timings: PeerTimings = field(default_factory=PeerTimings)
    # Reconnecting this long (no media connection, or media silent) makes the coach's tile "lost".
    lost_after: float = 20.0


@dataclass(frozen=True)
class _Close:
    code: int


class Connection:
    def __init__(
        self,
        identity: Identity,
        room: Room,
        channel: Channel,
        ice_servers: list[dict[str, Any]],
        peer_settings: PeerSettings,
    ) -> None:
        self.identity = identity
        self.room = room
        self.peer: ServerPeer | None = None
        self.member: Member | None = None
        self._channel = channel
        self._ice_servers = ice_servers
        self._peer_settings = peer_settings
        self._outbox: asyncio.Queue[dict[str, Any] | _Close] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # finishing touches that end in close()
        self._peer_closings: set[asyncio.Task[None]] = set()
        self._messages = TokenBucket(MESSAGES_PER_SECOND, BURST_MESSAGES, time.monotonic())
        self._closing = False
        self._closed: asyncio.Future[None] | None = None
        self._ended_by: str | None = None  # the message type of a terminate(): a deliberate end
        self._was_connected = False
        self._trouble_since: datetime | None = None  # when media was last lost (app clock)
        self._trouble_started = 0.0  # ...and on the monotonic clock, to time `lost_after`
        self._lost_timer: asyncio.TimerHandle | None = None

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def link(self) -> str:
        """What the others are told of this person's media: connecting, connected, reconnecting
        or lost (reconnecting for `lost_after` seconds)."""
        peer = self.peer
        if peer is not None and peer.link == "connected":
            return "connected"
        if self._trouble_since is None:
            return "connecting"
        lost_after = self._peer_settings.lost_after
        if time.monotonic() - self._trouble_started >= lost_after - 0.05:  # the timer's slack
            return "lost"
        return "reconnecting"

    @property
    def link_since(self) -> datetime | None:
        """When this person's media was lost, while it is (reconnecting or lost)."""
        return self._trouble_since if self.link in ("reconnecting", "lost") else None

    @property
    def left_on_purpose(self) -> bool:
        """The connection ended by a message (leave, removed, ended, replaced, ...), not a drop."""
        return self._ended_by is not None

    def start(self) -> None:
        self._writer = asyncio.ensure_future(self._write())
        self.post(
            {
                "type": "welcome",
                "protocol": protocol.PROTOCOL_VERSION,
                "you": {
                    "id": self.identity.id,
                    "role": self.identity.role,
                    "name": self.identity.name,
                },
                "room": {
                    "occurrence_id": self.room.occurrence_id,
                    "title": self.room.policy.title,
                    "ended": self.room.ended,  # a host may start it again: `join` with `reopen`
                },
                "ice_servers": self._ice_servers,
            }
        )

    # -- outgoing ------------------------------------------------------------------------------

    def post(self, message: dict[str, Any]) -> None:
        if self._closing:
            return
        if self._outbox.qsize() >= OUTBOX_LIMIT:
            # The client stopped reading; holding more for it would only grow memory.
            self._closing = True
            self._spawn(self._abort())
            return
        self._outbox.put_nowait(message)

    def terminate(self, kind: str, close_code: int, **fields: Any) -> None:
        """Tell the client why (`kind` is the message type), close, and free everything."""
        if self._closing:
            return
        self.post({"type": kind, **fields})
        self._ended_by = kind
        self._closing = True
        self._outbox.put_nowait(_Close(close_code))
        self._spawn(self._finish())

    async def terminated(self) -> None:
        """Until a `terminate` has delivered its message and close (or given up after
        CLOSE_FLUSH_SECONDS) and freed everything."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _write(self) -> None:
        with contextlib.suppress(Exception):  # a vanished client: close() cleans up
            while True:
                item = await self._outbox.get()
                if isinstance(item, _Close):
                    await self._channel.close(item.code)
                    return
                await self._channel.send(item)

    async def _finish(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._writer), CLOSE_FLUSH_SECONDS)
        await self.close()

    async def _abort(self) -> None:
        with contextlib.suppress(Exception):
            await self._channel.close(1008)
        await self.close()

    # -- incoming ------------------------------------------------------------------------------

    async def handle(self, raw: str | bytes) -> None:
        if self._closing:
            return
        message: dict[str, Any] = {}
        try:
            self._spend_token()
            message = protocol.parse(raw)
            await self._dispatch(message)
        except Fatal as exc:
            self.terminate("error", exc.close_code, code=exc.code, message=exc.message)
        except SignalingError as exc:
            error = {"type": "error", "code": exc.code, "message": exc.message}
            request = exc.request or message.get("type")
            if isinstance(request, str):
                error["request"] = request
            self.post(error)
        except Exception:
            # A bug here must cost this one message, not the connection or the room.
            log.exception("signaling: %s failed", message.get("type"))
            self.post({"type": "error", "code": "internal", "message": "the server failed"})

    def _spend_token(self) -> None:
        if not self._messages.take(time.monotonic()):
            raise Fatal("rate_limited", "too many messages", 4429)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping":
            self.post({"type": "pong"})
            return
        if kind == "join":
            if message.get("reopen") and self.identity.role != "host":
                raise SignalingError("forbidden", "only the class's coach may reopen the class")
            self._join(message.get("audio_only", False), message.get("reopen", False))
            return
        if kind == "leave":
            self.terminate("left", 1000)
            return
        host_command = kind in protocol.HOST_ONLY or (kind == "mute" and "participant" in message)
        if host_command and self.identity.role != "host":
            raise SignalingError("forbidden", f"only the class's coach may send '{kind}'")
        if self.member is None:
            raise SignalingError("not_joined", "send 'join' first")
        await self._act(kind, message)

    async def _act(self, kind: str, message: dict[str, Any]) -> None:
        room = self.room
        if kind == "answer":
            if self.peer is None:
                raise SignalingError("unexpected_answer", "no offer is waiting for an answer")
            await self.peer.accept_answer(message["peer"], message["revision"], message["sdp"])
        elif kind == "candidate":
            # Candidates for a connection already replaced are dropped without a word.
            if self.peer is not None and message["peer"] == self.peer.generation:
                await self.peer.add_candidate(message["candidate"])
        elif kind == "mute" and "participant" in message:
            room.mute(self, message["participant"])
        elif kind == "mute":
            room.set_mute(self, message["kind"], message["muted"])
        elif kind == "audio_only":
            room.set_audio_only(self, message["enabled"])
        elif kind == "admit":
            room.admit(self, message["participant"])
        elif kind == "remove":
            room.remove(self, message["participant"])
        elif kind == "spotlight":
            room.set_spotlight(self, message["participant"])
        elif kind == "options":
            room.set_options(self, message["patients_see_each_other"])
        elif kind == "end":
            room.end(self)

    def _join(self, audio_only: bool, reopen: bool) -> None:
        if self.member is None:
            self.member = self.room.join(self, audio_only, reopen)
            return
        if audio_only != self.member.audio_only:
            self.room.set_audio_only(self, audio_only)
        if self.member.admitted:
            if self._was_connected:
                self._lost_media()
            self._new_peer()  # the client lost its connection and rebuilt its own
            self.room.peer_changed(self)
        else:
            self.post({"type": "lobby"})

    # -- the media connection ----------------------------------------------------------------

    def admitted(self) -> None:
        """Called by the room when this participant is let in: start their media connection."""
        self.post({"type": "admitted"})
        self._new_peer()

    def _new_peer(self) -> None:
        old = self.peer
        self.peer = ServerPeer(
            self._peer_settings.next_generation(),
            self._peer_settings.configuration(),
            self.post,
            self._post_state,
            self._peer_failed,
            self._peer_link,
            self._peer_settings.timings,
        )
        self.peer.request_negotiation()
        if old is not None:
            self._spawn(old.close(), self._peer_closings)

    def _post_state(self) -> None:
        member = self.room.members.get(self.identity.id)
        if member is not None and member.connection is self:
            self.room.send_state(member)

    def _peer_failed(self, peer: ServerPeer, reason: str) -> None:
        if peer is not self.peer:
            return
        log.info(
            "room %s: %s's media connection ended (%s)",
            self.room.occurrence_id,
            self.identity.id,
            reason,
        )
        self.peer = None
        self._lost_media()
        self._spawn(peer.close(), self._peer_closings)  # frees its forwarding slots
        self.room.peer_changed(self)
        self.post({"type": "reconnect", "reason": reason})

    def _peer_link(self, peer: ServerPeer) -> None:
        if peer is not self.peer:
            return
        if peer.link == "connected":
            self._was_connected = True
            self._trouble_since = None
            self._cancel_lost_timer()
        else:
            self._lost_media()
        self.room.peer_changed(self)

    def _lost_media(self) -> None:
        """Media stopped (silent, failed, or the client rebuilt its connection): the others see
        "reconnecting" now, and "lost" if it is not back within `lost_after`."""
        if self._trouble_since is not None:
            return
        self._trouble_since = self.room.now()
        self._trouble_started = time.monotonic()
        self._lost_timer = asyncio.get_running_loop().call_later(
            self._peer_settings.lost_after, self.room.peer_changed, self
        )

    def _cancel_lost_timer(self) -> None:
        if self._lost_timer is not None:
            self._lost_timer.cancel()
            self._lost_timer = None

    # -- the end -------------------------------------------------------------------------------

    async def close(self) -> None:
        """Leave the room and free the peer, its tracks and tasks; safe to call more than once."""
        if self._closed is not None:
            await self._closed
            return
        self._closed = asyncio.get_running_loop().create_future()
        self._closing = True
        self._cancel_lost_timer()
        try:
            self.room.leave(self, dropped=not self.left_on_purpose)
            peer, self.peer = self.peer, None
            if peer is not None:
                await peer.close()
            if self._peer_closings:
                await asyncio.gather(*self._peer_closings, return_exceptions=True)
            current = asyncio.current_task()
            if self._writer is not None and self._writer is not current:
                self._writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._writer
        finally:
            self._closed.set_result(None)

    def _spawn(self, work: Any, into: set[asyncio.Task[None]] | None = None) -> None:
        tasks = self._tasks if into is None else into
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

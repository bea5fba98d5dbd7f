"""Every live room hosted by this process, and the connections connected to them.

A room lives in one process, in memory: who was admitted (so a reconnecting patient skips the
lobby) and who was removed survive a participant's reconnect; an empty room is forgotten after
`idle_room_seconds`, except an ended one, which is kept (ended) until its closing time.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from coach.clock import Clock
from rtc.connection import Channel, Connection, PeerSettings
from rtc.errors import Fatal
from rtc.ice import client_ice_servers, server_configuration
from rtc.participants import Identity, RoomObserver, RoomPolicy
from rtc.peer import PeerTimings
from rtc.phone.call import PhoneCall
from rtc.room import Room
from rtc.seam import check_seam


@dataclass(frozen=True)
class RtcSettings:
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl_seconds: int = 14400
    timings: PeerTimings = field(default_factory=PeerTimings)
    lost_after: float = 20.0
    idle_room_seconds: float = 600.0


class Rooms:
    def __init__(self, settings: RtcSettings, observer: RoomObserver, clock: Clock) -> None:
        check_seam()  # refuse to start rather than forward nothing after an aiortc upgrade
        self.settings = settings
        self._observer = observer
        self._clock = clock
        self._rooms: dict[int, Room] = {}
        self._empty_since: dict[int, float] = {}
        self._closings: dict[int, asyncio.TimerHandle] = {}
        self._connections: set[Connection] = set()
        self._calls: set[PhoneCall] = set()
        configuration = server_configuration(settings.stun_urls)
        self._peer_settings = PeerSettings(
            lambda: configuration,
            itertools.count(1).__next__,
            settings.timings,
            settings.lost_after,
        )

    def open_connection(
        self, identity: Identity, occurrence_id: int, policy: RoomPolicy, channel: Channel
    ) -> Connection:
        """A new connection for `identity`, who the web layer has checked may enter the room."""
        room = self._room_for(identity, occurrence_id, policy)
        ice = client_ice_servers(
            self.settings.stun_urls,
            self.settings.turn_urls,
            self.settings.turn_secret,
            self.settings.turn_ttl_seconds,
            identity.id,
        )
        connection = Connection(identity, room, channel, ice, self._peer_settings)
        self._connections.add(connection)
        return connection

    def open_call(
        self,
        identity: Identity,
        occurrence_id: int,
        policy: RoomPolicy,
        stream_sid: str,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
    ) -> PhoneCall:
        """A phone caller (the web layer checked the call's token) joins at once: the lobby,
        or straight in if the room admits them."""
        room = self._room_for(identity, occurrence_id, policy)
        call = PhoneCall(identity, room, stream_sid, send, close)
        call.start()
        self._calls.add(call)
        return call

    async def close_call(self, call: PhoneCall) -> None:
        await call.close()
        self._calls.discard(call)
        self._forget_if_empty(call.room)

    def _room_for(self, identity: Identity, occurrence_id: int, policy: RoomPolicy) -> Room:
        self._sweep()
        room = self._rooms.get(occurrence_id)
        if room is None and policy.ended_before:
            # Its coach ended it in a room this process no longer holds (before a restart): it
            # is ended here too, kept like any ended room until its closing time.
            room = Room(occurrence_id, policy, self._observer, self._clock.now)
            room.ended = True
            self._rooms[occurrence_id] = room
            self._empty_since[occurrence_id] = time.monotonic()
        if room is not None and room.ended and identity.role != "host":
            # Stays ended until a host starts it again explicitly (`join` with `reopen`).
            raise Fatal("class_ended", "this class has ended", 4410)
        if room is not None:
            room.refuse_removed(identity)  # one error and the close, before any welcome
        if room is None:
            room = Room(occurrence_id, policy, self._observer, self._clock.now)
            self._rooms[occurrence_id] = room
        else:
            room.policy = policy  # capacity or auto-admit may have changed since it opened
        self._close_on_time(room)
        self._empty_since.pop(occurrence_id, None)
        return room

    async def close_connection(self, connection: Connection) -> None:
        await connection.close()
        self._connections.discard(connection)
        self._forget_if_empty(connection.room)

    def _forget_if_empty(self, room: Room) -> None:
        if not room.members and self._rooms.get(room.occurrence_id) is room:
            self._empty_since[room.occurrence_id] = time.monotonic()

    def _close_on_time(self, room: Room) -> None:
        """End the room at its closing time (the class's end plus the grace the web layer set)."""
        closes_at = room.policy.closes_at
        old = self._closings.pop(room.occurrence_id, None)
        if old is not None:
            old.cancel()
        if closes_at is None:
            return
        delay = max(0.0, (closes_at - self._clock.now()).total_seconds())
        self._closings[room.occurrence_id] = asyncio.get_running_loop().call_later(
            delay, self._close_room, room
        )

    def _close_room(self, room: Room) -> None:
        self._closings.pop(room.occurrence_id, None)
        if not room.ended:
            room.close()

    def _sweep(self) -> None:
        cutoff = time.monotonic() - self.settings.idle_room_seconds
        now = self._clock.now()
        for occurrence_id, since in list(self._empty_since.items()):
            room = self._rooms.get(occurrence_id)
            if room is not None and room.ended and (room.policy.closes_at or now) > now:
                continue  # forgetting it would let patients back into an ended class
            if since < cutoff and (room is None or not room.members):
                self._rooms.pop(occurrence_id, None)
                del self._empty_since[occurrence_id]
                closing = self._closings.pop(occurrence_id, None)
                if closing is not None:
                    closing.cancel()

    def has_ended(self, occurrence_id: int) -> bool:
        """The coach ended this class's room (and has not started it again)."""
        room = self._rooms.get(occurrence_id)
        return room is not None and room.ended

    def host_present(self, occurrence_id: int) -> bool:
        """The coach is in this class's room now: the class is on, whatever the timetable says
        (begun early, or running over)."""
        room = self._rooms.get(occurrence_id)
        return room is not None and not room.ended and any(m.is_host for m in room.members.values())

    def hosted(self) -> frozenset[int]:
        """The classes whose coach is in one of this process's rooms now."""
        return frozenset(i for i in self._rooms if self.host_present(i))

    def stats(self) -> dict[str, Any]:
        """What this process holds right now; the resource tests and /metrics read it."""
        peers = [s.peer for s in self._connections if s.peer is not None]
        return {
            "rooms": sum(1 for r in self._rooms.values() if r.members),
            "participants": sum(len(r.members) for r in self._rooms.values()),
            "connections": len(self._connections),
            "peers": len(peers),
            "forwarded_tracks": sum(
                1 for p in peers for slot in p.slots if slot.track.source is not None
            ),
            "frames_forwarded": sum(slot.track.frames_out for p in peers for slot in p.slots),
            "frames_dropped": sum(slot.track.frames_dropped for p in peers for slot in p.slots),
            "keyframe_requests": sum(
                s.keyframe_requests for p in peers for s in p.sources.values()
            ),
            "phone_calls": len(self._calls),
        }

    async def shutdown(self) -> None:
        """Tell every client to come back (to this or another process), then free everything."""
        for closing in self._closings.values():
            closing.cancel()
        self._closings.clear()
        connections = list(self._connections)
        for connection in connections:
            connection.terminate("reconnect", 1012, reason="server_restarting")
        calls = list(self._calls)
        for call in calls:
            call.terminate("server_restarting", 1012)
        await asyncio.gather(*(self.close_call(c) for c in calls), return_exceptions=True)
        # Each message goes out before its connection is freed: freeing stops its writer.
        await asyncio.gather(*(s.terminated() for s in connections), return_exceptions=True)
        await asyncio.gather(
            *(self.close_connection(s) for s in connections), return_exceptions=True
        )

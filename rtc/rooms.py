"""Every live room hosted by this process, and the connections connected to them.

A room lives in one process, in memory: who was admitted (so a reconnecting patient skips the
lobby) and who was removed survive a participant's reconnect; an empty room is forgotten after
`idle_room_seconds`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from typing import Any

from rtc.connection import Channel, Connection, PeerSettings
from rtc.errors import Fatal
from rtc.ice import client_ice_servers, server_configuration
from rtc.participants import Identity, RoomObserver, RoomPolicy
from rtc.room import Room
from rtc.seam import check_seam


@dataclass(frozen=True)
class RtcSettings:
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl_seconds: int = 14400
    negotiation_timeout: float = 20.0
    idle_room_seconds: float = 600.0


class Rooms:
    def __init__(self, settings: RtcSettings, observer: RoomObserver) -> None:
        check_seam()  # refuse to start rather than forward nothing after an aiortc upgrade
        self.settings = settings
        self._observer = observer
        self._rooms: dict[int, Room] = {}
        self._empty_since: dict[int, float] = {}
        self._connections: set[Connection] = set()
        configuration = server_configuration(settings.stun_urls)
        self._peer_settings = PeerSettings(
            lambda: configuration, itertools.count(1).__next__, settings.negotiation_timeout
        )

    def open_connection(
        self, identity: Identity, occurrence_id: int, policy: RoomPolicy, channel: Channel
    ) -> Connection:
        """A new connection for `identity`, who the web layer has checked may enter the room."""
        self._sweep()
        room = self._rooms.get(occurrence_id)
        if room is not None and room.ended:
            if identity.role != "host":
                raise Fatal("class_ended", "this class has ended", 4410)
            room = None  # the coach opens it again
        if room is not None:
            room.refuse_removed(identity)  # one error and the close, before any welcome
        if room is None:
            room = Room(occurrence_id, policy, self._observer)
            self._rooms[occurrence_id] = room
        else:
            room.policy = policy  # capacity or auto-admit may have changed since it opened
        self._empty_since.pop(occurrence_id, None)
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

    async def close_connection(self, connection: Connection) -> None:
        await connection.close()
        self._connections.discard(connection)
        room = connection.room
        if not room.members and self._rooms.get(room.occurrence_id) is room:
            self._empty_since[room.occurrence_id] = time.monotonic()

    def _sweep(self) -> None:
        cutoff = time.monotonic() - self.settings.idle_room_seconds
        for occurrence_id, since in list(self._empty_since.items()):
            room = self._rooms.get(occurrence_id)
            if since < cutoff and (room is None or not room.members):
                self._rooms.pop(occurrence_id, None)
                del self._empty_since[occurrence_id]

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
        }

    async def shutdown(self) -> None:
        """Tell every client to come back (to this or another process), then free everything."""
        connections = list(self._connections)
        for connection in connections:
            connection.terminate("reconnect", 1012, reason="server_restarting")
        # Each message goes out before its connection is freed: freeing stops its writer.
        await asyncio.gather(*(s.terminated() for s in connections), return_exceptions=True)
        await asyncio.gather(
            *(self.close_connection(s) for s in connections), return_exceptions=True
        )

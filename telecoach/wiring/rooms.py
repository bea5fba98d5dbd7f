"""The live class rooms this process hosts, configured from the settings."""

from __future__ import annotations

from coach.clock import Clock
from rtc.peer import PeerTimings
from rtc.rooms import Rooms, RtcSettings
from telecoach.settings import Settings
from telecoach.wiring.room_audit import RoomAudit

# Share of the media timeout after which silence shows as "reconnecting", and the multiple after
# which a participant who has not come back shows as "lost".
STALL_SHARE = 0.3
LOST_MULTIPLE = 2


def build_rooms(settings: Settings, audit: RoomAudit, clock: Clock) -> Rooms:
    media_timeout = float(settings.room_media_timeout_seconds)
    return Rooms(
        RtcSettings(
            stun_urls=settings.stun_urls,
            turn_urls=settings.turn_urls,
            turn_secret=settings.turn_secret,
            turn_ttl_seconds=settings.turn_ttl_seconds,
            timings=PeerTimings(
                connect_timeout=float(settings.room_connect_timeout_seconds),
                media_stall=media_timeout * STALL_SHARE,
                media_timeout=media_timeout,
            ),
            lost_after=media_timeout * LOST_MULTIPLE,
        ),
        audit,
        clock,
    )

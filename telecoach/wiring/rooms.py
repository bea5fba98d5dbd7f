"""The live class rooms this process hosts, configured from the settings."""

from __future__ import annotations

from rtc.rooms import Rooms, RtcSettings
from telecoach.settings import Settings
from telecoach.wiring.room_audit import RoomAudit


def build_rooms(settings: Settings, audit: RoomAudit) -> Rooms:
    return Rooms(
        RtcSettings(
            stun_urls=settings.stun_urls,
            turn_urls=settings.turn_urls,
            turn_secret=settings.turn_secret,
            turn_ttl_seconds=settings.turn_ttl_seconds,
        ),
        audit,
    )

"""The live bus: numbered, resumable streams per class occurrence (see `rtc.bus.base`)."""

from rtc.bus.base import BusClosed, Entry, Gap, LiveBus, Position, Subscription
from rtc.bus.memory import MemoryBus
from rtc.bus.redis_streams import RedisStreamsBus

__all__ = [
    "BusClosed",
    "Entry",
    "Gap",
    "LiveBus",
    "MemoryBus",
    "Position",
    "RedisStreamsBus",
    "Subscription",
]

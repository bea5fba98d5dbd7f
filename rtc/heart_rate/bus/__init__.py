"""The live bus of heart rate: numbered, resumable streams per class occurrence (see `base`)."""

from rtc.heart_rate.bus.base import BusClosed, Entry, Gap, LiveBus, Position, Subscription
from rtc.heart_rate.bus.memory import MemoryBus
from rtc.heart_rate.bus.redis_streams import RedisStreamsBus

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

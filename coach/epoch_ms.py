"""Times as epoch milliseconds, the unit of heart-rate readings on the wire and on the live bus.

Exact both ways (integer arithmetic, no float timestamps): a patient has at most one reading per
millisecond, so a reading's time must survive every conversion unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def to_ms(when: datetime) -> int:
    """Rounded down. A time without a zone is UTC, as every stored time is. (The live path makes
    several of these a reading: this costs a seventh of going through `timestamp()`.)"""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - EPOCH) // _MS

"""Reminder offsets ("24h", "90m", "2d") and quiet hours ("21:00-08:00") as people write them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import time

from scheduler.errors import ScheduleInputError

MAX_OFFSET_MINUTES = 14 * 24 * 60  # reminders are planned a week or two ahead at most
MAX_OFFSETS = 5
_OFFSET = re.compile(r"^\s*(\d{1,5})\s*([mhd])\s*$", re.IGNORECASE)
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440}
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_offset(raw: object, field: str = "offsets") -> int:
    """Minutes before the class: "24h" -> 1440. A whole number is taken as minutes."""
    if isinstance(raw, bool):
        raise ScheduleInputError(field, f"{raw!r} is not an offset like 24h or 90m")
    if isinstance(raw, int):
        minutes = raw
    elif isinstance(raw, str):
        if raw.strip().startswith("-"):
            raise ScheduleInputError(
                field, f"{raw!r}: a reminder comes before the class, not after"
            )
        match = _OFFSET.match(raw)
        if match is None:
            raise ScheduleInputError(field, f"{raw[:20]!r} is not an offset like 24h, 90m or 2d")
        minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2).lower()]
    else:
        raise ScheduleInputError(field, f"{raw!r} is not an offset like 24h or 90m")
    if minutes <= 0:
        raise ScheduleInputError(field, f"{raw!r}: a reminder comes before the class, not after")
    if minutes > MAX_OFFSET_MINUTES:
        raise ScheduleInputError(field, f"{raw!r}: at most 14 days before the class")
    return minutes


def parse_offsets(raw: object, field: str = "offsets", *, text: bool = False) -> tuple[int, ...]:
    """A list (or, with `text`, a comma-separated string) of offsets, largest first, without
    repeats."""
    if text and isinstance(raw, str):
        items: Sequence[object] = [p for p in raw.split(",") if p.strip()]
        if raw.strip().lower() == "none":
            items = []
    elif isinstance(raw, list):
        items = raw
    else:
        raise ScheduleInputError(field, 'must be a list of offsets like ["24h", "1h"]')
    if len(items) > MAX_OFFSETS:
        raise ScheduleInputError(field, f"at most {MAX_OFFSETS} reminders per class")
    return tuple(sorted({parse_offset(item, field) for item in items}, reverse=True))


def format_offset(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def parse_clock(raw: object, field: str) -> time:
    if not isinstance(raw, str) or _CLOCK.fullmatch(raw) is None:  # `$` allows a last "\n"
        raise ScheduleInputError(field, f"{str(raw)[:20]!r} is not a local time like 09:00")
    hour, minute = raw.split(":")
    return time(int(hour), int(minute))


def parse_quiet_hours(raw: str) -> tuple[time, time] | None:
    """ "21:00-08:00" -> (21:00, 08:00); "none" turns quiet hours off."""
    if raw.strip().lower() in ("none", "off"):
        return None
    start, sep, end = raw.partition("-")
    if not sep:
        raise ValueError("must be two local times like 21:00-08:00, or none")
    try:
        window = parse_clock(start.strip(), "QUIET_HOURS"), parse_clock(end.strip(), "QUIET_HOURS")
    except ScheduleInputError as exc:
        raise ValueError(exc.message) from None
    if window[0] == window[1]:
        raise ValueError("start and end must differ (use none to turn quiet hours off)")
    return window

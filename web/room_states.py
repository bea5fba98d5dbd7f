"""Whether a class is on, read from its room as well as its timetable: a coach may begin early,
run over, or end a class before its time, and the pages that tag a class should say so."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from coach.models import ClassOccurrence


class RoomStates(Protocol):
    """What the rooms of this process know of a class beyond its timetable (rtc.rooms.Rooms)."""

    def has_ended(self, occurrence_id: int) -> bool: ...  # the coach ended it

    def host_present(self, occurrence_id: int) -> bool: ...  # the coach is in it now


def class_phase(occurrence: ClassOccurrence, now: datetime, rooms: RoomStates) -> str:
    """Of a class whose room is open: `on` (between its start and its end, or its coach is in
    the room), `early` (not begun), or `over` (past its end)."""
    assert occurrence.id is not None
    if rooms.host_present(occurrence.id):
        return "on"
    if now < occurrence.starts_at:
        return "early"
    return "on" if now < occurrence.ends_at else "over"


def staff_tag(occurrence: ClassOccurrence, now: datetime, rooms: RoomStates) -> str | None:
    """How a coach's list tags a class: `on_now` while its coach is in the room, or between its
    start and its end unless the coach ended it; `ended` once the coach ended it; else none."""
    assert occurrence.id is not None
    if rooms.host_present(occurrence.id):
        return "on_now"
    if rooms.has_ended(occurrence.id):
        return "ended"
    return "on_now" if occurrence.starts_at <= now < occurrence.ends_at else None

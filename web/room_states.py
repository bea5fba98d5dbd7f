"""Whether a class is on, read from its room as well as its timetable: a coach may begin early,
run over, or end a class before its time, and the pages that tag a class should say so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session

from coach.models import ClassOccurrence
from coach.room_events import ended_by_coach


class RoomStates(Protocol):
    """What the rooms of this process know of a class beyond its timetable (rtc.rooms.Rooms)."""

    def has_ended(self, occurrence_id: int) -> bool: ...  # the coach ended it

    def host_present(self, occurrence_id: int) -> bool: ...  # the coach is in it now


@dataclass(frozen=True)
class RoomsAndTrail:
    """The rooms as `with_elsewhere` gives them, and the classes the audit trail says their coach
    ended: a room lives in one process (docs/deploy.md), and a restart forgets it, but every
    process writes the trail."""

    rooms: RoomStates
    ended: frozenset[int]

    def has_ended(self, occurrence_id: int) -> bool:
        return occurrence_id in self.ended or self.rooms.has_ended(occurrence_id)

    def host_present(self, occurrence_id: int) -> bool:
        return self.rooms.host_present(occurrence_id)


@dataclass(frozen=True)
class RoomsEverywhere:
    """This process's rooms, and the classes whose coach is in a room another process holds
    (rtc/host_presence.py)."""

    rooms: RoomStates
    hosted_elsewhere: frozenset[int]

    def has_ended(self, occurrence_id: int) -> bool:
        return self.rooms.has_ended(occurrence_id)

    def host_present(self, occurrence_id: int) -> bool:
        return occurrence_id in self.hosted_elsewhere or self.rooms.host_present(occurrence_id)


def with_elsewhere(rooms: RoomStates, hosted_elsewhere: frozenset[int]) -> RoomStates:
    return RoomsEverywhere(rooms, hosted_elsewhere) if hosted_elsewhere else rooms


def with_trail(
    session: Session,
    rooms: RoomStates,
    occurrences: Iterable[ClassOccurrence],
    now: datetime,
    opens_before: timedelta,
) -> RoomStates:
    """`rooms`, told which of these classes whose room has opened their coach ended."""
    opened = [o for o in occurrences if o.id is not None and o.starts_at - opens_before <= now]
    if not opened:
        return rooms
    since = min(o.starts_at for o in opened) - opens_before
    ended = ended_by_coach(session, {o.id for o in opened if o.id is not None}, since)
    return RoomsAndTrail(rooms, frozenset(ended))


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


def running_over(occurrence: ClassOccurrence, now: datetime, rooms: RoomStates) -> bool:
    """Past its end time with its coach still in the room: a coach's lists keep showing it."""
    assert occurrence.id is not None
    return occurrence.ends_at <= now and rooms.host_present(occurrence.id)

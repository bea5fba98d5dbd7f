"""The patient's classes as a plan: those whose room is open now, then the next one and when its
room opens, then the rest in short; a class that is over (its room closed, or the coach ended it)
is left out.

A room is open from a while before its class to a while after (a class that runs over). A class
is "live now" between its start and its end, or while its coach is in the room (begun early, or
running over); otherwise its room is open before the start, or the class is past its end (the page
says until when the room stays open). The live ones come first.

Of the rest only the first few show at once: a daily class made a phone scroll past three weeks
of them to reach today's session at home. The others wait behind one "more" the patient opens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from coach.classes import CANCELLED, RoomWindow
from coach.models import ClassOccurrence, ClassSeries
from web.dates import clock_text
from web.room_states import RoomStates, class_phase
from web.views import local_text, occurrence_view

LATER_SHOWN = 4  # later classes listed at once; the rest behind "N more classes"
# A next class whose room opens within this long is offered as "Join class" even past midnight.
JOIN_WITHIN = timedelta(hours=1)


@dataclass
class Schedule:
    live: list[dict[str, Any]] = field(default_factory=list)
    next: dict[str, Any] | None = None
    later: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.live and self.next is None and not self.later

    @property
    def later_shown(self) -> list[dict[str, Any]]:
        return self.later[:LATER_SHOWN]

    @property
    def later_more(self) -> list[dict[str, Any]]:
        return self.later[LATER_SHOWN:]


def plan(
    rows: list[tuple[ClassOccurrence, ClassSeries]],
    now: datetime,
    window: RoomWindow,
    time_zone: str,
    rooms: RoomStates,
    language: str = "en",
) -> Schedule:
    """`rows` soonest first, as `classes.upcoming_for_series` gives them (cancelled included)."""
    schedule = Schedule()
    zone = ZoneInfo(time_zone)
    for occurrence, series in rows:
        assert occurrence.id is not None
        opens_at = occurrence.starts_at - window.opens_before
        closes_at = occurrence.ends_at + window.closes_after
        if now >= closes_at or rooms.has_ended(occurrence.id):
            continue
        view = occurrence_view(occurrence, series, time_zone, language=language)
        view["cancelled"] = occurrence.status == CANCELLED or series.cancelled_at is not None
        view["opens_local"] = local_text(opens_at, time_zone, language)
        view["opens_at_iso"] = opens_at.isoformat()
        # A room that opens on a later day: the way in now is to get ready, not to join. Unless
        # it opens within the hour: at 23:50, a class at 00:30 is joined, as at any other time.
        view["opens_later_day"] = (
            opens_at.astimezone(zone).date() > now.astimezone(zone).date()
            and opens_at - now > JOIN_WITHIN
        )
        if view["cancelled"]:
            schedule.later.append(view)
        elif opens_at <= now:
            view["phase"] = class_phase(occurrence, now, rooms)
            view["closes_time"] = clock_text(closes_at, time_zone)
            schedule.live.append(view)
        elif schedule.next is None:
            schedule.next = view
        else:
            schedule.later.append(view)
    schedule.live.sort(key=lambda view: PHASES.index(view["phase"]))  # stable: soonest first
    return schedule


PHASES = ("on", "early", "over")  # the order open rooms are listed in

"""The coach's coming classes as a week's agenda: each local day a heading ("Today, Fri 04 Dec",
"Tomorrow, …", then the date; "Yesterday, …" over a class on now that began before midnight) over
its classes by time, the one on now marked, and one its coach ended early marked so. A coach with a
daily class otherwise reads twenty rows of the same title and full date to find today's; later
classes are on each class's page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from coach import languages
from coach.models import ClassOccurrence, ClassSeries
from web.dates import clock_text, day_month, zone_label
from web.room_states import RoomStates, staff_tag
from web.views import occurrence_view


def agenda(
    rows: Iterable[tuple[ClassOccurrence, ClassSeries]],
    zone: str,
    language: str,
    now: datetime,
    enrolled: Mapping[int | None, int],
    limit: int,
    rooms: RoomStates,
    days_ahead: int = 7,
) -> tuple[list[dict[str, Any]], bool]:
    """The days of the coming week (today and `days_ahead` - 1 more, in `zone`), at most `limit`
    classes, in order: each {"when": yesterday|today|tomorrow|later, "weekday", "date", "date_iso",
    "classes"}, for the page to word; and whether classes were left out. `rows` come soonest
    first."""
    where = ZoneInfo(zone)
    today = now.astimezone(where).date()
    last_day = today + timedelta(days=days_ahead - 1)
    words = languages.language(language).dates
    days: dict[str, dict[str, Any]] = {}
    for shown, (occurrence, series) in enumerate(rows):
        starts = occurrence.starts_at.astimezone(where)
        day = starts.date()
        if day > last_day or shown == limit:
            return list(days.values()), True
        if day.isoformat() not in days:
            when = (
                "today" if day == today
                else "tomorrow" if day == today + timedelta(days=1)
                # a class on now that began before midnight: its own day, named
                else "yesterday" if day == today - timedelta(days=1)
                else "later"
            )  # fmt: skip
            days[day.isoformat()] = {
                "when": when,
                "weekday": words.weekdays[day.weekday()],
                "date": day_month(day, language),
                "date_iso": day.isoformat(),
                "classes": [],
            }
        view = occurrence_view(occurrence, series, zone, enrolled.get(series.id, 0), language)
        view["time_local"] = f"{clock_text(starts, zone)} {zone_label(starts)}"
        view["tag"] = staff_tag(occurrence, now, rooms)
        days[day.isoformat()]["classes"].append(view)
    return list(days.values()), False

"""iCalendar (RFC 5545) files for a class series and for one occurrence, with their time zone.

Times are written as local times with a TZID and the zone's VTIMEZONE (its daylight-saving rules
for the years the file covers), so a calendar keeps a 10:00 class at 10:00 across the change. A
series is one event with its RRULE; cancelled occurrences are EXDATEs and moved ones are
overriding events with a RECURRENCE-ID, as calendars expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vRecur

from coach.models import ClassOccurrence, ClassSeries

PRODID = "-//Telecoach//Classes//EN"


def _calendar(zone: str, first: date, last: date) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(
        Timezone.from_tzinfo(ZoneInfo(zone), zone, first_date=first, last_date=last)
    )
    return calendar


def _local(when: datetime, zone: str) -> datetime:
    return when.astimezone(ZoneInfo(zone))


def _event(uid: str, series: ClassSeries, start: datetime, now: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("summary", series.title)
    if series.description:
        event.add("description", series.description)
    event.add("dtstart", _local(start, series.time_zone))
    event.add("dtend", _local(start + timedelta(minutes=series.duration_minutes), series.time_zone))
    return event


def _uid(series: ClassSeries, host: str) -> str:
    return f"class-{series.id}@{host}"


def _rrule(series: ClassSeries) -> vRecur:
    rule: vRecur = vRecur.from_ical(series.rrule or "")
    if "UNTIL" in rule:
        # With a TZID on DTSTART, RFC 5545 wants UNTIL in UTC; ours is local to the class.
        zone = ZoneInfo(series.time_zone)
        until = rule["UNTIL"][0]
        if isinstance(until, datetime) and until.tzinfo is None:
            rule["UNTIL"] = [until.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))]
    return rule


def series_ics(
    series: ClassSeries, exceptions: Sequence[ClassOccurrence], host: str, now: datetime
) -> bytes:
    """The class as a calendar: its rule, and `exceptions` to it (cancelled or moved
    occurrences) as EXDATEs and overriding events."""
    start = series.first_start_local.replace(tzinfo=ZoneInfo(series.time_zone))
    last = max([o.starts_at for o in exceptions] + [start, now]) + timedelta(days=3 * 366)
    calendar = _calendar(series.time_zone, start.date() - timedelta(days=1), last.date())
    main = _event(_uid(series, host), series, start, now)
    if series.rrule:
        main.add("rrule", _rrule(series))
    if series.cancelled_at is not None:
        main.add("status", "CANCELLED")
    for occurrence in exceptions:
        if occurrence.status != "scheduled":
            main.add("exdate", _local(occurrence.original_start, series.time_zone))
    calendar.add_component(main)
    for occurrence in exceptions:
        if occurrence.status == "scheduled" and occurrence.starts_at != occurrence.original_start:
            moved = _event(_uid(series, host), series, occurrence.starts_at, now)
            moved.add("recurrence-id", _local(occurrence.original_start, series.time_zone))
            calendar.add_component(moved)
    data: bytes = calendar.to_ical()
    return data


def occurrence_ics(
    series: ClassSeries, occurrence: ClassOccurrence, host: str, now: datetime
) -> bytes:
    """One occurrence on its own (a calendar that should not hold the whole series)."""
    first = occurrence.starts_at.date() - timedelta(days=1)
    calendar = _calendar(series.time_zone, first, first + timedelta(days=3))
    event = _event(f"occurrence-{occurrence.id}@{host}", series, occurrence.starts_at, now)
    event.add("status", "CONFIRMED" if occurrence.status == "scheduled" else "CANCELLED")
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data

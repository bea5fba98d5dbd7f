"""A moment written for a reader: in their time zone, with the zone named, in their language.

Python's strftime names days and months in the process's C locale (English), whatever the page's
language; these tables are the names a reader of each language expects. A language without a table
reads English, as the catalogues fall back to English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DateWords:
    weekdays: tuple[str, ...]  # Monday first, as datetime.weekday() counts
    months: tuple[str, ...]  # January first
    pattern: str  # fields: weekday, day, month, year, time, zone


_ENGLISH = DateWords(
    weekdays=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    months=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    pattern="{weekday} {day:02d} {month} {year}, {time} {zone}",
)

_SPANISH = DateWords(
    weekdays=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    months=(
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    pattern="{weekday} {day} de {month} de {year}, {time} ({zone})",
)

_BY_LANGUAGE = {"en": _ENGLISH, "es": _SPANISH}


def zone_label(moment: datetime) -> str:
    """The zone's short name ("CST", "CET"), or "UTC-05" where the zone database has none."""
    name = moment.tzname() or "UTC"
    if name[:1] in "+-":
        hours, minutes = name[1:3], name[3:5]
        return f"UTC{name[0]}{hours}" + (f":{minutes}" if minutes and minutes != "00" else "")
    return name


def moment_text(when: datetime, zone: str, language: str = "en") -> str:
    """'Tue 01 Dec 2026, 10:00 CST' or 'martes 1 de diciembre de 2026, 10:00 (CST)'."""
    local = when.astimezone(ZoneInfo(zone))
    words = _BY_LANGUAGE.get(language, _ENGLISH)
    return words.pattern.format(
        weekday=words.weekdays[local.weekday()],
        day=local.day,
        month=words.months[local.month - 1],
        year=local.year,
        time=local.strftime("%H:%M"),
        zone=zone_label(local),
    )


def day_month(day: date, language: str = "en") -> str:
    """'30 Nov' or '30 nov': a chart's axis label for a week."""
    words = _BY_LANGUAGE.get(language, _ENGLISH)
    return f"{day.day:02d} {words.months[day.month - 1][:3]}"


def clock_text(when: datetime, zone: str) -> str:
    """'10:00': the time of day in a zone, as a phone shows a text's time."""
    return when.astimezone(ZoneInfo(zone)).strftime("%H:%M")

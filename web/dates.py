"""A moment written for a reader: in their time zone, with the zone named, in their language.

Python's strftime names days and months in the process's C locale (English), whatever the page's
language; each language's file in coach/languages/ has the names and the order its readers expect
("2026年12月4日 星期五 15:00 (CST)"). An unknown language reads English.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from coach import languages


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
    words = languages.language(language).dates
    return words.pattern.format(
        weekday=words.weekdays[local.weekday()],
        day=local.day,
        month=words.months[local.month - 1],
        month_number=local.month,
        year=local.year,
        time=local.strftime("%H:%M"),
        zone=zone_label(local),
    )


def day_month(day: date, language: str = "en") -> str:
    """'30 Nov', '30 nov' or '11月30日': a chart's axis label for a week."""
    words = languages.language(language).dates
    return words.day_month.format(**_day_fields(day, words))


def day_text(day: date, language: str = "en") -> str:
    """'05 Dec 2026', '5 dic 2026' or '2026年12月5日': a calendar day in a list or a table's
    column (no time, so no zone), as compact as the ISO date it replaces."""
    words = languages.language(language).dates
    return words.day_pattern.format(**_day_fields(day, words))


def _day_fields(day: date, words: languages.DateWords) -> dict[str, object]:
    """What a language's day patterns may name (each uses some of them)."""
    month = words.months[day.month - 1]
    return {
        "weekday": words.weekdays[day.weekday()],
        "day": day.day,
        "month": month,
        "month_short": month[:3],
        "month_number": day.month,
        "year": day.year,
    }


def clock_text(when: datetime, zone: str) -> str:
    """'10:00': the time of day in a zone, as a phone shows a text's time."""
    return when.astimezone(ZoneInfo(zone)).strftime("%H:%M")

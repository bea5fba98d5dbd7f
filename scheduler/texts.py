"""The words of scheduled texts, chosen when the text is sent (the patient's language and zone at
that moment, the class's time as it is then), through the SMS templates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from coach import languages
from messaging.templates import render

DAY_KEYS = ("mo", "tu", "we", "th", "fr", "sa", "su")


def clock_text(when: datetime, zone: str, language: str) -> str:
    """The clock the language's file names (coach/languages/): "3:00 PM" or "15:00"."""
    pattern = languages.language(language).dates.text_clock
    text = when.astimezone(ZoneInfo(zone)).strftime(pattern)
    return text.lstrip("0") if pattern.startswith("%I") else text


def class_reminder(
    *,
    clinic: str,
    language: str,
    zone: str,
    starts_at: datetime,
    now: datetime,
    link: str | None,
    dial_in: tuple[str, str] | None = None,
) -> str:
    """Same day: "starts at 10:00" (with the join link for browser patients, or the number to
    call and the class PIN, `dial_in`, for patients who join by phone); the day before:
    "tomorrow at" (with the number and PIN too); further ahead: "on Monday at"."""
    tz = ZoneInfo(zone)
    days_ahead = (starts_at.astimezone(tz).date() - now.astimezone(tz).date()).days
    time = clock_text(starts_at, zone, language)
    if days_ahead <= 0:
        if link:
            return render(language, "reminder.class_soon_link", clinic=clinic, time=time, link=link)
        if dial_in:
            number, pin = dial_in
            return render(
                language,
                "reminder.class_soon_phone",
                clinic=clinic,
                time=time,
                number=number,
                pin=pin,
            )
        return render(language, "reminder.class_soon", clinic=clinic, time=time)
    if days_ahead == 1:
        if dial_in:
            number, pin = dial_in
            return render(
                language,
                "reminder.class_day_before_phone",
                clinic=clinic,
                time=time,
                number=number,
                pin=pin,
            )
        return render(language, "reminder.class_day_before", clinic=clinic, time=time)
    day = DAY_KEYS[starts_at.astimezone(tz).weekday()]
    when = render(language, f"on_day.{day}", time=time)
    return render(language, "reminder.class_on_day", clinic=clinic, time=when)


def checkin(language: str, question: str) -> str:
    return render(language, f"checkin.{question}")


MONTH_KEYS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def date_time_text(when: datetime, zone: str, language: str) -> str:
    """A day, date and time in the patient's zone and words: "Tuesday, January 6 at 11:00 AM".
    Absolute, not "tomorrow": a notice may wait for the end of quiet hours."""
    local = when.astimezone(ZoneInfo(zone))
    return render(
        language,
        "class_change.when",
        weekday=render(language, f"weekday.{DAY_KEYS[local.weekday()]}"),
        month=render(language, f"month.{MONTH_KEYS[local.month - 1]}"),
        day=local.day,
        time=clock_text(when, zone, language),
    )


def class_change(
    name: str,
    *,
    clinic: str,
    language: str,
    zone: str,
    when: datetime,
    was: datetime | None = None,
) -> str:
    """A class change notice (`class_change.<name>`): `when` is the new time for a move, the
    cancelled class's time for a cancellation; `was` the time a moved class had."""
    values: dict[str, object] = {"clinic": clinic, "time": date_time_text(when, zone, language)}
    if was is not None:
        values["was"] = date_time_text(was, zone, language)
    return render(language, f"class_change.{name}", **values)

"""The reminders part of a form: which times before a class a reminder text goes, chosen from
a short list in words ("1 day before") rather than typed as offsets ("24h"). The scheduler
parses the choice (scheduler/offsets.py), as it parses the API's offsets."""

from __future__ import annotations

from typing import Any

from scheduler.errors import ScheduleInputError
from scheduler.offsets import parse_offsets
from web.pages.form_fields import whole_number
from web.prescribing.forms import Form, single

CHOICES = (2880, 1440, 180, 60, 30)  # minutes before the class


def offset_words(minutes: int) -> tuple[str, int]:
    """(catalogue key, n) for "n days/hours/minutes before"."""
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ("reminders.day_one", 1) if days == 1 else ("reminders.days", days)
    if minutes % 60 == 0:
        hours = minutes // 60
        return ("reminders.hour_one", 1) if hours == 1 else ("reminders.hours", hours)
    return "reminders.minutes", minutes


def reminder_view(own: tuple[int, ...] | None, fallback: tuple[int, ...]) -> dict[str, Any]:
    """What the form shows: the own setting (None: the fallback applies) among the choices;
    while the fallback applies its times are ticked, so choosing "these" starts from them."""
    ticked = set(fallback if own is None else own)
    offered = sorted(set(CHOICES) | ticked, reverse=True)
    return {
        "mode": "default" if own is None else ("none" if not own else "own"),
        "fallback": [offset_words(m) for m in fallback],
        "choices": [(m, offset_words(m), m in ticked) for m in offered],
    }


def typed_view(form: Form, fallback: tuple[int, ...]) -> dict[str, Any]:
    """The form as the coach left it, to show again when it was refused."""
    ticked = {v for v in form.get("offsets", []) if v.isdigit() and len(v) < 7}
    offered = sorted(set(CHOICES) | {int(v) for v in ticked}, reverse=True)
    return {
        "mode": single(form, "mode") or "default",
        "fallback": [offset_words(m) for m in fallback],
        "choices": [(m, offset_words(m), str(m) in ticked) for m in offered],
    }


def parse_reminder_form(form: Form) -> tuple[int, ...] | None:
    """None for the default, () for none, else the minutes; ScheduleInputError otherwise."""
    mode = single(form, "mode")
    if mode == "default":
        return None
    if mode == "none":
        return ()
    if mode != "own":
        raise ScheduleInputError("mode", "unknown choice")
    return parse_offsets([whole_number(v) for v in form.get("offsets", [])])

"""Planning classes from the screens: the coach's classes, and creating one (once or weekly,
on chosen days, a number of times) in the coach's zone. The domain parses the class as it parses
the API's (coach/classes.py); a refused form comes back with what was typed and what to fix.
One class's own page is web/pages/onboarding_class_page.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, classes
from coach.classes import ClassInputError
from coach.models import ClassOccurrence, Enrollment
from usecases import classes as class_usecases
from web.auth.principal import Principal
from web.context import ctx_of
from web.i18n import Translator
from web.pages.form_fields import time_zone_choices, whole_number
from web.pages.plain_words import class_error
from web.pages.render import page_language, page_words, render
from web.prescribing.forms import Form, read_form, single
from web.routing import Access, route
from web.views import local_text, staff_zone

LIST_PAGE = "onboarding/classes.html"
FORM_PAGE = "onboarding/class_form.html"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
REPEATS = {"none": 0, "weekly": 1, "biweekly": 2}  # weeks between classes; 0: once
TEXT_FIELDS = ("title", "description", "date", "time", "time_zone", "duration", "capacity")


def repeat_words(rule: str | None, t: Translator) -> str | None:
    """How a class repeats, in the reader's words ("Every week on Tuesday, Thursday"); None for
    a rule the words do not cover (made through the API), which the page shows as is."""
    if not rule:
        return t("classes.no_repeat")
    parts = dict(p.partition("=")[::2] for p in rule.upper().split(";"))
    if not set(parts) <= {"FREQ", "INTERVAL", "BYDAY", "COUNT"}:
        return None
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit():
        return None
    every = int(interval)
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    if not all(d in WEEKDAYS for d in days):
        return None  # "+1MO" and the like
    on = t("staff.common.list_separator").join(t(f"weekday.{d.lower()}") for d in days)
    if parts.get("FREQ") == "DAILY" and not days:
        return t("classes.daily") if every == 1 else t("classes.every_n_days", n=every)
    if parts.get("FREQ") == "DAILY" and every == 1:  # every day, on those days only
        return t("classes.weekly_on", days=on)
    if parts.get("FREQ") != "WEEKLY":
        return None
    if days:
        return (
            t("classes.weekly_on", days=on)
            if every == 1
            else t("classes.every_n_weeks_on", n=every, days=on)
        )
    return t("classes.weekly") if every == 1 else t("classes.every_n_weeks", n=every)


# --- the list ---------------------------------------------------------------------------------


async def class_list(request: Request) -> Response:
    principal: Principal = request.state.principal
    now = ctx_of(request).clock.now()
    t = page_words(request)

    def load(session: Session) -> dict[str, Any]:
        zone = staff_zone(session, principal.actor)
        found = access.visible_classes(session, principal.actor)
        ids = [s.id for s in found if s.id is not None]
        counts: dict[int | None, int] = dict(
            session.exec(
                select(Enrollment.series_id, func.count())
                .where(col(Enrollment.series_id).in_(ids))
                .group_by(col(Enrollment.series_id))
            ).all()
        )
        # Each class's next start, however many classes (one row per class, not per start).
        nexts = {
            series_id: local_text(starts_at, zone, page_language(request))
            for series_id, starts_at in session.exec(
                select(ClassOccurrence.series_id, func.min(ClassOccurrence.starts_at))
                .where(col(ClassOccurrence.series_id).in_(ids), ClassOccurrence.ends_at > now)
                .where(ClassOccurrence.status == classes.SCHEDULED)
                .group_by(col(ClassOccurrence.series_id))
            ).all()
        }
        rows = [
            {
                "series": s,
                "next": nexts.get(s.id or 0),
                "enrolled": counts.get(s.id, 0),
                "repeats": repeat_words(s.rrule, t),
            }
            for s in found
        ]
        return {"rows": rows, "zone": zone}

    return render(request, LIST_PAGE, await ctx_of(request).db.run(load))


# --- creating a class -------------------------------------------------------------------------


def _typed(form: Form) -> tuple[dict[str, str], list[str]]:
    values = {name: single(form, name) or "" for name in TEXT_FIELDS}
    values["repeat"] = single(form, "repeat") or "none"
    values["count"] = single(form, "count") or ""
    values["auto_admit"] = "true" if single(form, "auto_admit") else ""
    return values, form.get("days", [])


def _rule(values: dict[str, str], days: list[str]) -> str | None:
    """The iCalendar rule the coach chose, or ClassInputError on the form's own fields (the
    domain checks the whole rule again when it parses the class)."""
    weeks = REPEATS.get(values["repeat"])
    if weeks is None or any(day not in WEEKDAYS for day in days):
        raise ClassInputError("rrule", "unknown choice")
    if weeks == 0:
        return None
    rule = "FREQ=WEEKLY" + (f";INTERVAL={weeks}" if weeks > 1 else "")
    if days:
        rule += ";BYDAY=" + ",".join(d for d in WEEKDAYS if d in days)
    if values["count"].strip():
        count = whole_number(values["count"])
        if not isinstance(count, int) or not 1 <= count <= classes.MAX_OCCURRENCES:
            raise ClassInputError("count", "must be 1 to 200")
        rule += f";COUNT={count}"
    return rule


def class_input(values: dict[str, str], days: list[str], now: datetime) -> dict[str, Any]:
    """The form as the domain's class input, parsed by the same function the API uses."""
    start = f"{values['date'].strip()}T{values['time'].strip()}"
    parsed = classes.parse_class_input(
        {
            "title": values["title"],
            "description": values["description"],
            "time_zone": values["time_zone"],
            "first_start_local": start if values["date"] and values["time"] else "",
            "duration_minutes": whole_number(values["duration"]),
            "capacity": whole_number(values["capacity"]),
            "rrule": _rule(values, days),
            "auto_admit": values["auto_admit"] == "true",
        }
    )
    first = parsed["first_start_local"].replace(tzinfo=ZoneInfo(parsed["time_zone"]))
    if first <= now:
        raise ClassInputError("start_past", "must be in the future")
    return parsed


def _form_error(exc: ClassInputError) -> tuple[str, str]:
    if exc.field == "count":
        return "count", "class_error.count"
    if exc.field == "start_past":
        return "date", "class_error.start_past"
    return class_error(exc)


def _form_page(
    request: Request,
    values: dict[str, str],
    days: list[str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "values": values,
        "days": days,
        "weekdays": WEEKDAYS,
        "errors": errors,
        "zones": time_zone_choices(values.get("time_zone", "")),
    }
    return render(request, FORM_PAGE, context, status_code=status_code)


async def new_class(request: Request) -> Response:
    principal: Principal = request.state.principal
    zone = await ctx_of(request).db.run(staff_zone, principal.actor)
    values = {name: "" for name in TEXT_FIELDS}
    values.update(time_zone=zone, duration="45", capacity="12", repeat="weekly", count="")
    values["auto_admit"] = ""
    return _form_page(request, values, [], {})


async def create_class(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    values, days = _typed(await read_form(request))
    now = ctx.clock.now()
    try:
        parsed = class_input(values, days, now)
    except ClassInputError as exc:
        field, key = _form_error(exc)
        return _form_page(request, values, days, {field: key}, status_code=422)

    def work(session: Session) -> int:
        series = class_usecases.create_class(session, principal.actor, parsed, now)
        assert series.id is not None
        return series.id

    class_id = await ctx.db.run(work)
    return RedirectResponse(f"/classes/{class_id}?notice=created", status_code=303)


ROUTES = [
    route("/classes", class_list, Access.COACH),
    route("/classes/new", new_class, Access.COACH),
    route("/classes/new", create_class, Access.COACH, methods=["POST"], name="page_create_class"),
]

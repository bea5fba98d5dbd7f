"""Planning classes from the screens: create a class (once or weekly), enrol and remove
patients, move or cancel one occurrence. The domain validates (coach/classes.py) and the use
cases carry the consequences (usecases/classes.py: reminders, notices, audit), exactly as for
the JSON API; a refused form comes back with what was typed and what to fix."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, class_changes, classes
from coach.audit import record
from coach.classes import ClassInputError
from coach.input_check import is_id
from coach.models import ClassOccurrence, Enrollment
from scheduler import preferences
from scheduler.config import SchedulerConfig
from scheduler.errors import ScheduleInputError
from usecases import classes as usecases
from usecases.reminders import set_class_reminders
from web.auth.principal import Principal
from web.context import ctx_of, schedule_of
from web.pages.form_fields import time_zone_choices, whole_number
from web.pages.plain_words import class_error
from web.pages.reminder_form import parse_reminder_form, reminder_view, typed_view
from web.pages.render import render
from web.prescribing.forms import Form, read_form, single
from web.routing import Access, int_param, route
from web.views import local_text, staff_zone

LIST_PAGE = "onboarding/classes.html"
FORM_PAGE = "onboarding/class_form.html"
CLASS_PAGE = "onboarding/class_page.html"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
REPEATS = {"none": 0, "weekly": 1, "biweekly": 2}  # weeks between classes; 0: once
TEXT_FIELDS = ("title", "description", "date", "time", "time_zone", "duration", "capacity")


def repeat_words(rule: str | None) -> tuple[str, dict[str, Any]]:
    """(catalogue key, values) saying how a class repeats; a rule made elsewhere is shown as is."""
    if not rule:
        return "classes.no_repeat", {}
    parts = dict(p.partition("=")[::2] for p in rule.split(";"))
    if parts.get("FREQ") == "WEEKLY" and set(parts) <= {"FREQ", "INTERVAL", "BYDAY", "COUNT"}:
        weeks = int(parts.get("INTERVAL", "1"))
        return ("classes.weekly", {}) if weeks == 1 else ("classes.every_n_weeks", {"n": weeks})
    return "", {"rule": rule}


# --- the list ---------------------------------------------------------------------------------


async def class_list(request: Request) -> Response:
    principal: Principal = request.state.principal
    now = ctx_of(request).clock.now()

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
            series_id: local_text(starts_at, zone)
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
                "repeats": repeat_words(s.rrule),
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
        assert principal.actor.staff_id is not None
        series = classes.create_series(session, principal.actor.staff_id, parsed, now)
        assert series.id is not None
        record(session, principal.actor, "class.create", None, detail=f"class {series.id}")
        return series.id

    class_id = await ctx.db.run(work)
    return RedirectResponse(f"/classes/{class_id}?notice=created", status_code=303)


# --- one class: occurrences and enrolment -----------------------------------------------------


def _class_page(
    session: Session,
    principal: Principal,
    class_id: int,
    now: datetime,
    schedule: SchedulerConfig,
    problems: dict[str, Any] | None = None,
) -> dict[str, Any]:
    series = access.get_class(session, principal.actor, class_id)
    problems = problems or {}
    typed_reminders = problems.pop("reminders_form", None)
    own = preferences.offsets_of(session, series_id=class_id)
    reminders = typed_reminders or reminder_view(own, schedule.reminder_offsets)
    zone = staff_zone(session, principal.actor)
    class_zone = ZoneInfo(series.time_zone)
    upcoming = []
    for o in classes.occurrences(session, class_id, now):
        local = o.starts_at.astimezone(class_zone)
        upcoming.append(
            {
                "id": o.id,
                "when": local_text(o.starts_at, zone),
                "when_iso": o.starts_at.isoformat(),
                "status": o.status,
                "moved": o.starts_at != o.original_start,
                "started": o.starts_at <= now,
                "date": local.strftime("%Y-%m-%d"),
                "time": local.strftime("%H:%M"),
            }
        )
    enrolled = classes.enrolled_patients(session, class_id)
    for patient in enrolled:
        record(session, principal.actor, "enrollment.read", patient.id, detail=f"class {class_id}")
    enrolled_ids = {p.id for p in enrolled}
    candidates = [
        p for p in access.visible_patients(session, principal.actor) if p.id not in enrolled_ids
    ]
    for patient in candidates:
        record(session, principal.actor, "patient.list", patient.id)
    return {
        "series": series,
        "zone": zone,
        "class_zone": series.time_zone,
        "repeats": repeat_words(series.rrule),
        "upcoming": upcoming,
        "enrolled": enrolled,
        "candidates": candidates,
        "reminders": reminders,
        "problems": problems,
    }


async def class_page(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    view = await ctx.db.run(
        _class_page, principal, int_param(request, "class_id"), ctx.clock.now(), ctx.schedule
    )
    return render(request, CLASS_PAGE, view)


async def _refused(
    request: Request, class_id: int, problems: dict[str, Any], status_code: int = 422
) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    view = await ctx.db.run(
        _class_page, principal, class_id, ctx.clock.now(), ctx.schedule, problems
    )
    return render(request, CLASS_PAGE, view, status_code=status_code)


def _back(class_id: int, notice: str, anchor: str) -> Response:
    return RedirectResponse(f"/classes/{class_id}?notice={notice}#{anchor}", status_code=303)


async def enrol(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    class_id = int_param(request, "class_id")
    raw = single(await read_form(request), "patient_id") or ""
    patient_id = whole_number(raw)
    if not isinstance(patient_id, int) or not is_id(patient_id):
        await ctx.db.run(access.get_class, principal.actor, class_id)  # 404 first if not theirs
        return await _refused(request, class_id, {"enrol": "class_error.patient"})
    try:
        await ctx.db.run(
            usecases.enroll,
            principal.actor,
            class_id,
            patient_id,
            schedule_of(request),
            ctx.clock.now(),
        )
    except ClassInputError as exc:
        return await _refused(request, class_id, {"enrol": class_error(exc)[1]})
    return _back(class_id, "enrolled", "enrolled-h")


async def unenrol(request: Request) -> Response:
    ctx = ctx_of(request)
    class_id = int_param(request, "class_id")
    await ctx.db.run(
        usecases.unenroll,
        request.state.principal.actor,
        class_id,
        int_param(request, "patient_id"),
        schedule_of(request),
        ctx.clock.now(),
    )
    return _back(class_id, "removed", "enrolled-h")


async def move_occurrence(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    occurrence_id = int_param(request, "occurrence_id")
    form = await read_form(request)
    typed = {"date": single(form, "date") or "", "time": single(form, "time") or ""}
    occurrence = await ctx.db.run(access.get_occurrence, principal.actor, occurrence_id)
    try:
        starts_local = class_changes.parse_move(
            {"starts_local": f"{typed['date'].strip()}T{typed['time'].strip()}"}
        )
        await ctx.db.run(
            usecases.move_occurrence,
            principal.actor,
            occurrence_id,
            starts_local,
            schedule_of(request),
            ctx.clock.now(),
        )
    except ClassInputError as exc:
        problem = {"occurrence": occurrence_id, "key": class_error(exc)[1], **typed}
        return await _refused(request, occurrence.series_id, {"move": problem})
    return _back(occurrence.series_id, "moved", f"o-{occurrence_id}")


async def cancel_occurrence(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    occurrence_id = int_param(request, "occurrence_id")
    occurrence = await ctx.db.run(access.get_occurrence, principal.actor, occurrence_id)
    try:
        await ctx.db.run(
            usecases.cancel_occurrence,
            principal.actor,
            occurrence_id,
            schedule_of(request),
            ctx.clock.now(),
        )
    except ClassInputError as exc:
        problem = {"occurrence": occurrence_id, "key": class_error(exc)[1]}
        return await _refused(request, occurrence.series_id, {"move": problem})
    return _back(occurrence.series_id, "cancelled", f"o-{occurrence_id}")


async def save_details(request: Request) -> Response:
    """Name, description and places; the timing is changed one class at a time (move)."""
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    class_id = int_param(request, "class_id")
    form = await read_form(request)
    typed = {name: single(form, name) or "" for name in ("title", "description", "capacity")}
    changes = {**typed, "capacity": whole_number(typed["capacity"])}
    try:
        await ctx.db.run(
            usecases.update_class,
            principal.actor,
            class_id,
            changes,
            schedule_of(request),
            ctx.clock.now(),
        )
    except ClassInputError as exc:
        field, key = class_error(exc)
        problems = {"details": {"field": field, "key": key, **typed}}
        return await _refused(request, class_id, problems)
    return _back(class_id, "saved", "details-h")


async def cancel_whole_class(request: Request) -> Response:
    ctx = ctx_of(request)
    class_id = int_param(request, "class_id")
    await ctx.db.run(
        usecases.cancel_class,
        request.state.principal.actor,
        class_id,
        schedule_of(request),
        ctx.clock.now(),
    )
    return _back(class_id, "class_cancelled", "upcoming-h")


async def save_reminders(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    class_id = int_param(request, "class_id")
    form = await read_form(request)
    try:
        offsets = parse_reminder_form(form)
    except ScheduleInputError:
        await ctx.db.run(access.get_class, principal.actor, class_id)  # 404 first if not theirs
        typed = typed_view(form, ctx.schedule.reminder_offsets)
        problems = {"reminders": "reminders.error", "reminders_form": typed}
        return await _refused(request, class_id, problems)
    await ctx.db.run(
        set_class_reminders, principal.actor, class_id, offsets, ctx.schedule, ctx.clock.now()
    )
    return _back(class_id, "reminders", "reminders-h")


_C = "/classes/{class_id:int}"
_O = "/classes/occurrences/{occurrence_id:int}"
ROUTES = [
    route("/classes", class_list, Access.COACH),
    route("/classes/new", new_class, Access.COACH),
    route("/classes/new", create_class, Access.COACH, methods=["POST"], name="page_create_class"),
    route(_C, class_page, Access.COACH),
    route(_C + "/enrollments", enrol, Access.COACH, methods=["POST"], name="page_enrol"),
    route(
        _C + "/enrollments/{patient_id:int}/remove",
        unenrol,
        Access.COACH,
        methods=["POST"],
        name="page_unenrol",
    ),
    route(_C + "/details", save_details, Access.COACH, methods=["POST"], name="page_class_details"),
    route(
        _C + "/cancel", cancel_whole_class, Access.COACH, methods=["POST"], name="page_cancel_class"
    ),
    route(_C + "/reminders", save_reminders, Access.COACH, methods=["POST"], name="page_reminders"),
    route(_O + "/move", move_occurrence, Access.COACH, methods=["POST"], name="page_move"),
    route(_O + "/cancel", cancel_occurrence, Access.COACH, methods=["POST"], name="page_cancel"),
]

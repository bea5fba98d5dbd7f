"""One class on the screens: its upcoming classes in the viewer's zone, who is enrolled, and
the coach's changes (enrol, remove, move or cancel one class, name and places, cancel it all,
reminders). The use cases carry the consequences (usecases/classes.py, usecases/reminders.py:
reminders, notices, audit), exactly as for the JSON API; a refusal shows the page again with
what was typed and what to fix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, class_changes, classes
from coach.audit import record
from coach.classes import ClassInputError, RoomWindow
from coach.input_check import is_id
from scheduler import preferences
from scheduler.config import SchedulerConfig
from scheduler.errors import ScheduleInputError
from usecases import classes as usecases
from usecases.reminders import set_class_reminders
from web.auth.principal import Principal
from web.context import ctx_of, schedule_of
from web.pages.form_fields import whole_number
from web.pages.onboarding_classes import repeat_words
from web.pages.patient_list import card_notes
from web.pages.plain_words import class_error
from web.pages.reminder_form import parse_reminder_form, reminder_view, typed_view
from web.pages.render import page_language, page_words, render
from web.prescribing.forms import read_form, single
from web.room_states import RoomStates, running_over, staff_tag, with_trail
from web.routing import Access, int_param, route
from web.views import local_text, staff_zone

CLASS_PAGE = "onboarding/class_page.html"


def _class_page(
    session: Session,
    principal: Principal,
    class_id: int,
    now: datetime,
    rooms: RoomStates,
    room_window: RoomWindow,
    schedule: SchedulerConfig,
    language: str,
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
    # From those whose room is still open: one running over is listed while its coach is in.
    listed = classes.occurrences(session, class_id, now - room_window.closes_after)
    rooms = with_trail(session, rooms, listed, now, room_window.opens_before)
    listed = [o for o in listed if now < o.ends_at or running_over(o, now, rooms)]
    for o in listed:
        local = o.starts_at.astimezone(class_zone)
        upcoming.append(
            {
                "id": o.id,
                "when": local_text(o.starts_at, zone, language),
                "when_iso": o.starts_at.isoformat(),
                "status": o.status,
                "moved": o.starts_at != o.original_start,
                "started": o.starts_at <= now,  # too late to move it
                "tag": staff_tag(o, now, rooms),
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
        "upcoming": upcoming,
        "enrolled": enrolled,
        "notes": card_notes(session, enrolled, now),  # who is on hold, before the class
        "candidates": candidates,
        "reminders": reminders,
        "problems": problems,
    }


async def class_page(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    view = await ctx.db.run(
        _class_page,
        principal,
        int_param(request, "class_id"),
        ctx.clock.now(),
        await ctx.room_states(),
        ctx.room_window,
        ctx.schedule,
        page_language(request),
    )
    return _render(request, view)


async def _refused(
    request: Request, class_id: int, problems: dict[str, Any], status_code: int = 422
) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    view = await ctx.db.run(
        _class_page,
        principal,
        class_id,
        ctx.clock.now(),
        await ctx.room_states(),
        ctx.room_window,
        ctx.schedule,
        page_language(request),
        problems,
    )
    return _render(request, view, status_code)


def _render(request: Request, view: dict[str, Any], status_code: int = 200) -> Response:
    view["repeats"] = repeat_words(view["series"].rrule, page_words(request))
    return render(request, CLASS_PAGE, view, status_code=status_code)


async def _change(request: Request, use_case: Callable[..., object], *args: object) -> None:
    """One change of a class (usecases/classes.py, usecases/reminders.py), as the signed-in
    coach, with the schedule's settings and the clock: every form on the page ends in one."""
    ctx = ctx_of(request)
    actor = request.state.principal.actor
    await ctx.db.run(use_case, actor, *args, schedule_of(request), ctx.clock.now())


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
        await _change(request, usecases.enroll, class_id, patient_id)
    except ClassInputError as exc:
        return await _refused(request, class_id, {"enrol": class_error(exc)[1]})
    return _back(class_id, "enrolled", "enrolled-h")


async def unenrol(request: Request) -> Response:
    class_id = int_param(request, "class_id")
    await _change(request, usecases.unenroll, class_id, int_param(request, "patient_id"))
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
        await _change(request, usecases.move_occurrence, occurrence_id, starts_local)
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
        await _change(request, usecases.cancel_occurrence, occurrence_id)
    except ClassInputError as exc:
        problem = {"occurrence": occurrence_id, "key": class_error(exc)[1]}
        return await _refused(request, occurrence.series_id, {"move": problem})
    return _back(occurrence.series_id, "cancelled", f"o-{occurrence_id}")


async def save_details(request: Request) -> Response:
    """Name, description and places; the timing is changed one class at a time (move)."""
    class_id = int_param(request, "class_id")
    form = await read_form(request)
    typed = {name: single(form, name) or "" for name in ("title", "description", "capacity")}
    changes = {**typed, "capacity": whole_number(typed["capacity"])}
    try:
        await _change(request, usecases.update_class, class_id, changes)
    except ClassInputError as exc:
        field, key = class_error(exc)
        problems = {"details": {"field": field, "key": key, **typed}}
        return await _refused(request, class_id, problems)
    return _back(class_id, "saved", "details-h")


async def cancel_whole_class(request: Request) -> Response:
    class_id = int_param(request, "class_id")
    await _change(request, usecases.cancel_class, class_id)
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
    await _change(request, set_class_reminders, class_id, offsets)
    return _back(class_id, "reminders", "reminders-h")


_C = "/classes/{class_id:int}"
_O = "/classes/occurrences/{occurrence_id:int}"
ROUTES = [
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

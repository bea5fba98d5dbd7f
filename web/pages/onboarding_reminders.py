"""A patient's texts, from the screens: their own reminder texts (the same choice as a class's;
the patient's wins over every class they are in) and, for an SMS-only patient, the coaching
plan (exercise days and the times of the day's texts). Stored and re-planned by the use cases
the API calls (usecases/reminders.py, usecases/coaching_plans.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access
from coach.access import Actor
from coach.audit import record
from scheduler import coaching_plans, preferences
from scheduler.errors import ScheduleInputError
from scheduler.models import CoachingPlan
from usecases.coaching_plans import save_coaching_plan
from usecases.reminders import set_patient_reminders
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.reminder_form import parse_reminder_form, reminder_view, typed_view
from web.pages.render import render
from web.prescribing.forms import Form, read_form, single
from web.routing import Access, int_param, route

PAGE = "onboarding/patient_reminders.html"
TIMES = ("coaching_time", "fatigue_time", "effort_time")
PLAN_ERRORS = {
    "days": "coaching_plan.error_days",
    "coaching_time": "coaching_plan.error_time",
    "fatigue_time": "coaching_plan.error_check_in",
    "effort_time": "coaching_plan.error_check_in",
    "patient_id": "coaching_plan.error_no_prescription",
}


def _plan_form(plan: CoachingPlan | None) -> dict[str, Any]:
    if plan is None:
        return {"days": [], "coaching_time": "09:00", "fatigue_time": "", "effort_time": "",
                "active": True, "exists": False}  # fmt: skip
    return {
        "days": plan.days.split(",") if plan.days else [],
        **{name: getattr(plan, name) or "" for name in TIMES},
        "active": plan.active,
        "exists": True,
    }


def _typed_plan(form: Form) -> dict[str, Any]:
    return {
        "days": form.get("days", []),
        **{name: single(form, name) or "" for name in TIMES},
        "active": bool(single(form, "active")),
        "exists": True,
    }


def _page(
    session: Session,
    actor: Actor,
    patient_id: int,
    reminders: dict[str, Any] | None = None,
    plan: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    patient = access.get_patient(session, actor, patient_id)
    record(session, actor, "reminders.read", patient_id)
    if reminders is None:
        own = preferences.offsets_of(session, patient_id=patient_id)
        reminders = reminder_view(own, ())
    if plan is None and patient.sms_only:
        record(session, actor, "coaching_plan.read", patient_id)
        plan = _plan_form(coaching_plans.plan_of(session, patient_id))
    return {
        "patient": patient,
        "reminders": reminders,
        "plan": plan,
        "weekdays": coaching_plans.DAYS,
        "errors": errors or {},
    }


async def patient_texts(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    view = await ctx.db.run(_page, principal.actor, int_param(request, "patient_id"))
    return render(request, PAGE, view)


async def save_patient_reminders(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    form = await read_form(request)
    try:
        offsets = parse_reminder_form(form)
    except ScheduleInputError:
        typed = typed_view(form, ())
        errors = {"reminders": "reminders.error"}
        view = await ctx.db.run(_page, principal.actor, patient_id, typed, None, errors)
        return render(request, PAGE, view, status_code=422)
    await ctx.db.run(
        set_patient_reminders, principal.actor, patient_id, offsets, ctx.schedule, ctx.clock.now()
    )
    return RedirectResponse(f"/patients/{patient_id}/reminders?notice=saved", status_code=303)


async def save_plan(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    typed = _typed_plan(await read_form(request))
    data = {
        "days": typed["days"],
        "coaching_time": typed["coaching_time"],
        "fatigue_time": typed["fatigue_time"] or None,
        "effort_time": typed["effort_time"] or None,
        "active": typed["active"],
    }
    try:
        values = coaching_plans.parse_plan_input(data, ctx.schedule)
        await ctx.db.run(
            save_coaching_plan, principal.actor, patient_id, values, ctx.schedule, ctx.clock.now()
        )
    except ScheduleInputError as exc:
        errors = {"plan": PLAN_ERRORS.get(exc.field, "form.unreadable")}
        view = await ctx.db.run(_page, principal.actor, patient_id, None, typed, errors)
        return render(request, PAGE, view, status_code=422)
    return RedirectResponse(f"/patients/{patient_id}/reminders?notice=plan", status_code=303)


_P = "/patients/{patient_id:int}"
ROUTES = [
    route(_P + "/reminders", patient_texts, Access.COACH),
    route(
        _P + "/reminders",
        save_patient_reminders,
        Access.COACH,
        methods=["POST"],
        name="page_patient_reminders",
    ),
    route(_P + "/coaching-plan", save_plan, Access.COACH, methods=["POST"], name="page_plan"),
]

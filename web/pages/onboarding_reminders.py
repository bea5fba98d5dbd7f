"""A patient's own reminder texts, from the screens: the same choice as a class's (the
patient's wins over every class they are in), stored and re-planned by the use case the API
calls (usecases/reminders.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access
from coach.audit import record
from scheduler import preferences
from scheduler.errors import ScheduleInputError
from usecases.reminders import set_patient_reminders
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.reminder_form import parse_reminder_form, reminder_view, typed_view
from web.pages.render import render
from web.prescribing.forms import read_form
from web.routing import Access, int_param, route

PAGE = "onboarding/patient_reminders.html"


async def patient_reminders(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "reminders.read", patient_id)
        own = preferences.offsets_of(session, patient_id=patient_id)
        return {"patient": patient, "reminders": reminder_view(own, ()), "error": None}

    return render(request, PAGE, await ctx.db.run(load))


async def save_patient_reminders(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    form = await read_form(request)
    try:
        offsets = parse_reminder_form(form)
    except ScheduleInputError:
        patient = await ctx.db.run(access.get_patient, principal.actor, patient_id)
        context = {
            "patient": patient,
            "reminders": typed_view(form, ()),
            "error": "reminders.error",
        }
        return render(request, PAGE, context, status_code=422)
    await ctx.db.run(
        set_patient_reminders, principal.actor, patient_id, offsets, ctx.schedule, ctx.clock.now()
    )
    return RedirectResponse(f"/patients/{patient_id}/reminders?notice=saved", status_code=303)


_P = "/patients/{patient_id:int}/reminders"
ROUTES = [
    route(_P, patient_reminders, Access.COACH),
    route(
        _P, save_patient_reminders, Access.COACH, methods=["POST"], name="page_patient_reminders"
    ),
]

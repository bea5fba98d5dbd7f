"""`/dev/phone`: each patient's SMS thread as their phone would show it, and a box to reply as them.

Dev mode only (404 in production), and only for signed-in staff, who see their own patients: the
page shows names and texts. A reply here goes through `SmsService.receive`, the very path a real
text from Twilio takes, and the answers appear in the thread as the outbox delivers them.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access
from coach.audit import record
from messaging.inbound import InboundSms
from messaging.sender import MAX_BODY
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid, Unauthenticated
from web.pages.render import render
from web.routing import Access, route
from web.sms.thread import patient_id_param, thread_view


def _staff(request: Request) -> Principal:
    principal: Principal | None = request.state.principal
    if principal is None or not principal.is_staff:
        raise Unauthenticated("sign in as staff to use the phone simulator")
    return principal


async def phones(request: Request) -> Response:
    principal = _staff(request)

    def load(session: Session) -> dict[str, Any]:
        return {"patients": access.visible_patients(session, principal.actor)}

    return render(request, "dev_phone.html", await ctx_of(request).db.run(load))


async def phone(request: Request) -> Response:
    principal = _staff(request)
    patient_id = patient_id_param(request)

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "sms.read", patient_id, detail="phone simulator")
        return thread_view(session, patient, ctx_of(request).clock.now())

    return render(request, "dev_phone_thread.html", await ctx_of(request).db.run(load))


async def reply_as_patient(request: Request) -> Response:
    ctx = ctx_of(request)
    principal = _staff(request)
    patient_id = patient_id_param(request)
    form = await request.form()
    body = form.get("body")
    if not isinstance(body, str) or not body.strip():
        raise Invalid("write a reply first", field="body")
    if len(body) > MAX_BODY:
        raise Invalid(f"a text is at most {MAX_BODY} characters", field="body")

    def phone_of(session: Session) -> str:
        patient = access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "sms.simulate", patient_id)
        return patient.phone

    from_phone = await ctx.db.run(phone_of)
    sid = "SM" + secrets.token_hex(16)  # shaped like Twilio's, so the same checks apply
    outcome = await ctx.sms.receive(InboundSms(sid, from_phone, body, ctx_of(request).clock.now()))
    await ctx.sms.follow_up(outcome)
    return RedirectResponse(f"/dev/phone/{patient_id}", status_code=303)


ROUTES = [
    route("/dev/phone", phones, Access.DEV),
    route("/dev/phone/{patient_id:int}", phone, Access.DEV),
    route(
        "/dev/phone/{patient_id:int}",
        reply_as_patient,
        Access.DEV,
        methods=["POST"],
        name="dev_phone_reply",
    ),
]

"""The patient's heart-rate devices, for the coach: issue a device token (shown once, to paste
into a watch's bridge or a vendor integration that posts to `/api/v1/hr`), see when each was last
used, revoke one. The same operations as the JSON API in `staff_api.py`, as a page."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, device_tokens
from coach.audit import record
from coach.patients import has_control_characters
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid, NotFound
from web.heart_rate.staff_api import issue_token, revoke_token
from web.pages.render import render
from web.routing import Access, int_param, route


async def _page(
    request: Request, patient_id: int, new_token: str | None = None, status_code: int = 200
) -> Response:
    principal: Principal = request.state.principal

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "device_token.list", patient_id)
        return {
            "patient": {"id": patient.id, "name": patient.name},
            "tokens": device_tokens.for_patient(session, patient_id),
            "new_token": new_token,
            "ingest_url": f"{ctx_of(request).settings.public_base_url}/api/v1/hr",
        }

    values = await ctx_of(request).db.run(load)
    return render(request, "hr_devices.html", values, status_code=status_code)


async def devices(request: Request) -> Response:
    return await _page(request, int_param(request, "patient_id"))


async def issue(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    form = await request.form()
    name = form.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise Invalid("a device name of 1 to 100 characters is required", field="name")
    if has_control_characters(name):
        raise Invalid("a device name must not contain control characters", field="name")

    _, raw = await ctx_of(request).db.run(issue_token, principal.actor, patient_id, name)
    return await _page(request, patient_id, new_token=raw, status_code=201)


async def revoke(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    token_id = int_param(request, "device_token_id")

    if not await ctx_of(request).db.run(revoke_token, principal.actor, patient_id, token_id):
        raise NotFound("no such device token")
    return RedirectResponse(f"/patients/{patient_id}/devices", status_code=303)


ROUTES = [
    route("/patients/{patient_id:int}/devices", devices, Access.STAFF),
    route(
        "/patients/{patient_id:int}/devices",
        issue,
        Access.STAFF,
        methods=["POST"],
        name="issue_device_token_page",
    ),
    route(
        "/patients/{patient_id:int}/devices/{device_token_id:int}/revoke",
        revoke,
        Access.STAFF,
        methods=["POST"],
    ),
]

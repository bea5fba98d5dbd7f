"""Staff JSON API for heart rate: a class's summaries, and patients' device tokens."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach import access, device_tokens
from coach.access import Actor
from coach.audit import record
from coach.hr_models import DeviceToken
from web.api.body import json_object
from web.api_spec import ANY_OBJECT, NO_CONTENT, ApiOperation, Reply, array, obj, ref
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid, NotFound
from web.heart_rate.summaries import occurrence_heart_rate
from web.routing import Access, int_param, route


async def occurrence_summary(request: Request) -> Response:
    ctx = ctx_of(request)
    result = await ctx.db.run(
        occurrence_heart_rate,
        request.state.principal,
        int_param(request, "occurrence_id"),
        ctx.rules,
    )
    return JSONResponse(result.to_json())


def issue_token(
    session: Session, actor: Actor, patient_id: int, name: str
) -> tuple[DeviceToken, str]:
    """A new device token for one of `actor`'s patients (NotVisible otherwise), audited."""
    access.get_patient(session, actor, patient_id)
    token, raw = device_tokens.issue(session, patient_id, name, actor.staff_id)
    record(session, actor, "device_token.issue", patient_id, detail=f"#{token.id}")
    return token, raw


def revoke_token(session: Session, actor: Actor, patient_id: int, token_id: int) -> bool:
    """Revoke one of the patient's device tokens, audited; False if the patient has no such
    token (NotVisible if the patient is not `actor`'s)."""
    access.get_patient(session, actor, patient_id)
    found = device_tokens.revoke(session, patient_id, token_id)
    if found:
        record(session, actor, "device_token.revoke", patient_id, detail=f"#{token_id}")
    return found


def token_json(token: DeviceToken, raw: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": token.id,
        "patient_id": token.patient_id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }
    if raw is not None:
        data["token"] = raw
    return data


async def list_device_tokens(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")

    def load(session: Session) -> list[dict[str, Any]]:
        access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "device_token.list", patient_id)
        return [token_json(t) for t in device_tokens.for_patient(session, patient_id)]

    return JSONResponse({"device_tokens": await ctx_of(request).db.run(load)})


async def create_device_token(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    body = await json_object(request)
    unknown = sorted(k for k in body if k != "name")
    if unknown:
        raise Invalid(f"unknown field {unknown[0]!r}", field=unknown[0])
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise Invalid("name: 1 to 100 characters naming the device", field="name")

    def work(session: Session) -> dict[str, Any]:
        return token_json(*issue_token(session, principal.actor, patient_id, name))

    return JSONResponse(await ctx_of(request).db.run(work), status_code=201)


async def revoke_device_token(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    token_id = int_param(request, "device_token_id")

    if not await ctx_of(request).db.run(revoke_token, principal.actor, patient_id, token_id):
        raise NotFound("no such device token")
    return Response(status_code=204)


_SUMMARY = {
    **obj(("occurrence", "patients", "alerts")),
    "properties": {
        "occurrence": ANY_OBJECT,
        "patients": array(
            obj(
                ("patient_id", "name", "zone", "summary"),
                patient_id={"type": "integer"},
                name={"type": "string"},
                zone=ANY_OBJECT,
                summary=ANY_OBJECT,
            )
        ),
        "alerts": array(ANY_OBJECT),
    },
}
ROUTES = [
    route(
        "/api/v1/occurrences/{occurrence_id:int}/heart-rate",
        occurrence_summary,
        Access.STAFF,
        api=ApiOperation(
            "per enrolled patient the zone and summary, and the class's alerts",
            {200: Reply("docs/heart-rate.md", _SUMMARY)},
        ),
    ),
    route(
        "/api/v1/patients/{patient_id:int}/device-tokens",
        list_device_tokens,
        Access.STAFF,
        api=ApiOperation(
            "the patient's device tokens",
            {
                200: Reply(
                    "tokens", obj(("device_tokens",), device_tokens=array(ref("DeviceToken")))
                )
            },
        ),
    ),
    route(
        "/api/v1/patients/{patient_id:int}/device-tokens",
        create_device_token,
        Access.STAFF,
        methods=["POST"],
        name="create_device_token",
        api=ApiOperation(
            "issue a device token (its secret is shown once)",
            {201: Reply("the token, with `token`", ref("DeviceToken"))},
            body=obj(("name",), name={"type": "string", "minLength": 1, "maxLength": 100}),
        ),
    ),
    route(
        "/api/v1/patients/{patient_id:int}/device-tokens/{device_token_id:int}",
        revoke_device_token,
        Access.STAFF,
        methods=["DELETE"],
        api=ApiOperation("revoke a device token", {204: NO_CONTENT}),
    ),
]

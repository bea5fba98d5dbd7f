"""JSON API for a signed-in patient: their own record and classes, nothing else."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach.audit import record
from coach.models import Patient
from web.api_spec import BOOLEAN, ID, INTEGER, STRING, ApiOperation, Reply, array, obj
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.patient import upcoming_for_patient
from web.routing import Access, route


async def me(request: Request) -> Response:
    principal: Principal = request.state.principal

    def load(session: Session) -> dict[str, Any]:
        patient = session.get(Patient, principal.actor.patient_id)
        assert patient is not None
        record(session, principal.actor, "patient.read", patient.id)
        return {
            "id": patient.id,
            "name": patient.name,
            "language": patient.language,
            "time_zone": patient.time_zone,
            "sms_only": patient.sms_only,
        }

    return JSONResponse(await ctx_of(request).db.run(load))


async def my_classes(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    upcoming = await ctx.db.run(
        upcoming_for_patient, principal, ctx.clock.now(), principal.language
    )
    return JSONResponse(
        {
            "occurrences": [
                {k: o[k] for k in ("id", "class_id", "title", "starts_at_iso", "minutes")}
                for o in upcoming
            ]
        }
    )


_ME = obj(
    ("id", "name", "language", "time_zone", "sms_only"),
    id=ID,
    name=STRING,
    language=STRING,
    time_zone=STRING,
    sms_only=BOOLEAN,
)
_MY_OCCURRENCE = obj(
    ("id", "class_id", "title", "starts_at_iso", "minutes"),
    id=ID,
    class_id=ID,
    title=STRING,
    starts_at_iso=STRING,
    minutes=INTEGER,
)
ROUTES = [
    route(
        "/api/v1/me",
        me,
        Access.PATIENT,
        name="api_me",
        api=ApiOperation("the signed-in patient", {200: Reply("yourself", _ME)}),
    ),
    route(
        "/api/v1/me/classes",
        my_classes,
        Access.PATIENT,
        api=ApiOperation(
            "your upcoming classes",
            {200: Reply("occurrences", obj(("occurrences",), occurrences=array(_MY_OCCURRENCE)))},
        ),
    ),
]

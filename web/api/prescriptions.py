"""`POST /api/v1/prescriptions/preview`: the engine's answer for a profile, nothing stored."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach.engine import prescribe
from coach.profile import parse_profile
from web.api.body import json_object
from web.api_spec import ANY_OBJECT, ApiOperation, Reply
from web.context import ctx_of
from web.routing import Access, route


async def preview(request: Request) -> Response:
    profile = parse_profile(await json_object(request))
    return JSONResponse(prescribe(profile, ctx_of(request).rules).to_json())


ROUTES = [
    route(
        "/api/v1/prescriptions/preview",
        preview,
        Access.STAFF,
        methods=["POST"],
        api=ApiOperation(
            "the engine's prescription for a profile; nothing stored",
            {200: Reply("what `telecoach prescribe` prints", ANY_OBJECT)},
            body={
                **ANY_OBJECT,
                "description": "a profile: shared/clinical/PRESCRIPTION.md, Profile (input)",
            },
        ),
    ),
]

"""`GET /api/v1/openapi.json`: an OpenAPI 3.1 document built from the route table itself.

Each /api/v1 route carries its `ApiOperation`s (web/api_spec.py); this module only walks the table,
so a route added, removed or changed is in the document the moment it is in the app. The error
answers every operation shares are added here from what the route is: its Access (401, 403), its
path parameters (404: no such object, or not yours) and its body (409, 413, 415, 422).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from web.api_schemas import COMPONENTS, ERROR, components_used
from web.api_spec import ANY_OBJECT, ApiOperation, Reply
from web.routing import API_PREFIX, Access, GuardedRoute, route

_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ERROR_TEXT = {
    401: "no credentials, or an unknown, revoked or malformed token",
    403: "the role may not use this operation, or a session request lacks its CSRF token",
    404: "no such object, or not yours",
    409: "a conflict (another patient's phone; a change made at the same moment)",
    413: "body larger than MAX_BODY_BYTES",
    415: "body not sent as application/json",
    422: "a member missing, of the wrong type or out of range (`field` names it)",
    429: "too many requests; see Retry-After",
}
SECURITY_SCHEMES: dict[str, Any] = {
    "apiToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "tc_…",
        "description": "A staff member's personal API token (/account/tokens, "
        "`telecoach create-token`). Needs no CSRF token.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "tc_session",
        "description": "The browser session set by /login or a join link. POST, PUT, PATCH "
        "and DELETE must also send the session's CSRF token as `X-CSRF-Token`.",
    },
    "deviceToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "hrd_…",
        "description": "A heart-rate device token, bound to one patient; opens POST /api/v1/hr "
        "only.",
    },
}
_PERSON: list[dict[str, list[str]]] = [{"apiToken": []}, {"session": []}]
_SECURITY: dict[Access, list[dict[str, list[str]]]] = {
    Access.PUBLIC: [],
    Access.PATIENT: [{"session": []}],
    Access.SIGNED_IN: _PERSON,
    Access.STAFF: _PERSON,
    Access.COACH: _PERSON,
    Access.ADMIN: _PERSON,
}


def api_routes(routes: Iterable[BaseRoute]) -> list[GuardedRoute]:
    return [r for r in routes if isinstance(r, GuardedRoute) and r.path.startswith(API_PREFIX)]


def openapi_path(path: str) -> str:
    """`/api/v1/patients/{patient_id:int}` as OpenAPI writes it: `/api/v1/patients/{patient_id}`."""
    return _PARAM.sub(r"{\1}", path)


def openapi_document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for r in api_routes(routes):
        for method, op in sorted(r.operations.items()):
            operation_id = r.name if len(r.operations) == 1 else f"{r.name}_{method.lower()}"
            if operation_id in operation_ids:
                raise ValueError(f"two operations named {operation_id}")
            operation_ids.add(operation_id)
            paths.setdefault(openapi_path(r.path), {})[method.lower()] = _operation(
                r, method, op, operation_id
            )
    used = components_used(paths)
    while missing := components_used([COMPONENTS[n] for n in used]) - used:
        used |= missing
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Telecoach JSON API",
            "version": "1",
            "description": "Built from the route table; the prose is docs/api.md.",
        },
        "paths": paths,
        "components": {
            "schemas": {name: COMPONENTS[name] for name in sorted(used)},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _operation(r: GuardedRoute, method: str, op: ApiOperation, operation_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": operation_id, "summary": op.summary}
    if op.description:
        out["description"] = op.description
    out["x-access"] = str(r.access)
    if op.security is not None:
        out["security"] = [{name: []} for name in op.security]
    else:
        out["security"] = _SECURITY[r.access]
    params = _PARAM.findall(r.path)
    if params:
        out["parameters"] = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 0}
                if convertor == "int"
                else {"type": "string"},
            }
            for name, convertor in params
        ]
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    responses = {str(status): _reply(reply) for status, reply in sorted(op.replies.items())}
    for status in sorted(_error_statuses(r, method, op)):
        responses[str(status)] = {
            "description": _ERROR_TEXT.get(status, "error"),
            "content": {"application/json": {"schema": ERROR}},
        }
    out["responses"] = responses
    return out


def _reply(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {"description": reply.description}
    if reply.schema is not None:
        out["content"] = {reply.media_type: {"schema": reply.schema}}
    if reply.links:
        out["links"] = dict(reply.links)
    return out


def _error_statuses(r: GuardedRoute, method: str, op: ApiOperation) -> set[int]:
    statuses = set(op.errors)
    if r.access is not Access.PUBLIC or op.security:
        statuses.add(401)
    if r.access is not Access.PUBLIC:
        statuses.add(403)
    if _PARAM.search(r.path):
        statuses.add(404)
    if op.body is not None:
        statuses |= {413, 415, 422}
    if method in _UNSAFE and r.access is not Access.PUBLIC:
        statuses.add(409)
    return statuses


_DOCUMENT = {**ANY_OBJECT, "required": ["openapi", "info", "paths"]}


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi_document(request.app.routes))


ROUTES = [
    route(
        "/api/v1/openapi.json",
        openapi_json,
        Access.PUBLIC,
        api=ApiOperation(
            "this document",
            {200: Reply("the OpenAPI 3.1 document", _DOCUMENT)},
        ),
    ),
]

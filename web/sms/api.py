"""JSON API: a patient's SMS thread, and the segment count of a text being written."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach import access
from coach.audit import record
from messaging.segments import count_segments
from messaging.sender import MAX_BODY
from messaging.state import is_opted_out
from web.api.body import json_object
from web.api_spec import BOOLEAN, ID, INTEGER, ApiOperation, Reply, array, obj, ref
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid
from web.routing import Access, route
from web.sms.thread import message_json, messages_of


async def patient_messages(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id: int = request.path_params["patient_id"]

    def load(session: Session) -> dict[str, Any]:
        access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "sms.read", patient_id)
        return {
            "patient_id": patient_id,
            "opted_out": is_opted_out(session, patient_id),
            "messages": [message_json(m) for m in messages_of(session, patient_id)],
        }

    return JSONResponse(await ctx_of(request).db.run(load))


async def segments(request: Request) -> Response:
    body = await json_object(request)
    unknown = sorted(set(body) - {"text"})
    if unknown:
        raise Invalid("unknown field", field=unknown[0])
    text = body.get("text")
    if not isinstance(text, str):
        raise Invalid("text must be a string", field="text")
    if len(text) > MAX_BODY:
        raise Invalid(f"text is longer than {MAX_BODY} characters", field="text")
    return JSONResponse(count_segments(text).to_json())


_THREAD = obj(
    ("patient_id", "opted_out", "messages"),
    patient_id=ID,
    opted_out=BOOLEAN,
    messages=array(ref("Message")),
)
_SEGMENTS = obj(
    ("encoding", "units", "segments", "per_segment"),
    encoding={"enum": ["GSM-7", "UCS-2"]},
    units=INTEGER,
    segments=INTEGER,
    per_segment=INTEGER,
)
ROUTES = [
    route(
        "/api/v1/patients/{patient_id:int}/messages",
        patient_messages,
        Access.STAFF,
        api=ApiOperation("the SMS thread, oldest first", {200: Reply("the thread", _THREAD)}),
    ),
    route(
        "/api/v1/sms/segments",
        segments,
        Access.STAFF,
        methods=["POST"],
        api=ApiOperation(
            "how many SMS segments a text takes",
            {200: Reply("the count", _SEGMENTS)},
            body=obj(("text",), text={"type": "string", "maxLength": MAX_BODY}),
        ),
    ),
]

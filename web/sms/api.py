"""JSON API: a patient's SMS thread (with the coach's texts planned for later), and the segment
count of a text being written."""

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
from scheduler import manual_texts
from scheduler.models import PENDING, ScheduledMessage
from web.api.body import json_object
from web.api_spec import (
    BOOLEAN,
    DATE_TIME,
    ID,
    INTEGER,
    STRING,
    ApiOperation,
    Reply,
    array,
    nullable,
    obj,
    ref,
)
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid
from web.routing import Access, route
from web.sms.thread import message_json, messages_of


async def patient_messages(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id: int = request.path_params["patient_id"]

    now = ctx_of(request).clock.now()

    def load(session: Session) -> dict[str, Any]:
        access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "sms.read", patient_id)
        return {
            "patient_id": patient_id,
            "opted_out": is_opted_out(session, patient_id),
            "messages": [message_json(m) for m in messages_of(session, patient_id)],
            "planned": [
                _planned_json(p) for p in manual_texts.on_the_thread(session, patient_id, now)
            ],
        }

    return JSONResponse(await ctx_of(request).db.run(load))


def _planned_json(row: ScheduledMessage) -> dict[str, Any]:
    """A text the coach planned: when it goes (past quiet hours), and, for one that did not go in
    the last days, why (the page's "not sent: ...")."""
    return {
        "id": row.id,
        "body": row.body,
        "due_at": row.due_at.isoformat(),
        "status": row.status,
        "reason": row.reason,
    }


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


_PLANNED = obj(
    ("id", "body", "due_at", "status", "reason"),
    id=ID,
    body=STRING,
    due_at=DATE_TIME,
    status={"enum": [PENDING, *manual_texts.NOT_SENT]},
    reason=nullable(STRING),
)
_THREAD = obj(
    ("patient_id", "opted_out", "messages", "planned"),
    patient_id=ID,
    opted_out=BOOLEAN,
    messages=array(ref("Message")),
    planned=array(_PLANNED),
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
        api=ApiOperation(
            "the SMS thread, oldest first, and the texts planned for later (soonest first)",
            {200: Reply("the thread", _THREAD)},
        ),
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

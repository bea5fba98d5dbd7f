"""`POST /api/v1/hr`: readings from a device or a vendor bridge, with a device token."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach.audit import record_system
from coach.input_check import BatchInvalid, is_id
from rtc.heart_rate.ingest import NotEnrolled
from rtc.heart_rate.validation import MAX_READINGS, check_batch, readings_list
from web.api.body import json_object
from web.api_spec import ID, INTEGER, ApiOperation, Reply, array, nullable, obj
from web.context import ctx_of
from web.errors import Invalid
from web.heart_rate.device_auth import authenticate_device
from web.routing import Access, route

_ANSWER = obj(
    ("accepted", "rejected", "live", "cue"),
    accepted=INTEGER,
    rejected=array(obj(("index", "t", "reason"), index=INTEGER, t={}, reason={"type": "string"})),
    live={**INTEGER, "description": "how many went to the live class view"},
    cue={
        "type": ["object", "null"],
        "description": "the cue the patient's class page shows now (docs/heart-rate.md), or null",
    },
)
# Readings sent with a token of this name are marked as simulated in storage.
SIMULATOR_DEVICE_NAME = "simulator"


async def post_readings(request: Request) -> Response:
    ctx = ctx_of(request)
    device = await authenticate_device(request)
    body = await json_object(request)
    try:
        raws = readings_list(body, extra=("occurrence_id",))
    except BatchInvalid as exc:
        raise Invalid(str(exc), field=exc.field) from None
    occurrence_id = body.get("occurrence_id")
    if occurrence_id is not None and not is_id(occurrence_id):
        raise Invalid("occurrence_id: must be a class occurrence id", field="occurrence_id")
    accepted, rejected = check_batch(raws, ctx.clock.now())
    source = "simulator" if device.name == SIMULATOR_DEVICE_NAME else "api"

    def audit(session: Session, patient_id: int, stored: int) -> None:
        detail = f"device token {device.id}: {stored} stored, {len(raws) - stored} not"
        record_system(session, "device", "heart_rate.ingest", patient_id, detail)

    try:
        result = await ctx.heart_rate.ingest_batch(
            {device.patient_id: accepted}, source=source, occurrence_id=occurrence_id, audit=audit
        )
    except NotEnrolled:
        raise Invalid(
            "occurrence_id: not a class this patient is enrolled in", field="occurrence_id"
        ) from None
    every = sorted([*rejected, *result.rejected], key=lambda r: r.index)
    # A watch or a bridge may show the patient the class's cue: the same one their page shows.
    cue = (
        await ctx.heart_rate.cue_shown(result.occurrence_id, device.patient_id)
        if result.occurrence_id is not None
        else None
    )
    return JSONResponse(
        {
            "accepted": len(result.stored),
            "rejected": [r.to_json() for r in every],
            "live": result.live,
            "cue": cue,
        }
    )


ROUTES = [
    # Public as far as sessions go: the handler demands a device token, and a cookie is useless
    # here (so no CSRF token either).
    route(
        "/api/v1/hr",
        post_readings,
        Access.PUBLIC,
        methods=["POST"],
        check_csrf=False,
        api=ApiOperation(
            "heart-rate readings from a device (docs/heart-rate.md)",
            {200: Reply("what was stored", _ANSWER)},
            body=obj(
                ("readings",),
                readings=array(
                    {
                        "type": "object",
                        "properties": {
                            "t": {"type": ["string", "integer", "number"]},
                            "bpm": {"type": "number"},
                            "rr_ms": array({"type": "number"}),
                        },
                    },
                    minItems=1,
                    maxItems=MAX_READINGS,
                ),
                occurrence_id=nullable(ID),
            ),
            security=("deviceToken",),
            errors=(429,),
        ),
    ),
]

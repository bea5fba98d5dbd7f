"""`POST /api/v1/daily`: a device or vendor bridge sends a patient's days, with a device token."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach import daily
from coach.audit import record_system
from coach.input_check import BatchInvalid
from usecases.daily import local_today, record_daily_data
from web.api.body import json_object
from web.api_spec import INTEGER, ApiOperation, Reply, array, obj
from web.context import ctx_of
from web.errors import Invalid
from web.heart_rate.device_auth import authenticate_device
from web.routing import Access, route

_ANSWER = obj(
    ("accepted", "rejected", "alerts"),
    accepted=INTEGER,
    rejected=array(
        obj(("index", "date", "reason"), index=INTEGER, date={}, reason={"type": "string"})
    ),
    alerts={**INTEGER, "description": "alerts this data raised for the coach"},
)
_NUMBER_OR_NULL = {"type": ["number", "null"]}


async def post_days(request: Request) -> Response:
    ctx = ctx_of(request)
    device = await authenticate_device(request)
    body = await json_object(request)
    try:
        raws = daily.days_list(body)
    except BatchInvalid as exc:
        raise Invalid(str(exc), field=exc.field) from None
    now = ctx.clock.now()
    today = await ctx.db.run(local_today, device.patient_id, now)
    accepted, rejected = daily.check_batch(raws, today)

    def audit(session: Session, patient_id: int, detail: str) -> None:
        record_system(
            session, "device", "daily.ingest", patient_id, f"device token {device.id}: {detail}"
        )

    out = await record_daily_data(
        ctx.db, ctx.alerts, device.patient_id, accepted, "api", now, ctx.rules, ctx.schedule, audit
    )
    every = sorted([*rejected, *out.rejected], key=lambda r: r.index)
    return JSONResponse(
        {
            "accepted": len(out.stored),
            "rejected": [r.to_json() for r in every],
            "alerts": len(out.alerts),
        }
    )


ROUTES = [
    # Public as far as sessions go: the handler demands a device token (no cookie, no CSRF).
    route(
        "/api/v1/daily",
        post_days,
        Access.PUBLIC,
        methods=["POST"],
        check_csrf=False,
        api=ApiOperation(
            "daily resting heart rate, steps, temperature, infusion days (docs/daily.md)",
            {200: Reply("what was stored", _ANSWER)},
            body=obj(
                ("days",),
                days=array(
                    {
                        "type": "object",
                        "properties": {
                            "date": {"type": "string"},
                            "resting_hr": _NUMBER_OR_NULL,
                            "steps": _NUMBER_OR_NULL,
                            "temp_c": _NUMBER_OR_NULL,
                            "infusion": {"type": "boolean"},  # optional: a treatment day
                        },
                    },
                    minItems=1,
                    maxItems=daily.MAX_ENTRIES,
                ),
            ),
            security=("deviceToken",),
            errors=(429,),
        ),
    ),
]

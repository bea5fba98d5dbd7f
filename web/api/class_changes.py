"""Changing classes: move or cancel one occurrence or the whole series (usecases/classes.py:
reminders and notices follow in the same transaction), and `.ics` downloads. Staff change classes
they can see (a coach their own, an admin any); the calendar files are for them and for the
patients enrolled in the class.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach import access, class_changes, classes
from coach.audit import record
from coach.models import ClassSeries
from scheduler import ics
from usecases import classes as usecases
from web.api.body import json_object
from web.api.classes import CLASS_DETAIL
from web.api_schemas import LOCAL_START
from web.api_spec import NO_CONTENT, STRING, ApiOperation, Reply, obj, ref
from web.auth.principal import Principal
from web.context import ctx_of, schedule_of
from web.routing import Access, route
from web.views import occurrence_json, series_json


def _detail(session: Session, series: ClassSeries, now: datetime) -> dict[str, Any]:
    assert series.id is not None
    upcoming = classes.occurrences(session, series.id, now)
    return {**series_json(series), "occurrences": [occurrence_json(o) for o in upcoming]}


async def update_class(request: Request) -> Response:
    principal: Principal = request.state.principal
    class_id = request.path_params["class_id"]
    changes = await json_object(request)
    ctx, schedule = ctx_of(request), schedule_of(request)

    def work(session: Session) -> dict[str, Any]:
        now = ctx.clock.now()
        series = usecases.update_class(session, principal.actor, class_id, changes, schedule, now)
        return _detail(session, series, now)

    return JSONResponse(await ctx.db.run(work))


async def cancel_class(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    await ctx.db.run(
        usecases.cancel_class,
        principal.actor,
        request.path_params["class_id"],
        schedule_of(request),
        ctx.clock.now(),
    )
    return Response(status_code=204)


async def move_occurrence(request: Request) -> Response:
    principal: Principal = request.state.principal
    starts_local = class_changes.parse_move(await json_object(request))
    ctx = ctx_of(request)
    occurrence = await ctx.db.run(
        usecases.move_occurrence,
        principal.actor,
        request.path_params["occurrence_id"],
        starts_local,
        schedule_of(request),
        ctx.clock.now(),
    )
    return JSONResponse(occurrence_json(occurrence))


async def cancel_occurrence(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    await ctx.db.run(
        usecases.cancel_occurrence,
        principal.actor,
        request.path_params["occurrence_id"],
        schedule_of(request),
        ctx.clock.now(),
    )
    return Response(status_code=204)


def _calendar(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def class_calendar(request: Request) -> Response:
    principal: Principal = request.state.principal
    class_id = request.path_params["class_id"]
    host = urlsplit(ctx_of(request).settings.public_base_url).hostname or "telecoach"

    def load(session: Session) -> bytes:
        series = access.get_class(session, principal.actor, class_id)
        changed = class_changes.exceptions(session, class_id)
        if principal.actor.role == "patient":
            record(
                session,
                principal.actor,
                "calendar.read",
                principal.actor.patient_id,
                detail=f"class {class_id}",
            )
        return ics.series_ics(series, changed, host, ctx_of(request).clock.now())

    return _calendar(await ctx_of(request).db.run(load), f"class-{class_id}.ics")


async def occurrence_calendar(request: Request) -> Response:
    principal: Principal = request.state.principal
    occurrence_id = request.path_params["occurrence_id"]
    host = urlsplit(ctx_of(request).settings.public_base_url).hostname or "telecoach"

    def load(session: Session) -> bytes:
        occurrence = access.get_occurrence(session, principal.actor, occurrence_id)
        series = access.get_class(session, principal.actor, occurrence.series_id)
        if principal.actor.role == "patient":
            record(
                session,
                principal.actor,
                "calendar.read",
                principal.actor.patient_id,
                detail=f"occurrence {occurrence_id}",
            )
        return ics.occurrence_ics(series, occurrence, host, ctx_of(request).clock.now())

    return _calendar(await ctx_of(request).db.run(load), f"class-occurrence-{occurrence_id}.ics")


_C = "/api/v1/classes/{class_id:int}"
_O = "/api/v1/occurrences/{occurrence_id:int}"
_ICS = Reply("iCalendar", STRING, media_type="text/calendar")
ROUTES = [
    route(
        _C,
        update_class,
        Access.STAFF,
        methods=["PATCH"],
        api=ApiOperation(
            "change a class; a new timing re-plans upcoming occurrences and texts the patients",
            {200: Reply("the class and its upcoming occurrences", CLASS_DETAIL)},
            body=ref("ClassChanges"),
        ),
    ),
    route(
        _C,
        cancel_class,
        Access.STAFF,
        methods=["DELETE"],
        api=ApiOperation("cancel the class from now on", {204: NO_CONTENT}, errors=(422,)),
    ),
    route(
        _C + "/calendar.ics",
        class_calendar,
        Access.SIGNED_IN,
        api=ApiOperation("the series as iCalendar", {200: _ICS}),
    ),
    route(
        _O,
        move_occurrence,
        Access.STAFF,
        methods=["PATCH"],
        api=ApiOperation(
            "move one occurrence (a cancelled one comes back)",
            {200: Reply("the occurrence", ref("Occurrence"))},
            body=obj(("starts_local",), starts_local=LOCAL_START),
        ),
    ),
    route(
        _O,
        cancel_occurrence,
        Access.STAFF,
        methods=["DELETE"],
        api=ApiOperation("cancel one occurrence", {204: NO_CONTENT}, errors=(422,)),
    ),
    route(
        _O + "/calendar.ics",
        occurrence_calendar,
        Access.SIGNED_IN,
        api=ApiOperation("one occurrence as iCalendar", {200: _ICS}),
    ),
]

"""Reminder settings per class and per patient, SMS coaching plans, and what is planned for a
patient (the outbox rows, with the reason when one was dropped or cancelled).

Every change re-plans the affected rows in the same transaction; every read or change of a
patient's settings is audited.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach import access
from coach.audit import record
from scheduler import coaching_plans, preferences
from scheduler.config import SchedulerConfig
from scheduler.models import CoachingPlan, ScheduledMessage
from scheduler.offsets import format_offset, parse_offsets
from usecases.coaching_plans import save_coaching_plan
from usecases.reminders import set_class_reminders, set_patient_reminders
from web.api.body import json_object
from web.api.schedule_errors import as_invalid
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
from web.context import ctx_of, schedule_of
from web.errors import Invalid
from web.routing import Access, route

OUTBOX_LIMIT = 200


def _offsets_body(body: dict[str, Any]) -> tuple[int, ...] | None:
    unknown = sorted(set(body) - {"offsets"})
    if unknown:
        raise Invalid(f"{unknown[0]}: unknown field", field=unknown[0])
    if "offsets" not in body:
        raise Invalid('offsets: required (a list like ["24h", "1h"], or null)', field="offsets")
    if body["offsets"] is None:
        return None
    with as_invalid():
        return parse_offsets(body["offsets"])


def _offsets_json(own: tuple[int, ...] | None, effective: tuple[int, ...]) -> dict[str, Any]:
    return {
        "offsets": [format_offset(m) for m in effective],
        "own_setting": own is not None,
    }


async def class_reminders(request: Request) -> Response:
    principal: Principal = request.state.principal
    class_id = request.path_params["class_id"]
    schedule = schedule_of(request)
    body = await json_object(request) if request.method == "PUT" else None

    def work(session: Session) -> dict[str, Any]:
        access.get_class(session, principal.actor, class_id)
        if body is not None:
            offsets = _offsets_body(body)
            now = ctx_of(request).clock.now()
            set_class_reminders(session, principal.actor, class_id, offsets, schedule, now)
        own = preferences.offsets_of(session, series_id=class_id)
        return _offsets_json(own, own if own is not None else schedule.reminder_offsets)

    return JSONResponse(await ctx_of(request).db.run(work))


async def patient_reminders(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = request.path_params["patient_id"]
    schedule = schedule_of(request)
    body = await json_object(request) if request.method == "PUT" else None

    def work(session: Session) -> dict[str, Any]:
        access.get_patient(session, principal.actor, patient_id)
        if body is not None:
            offsets = _offsets_body(body)
            now = ctx_of(request).clock.now()
            set_patient_reminders(session, principal.actor, patient_id, offsets, schedule, now)
        else:
            record(session, principal.actor, "reminders.read", patient_id)
        own = preferences.offsets_of(session, patient_id=patient_id)
        result = _offsets_json(own, own if own is not None else schedule.reminder_offsets)
        if own is None:
            result["offsets"] = None  # each class's own setting, else the default, applies
            result["default"] = [format_offset(m) for m in schedule.reminder_offsets]
        return result

    return JSONResponse(await ctx_of(request).db.run(work))


def _plan_json(plan: CoachingPlan | None, patient_id: int) -> dict[str, Any]:
    if plan is None:
        return {"patient_id": patient_id, "plan": None}
    return {
        "patient_id": patient_id,
        "plan": {
            "days": plan.days.split(",") if plan.days else [],
            "coaching_time": plan.coaching_time,
            "fatigue_time": plan.fatigue_time,
            "effort_time": plan.effort_time,
            "active": plan.active,
            "prescription_id": plan.prescription_id,
            "updated_at": plan.updated_at.isoformat(),
        },
    }


async def coaching_plan(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = request.path_params["patient_id"]
    schedule: SchedulerConfig = schedule_of(request)
    body = await json_object(request) if request.method == "PUT" else None
    values = None
    if body is not None:
        with as_invalid():
            values = coaching_plans.parse_plan_input(body, schedule)

    def work(session: Session) -> dict[str, Any]:
        access.get_patient(session, principal.actor, patient_id)
        plan = coaching_plans.plan_of(session, patient_id)
        if values is not None:
            now = ctx_of(request).clock.now()
            with as_invalid():
                plan = save_coaching_plan(
                    session, principal.actor, patient_id, values, schedule, now
                )
        else:
            record(session, principal.actor, "coaching_plan.read", patient_id)
        return _plan_json(plan, patient_id)

    return JSONResponse(await ctx_of(request).db.run(work))


def _row_json(row: ScheduledMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "purpose": row.purpose,
        "occurrence_id": row.occurrence_id,
        "planned_at": row.planned_at.isoformat(),
        "due_at": row.due_at.isoformat(),
        "status": row.status,
        "reason": row.reason,
        "attempts": row.attempts,
    }


async def scheduled_messages(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = request.path_params["patient_id"]

    def load(session: Session) -> dict[str, Any]:
        access.get_patient(session, principal.actor, patient_id)
        rows = session.exec(
            select(ScheduledMessage)
            .where(ScheduledMessage.patient_id == patient_id)
            .order_by(col(ScheduledMessage.planned_at).desc(), col(ScheduledMessage.id).desc())
            .limit(OUTBOX_LIMIT)
        )
        record(session, principal.actor, "schedule.read", patient_id)
        return {"patient_id": patient_id, "scheduled": [_row_json(r) for r in rows]}

    return JSONResponse(await ctx_of(request).db.run(load))


_P = "/api/v1/patients/{patient_id:int}"
_OFFSETS = array(STRING)
_CLASS_OFFSETS = Reply(
    "the class's reminder times",
    obj(("offsets", "own_setting"), offsets=_OFFSETS, own_setting=BOOLEAN),
)
_PATIENT_OFFSETS = Reply(
    "the patient's own offsets, or null and the default",
    obj(
        ("offsets", "own_setting"),
        offsets=nullable(_OFFSETS),
        own_setting=BOOLEAN,
        default=_OFFSETS,
    ),
)
_PLAN = Reply(
    "the plan, or null",
    obj(
        ("patient_id", "plan"),
        patient_id=ID,
        plan=nullable(
            obj(
                ("days", "coaching_time", "fatigue_time", "effort_time", "active"),
                days=array(STRING),
                coaching_time=nullable(STRING),
                fatigue_time=nullable(STRING),
                effort_time=nullable(STRING),
                active=BOOLEAN,
                prescription_id=nullable(ID),
                updated_at=DATE_TIME,
            )
        ),
    ),
)
_SCHEDULED = obj(
    ("id", "purpose", "occurrence_id", "planned_at", "due_at", "status", "reason", "attempts"),
    id=ID,
    purpose=STRING,
    occurrence_id=nullable(ID),
    planned_at=DATE_TIME,
    due_at=DATE_TIME,
    status=STRING,
    reason=nullable(STRING),
    attempts=INTEGER,
)
ROUTES = [
    route(
        "/api/v1/classes/{class_id:int}/reminders",
        class_reminders,
        Access.STAFF,
        methods=["GET", "PUT"],
        api={
            "GET": ApiOperation("the class's reminder times", {200: _CLASS_OFFSETS}),
            "PUT": ApiOperation(
                "set the class's reminder times (null: the default)",
                {200: _CLASS_OFFSETS},
                body=ref("OffsetsInput"),
            ),
        },
    ),
    route(
        _P + "/reminders",
        patient_reminders,
        Access.STAFF,
        methods=["GET", "PUT"],
        api={
            "GET": ApiOperation("the patient's reminder times", {200: _PATIENT_OFFSETS}),
            "PUT": ApiOperation(
                "set the patient's reminder times (null: follow the classes)",
                {200: _PATIENT_OFFSETS},
                body=ref("OffsetsInput"),
            ),
        },
    ),
    route(
        _P + "/coaching-plan",
        coaching_plan,
        Access.STAFF,
        methods=["GET", "PUT"],
        api={
            "GET": ApiOperation("the SMS coaching plan", {200: _PLAN}),
            "PUT": ApiOperation(
                "create or change the SMS coaching plan (SMS-only patients with an approved "
                "prescription)",
                {200: _PLAN},
                body=ref("CoachingPlanInput"),
            ),
        },
    ),
    route(
        _P + "/scheduled-messages",
        scheduled_messages,
        Access.STAFF,
        api=ApiOperation(
            "the patient's planned texts, newest first",
            {
                200: Reply(
                    "planned work",
                    obj(("patient_id", "scheduled"), patient_id=ID, scheduled=array(_SCHEDULED)),
                )
            },
        ),
    ),
]

"""JSON API for classes: list, create, read with occurrences and enrolled patients, enrollment
(usecases/classes.py: the patient's reminders follow in the same transaction)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach import access, classes
from coach.audit import record
from coach.input_check import is_id
from usecases import classes as usecases
from web.api.body import json_object
from web.api_schemas import COMPONENTS
from web.api_spec import ID, NO_CONTENT, STRING, ApiOperation, Reply, array, extended, obj, ref
from web.auth.principal import Principal
from web.context import ctx_of, schedule_of
from web.errors import Invalid, NotFound
from web.routing import Access, route
from web.views import occurrence_json, series_json


async def list_classes(request: Request) -> Response:
    principal: Principal = request.state.principal
    found = await ctx_of(request).db.run(access.visible_classes, principal.actor)
    return JSONResponse({"classes": [series_json(s) for s in found]})


async def create_class(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    values = classes.parse_class_input(await json_object(request))

    def work(session: Session) -> dict[str, Any]:
        series = usecases.create_class(session, principal.actor, values, ctx.clock.now())
        return series_json(series)

    return JSONResponse(await ctx.db.run(work), status_code=201)


async def get_class(request: Request) -> Response:
    principal: Principal = request.state.principal
    class_id = request.path_params["class_id"]

    def load(session: Session) -> dict[str, Any]:
        series = access.get_class(session, principal.actor, class_id)
        enrolled = classes.enrolled_patients(session, class_id)
        for patient in enrolled:
            record(
                session, principal.actor, "enrollment.read", patient.id, detail=f"class {class_id}"
            )
        return {
            **series_json(series),
            "occurrences": [
                occurrence_json(o)
                for o in classes.occurrences(session, class_id, ctx_of(request).clock.now())
            ],
            "enrolled": [{"patient_id": p.id, "name": p.name} for p in enrolled],
        }

    return JSONResponse(await ctx_of(request).db.run(load))


async def enroll(request: Request) -> Response:
    principal: Principal = request.state.principal
    class_id = request.path_params["class_id"]
    body = await json_object(request)
    patient_id = body.get("patient_id")
    if isinstance(patient_id, bool) or not isinstance(patient_id, int):
        raise Invalid("patient_id must be a whole number", field="patient_id")
    if not is_id(patient_id):
        raise NotFound(f"patient {patient_id} not found")
    ctx = ctx_of(request)
    enrollment = await ctx.db.run(
        usecases.enroll,
        principal.actor,
        class_id,
        patient_id,
        schedule_of(request),
        ctx.clock.now(),
    )
    return JSONResponse(
        {"class_id": class_id, "patient_id": patient_id, "id": enrollment.id}, status_code=201
    )


async def unenroll(request: Request) -> Response:
    principal: Principal = request.state.principal
    class_id = request.path_params["class_id"]
    patient_id = request.path_params["patient_id"]
    ctx = ctx_of(request)
    await ctx.db.run(
        usecases.unenroll,
        principal.actor,
        class_id,
        patient_id,
        schedule_of(request),
        ctx.clock.now(),
    )
    return Response(status_code=204)


_C = "/api/v1/classes/{class_id:int}"
_BY_ID = {"class_id": "$response.body#/id"}
_TO_CLASS = {
    "GetClass": {"operationId": "get_class", "parameters": _BY_ID},
    "UpdateClass": {"operationId": "update_class", "parameters": _BY_ID},
    "Enroll": {"operationId": "enroll", "parameters": _BY_ID},
}
CLASS_DETAIL = extended(COMPONENTS["Class"], ("occurrences",), occurrences=array(ref("Occurrence")))
ROUTES = [
    route(
        "/api/v1/classes",
        list_classes,
        Access.STAFF,
        api=ApiOperation(
            "a coach's own classes; an admin's all",
            {200: Reply("classes", obj(("classes",), classes=array(ref("Class"))))},
        ),
    ),
    route(
        "/api/v1/classes",
        create_class,
        Access.COACH,
        methods=["POST"],
        name="create_class",
        api=ApiOperation(
            "create a class and its occurrences for the next 12 weeks",
            {201: Reply("the new class", ref("Class"), links=_TO_CLASS)},
            body=ref("ClassInput"),
        ),
    ),
    route(
        _C,
        get_class,
        Access.STAFF,
        api=ApiOperation(
            "a class with its upcoming occurrences and enrolled patients",
            {
                200: Reply(
                    "the class",
                    extended(
                        CLASS_DETAIL,
                        ("enrolled",),
                        enrolled=array(obj(("patient_id", "name"), patient_id=ID, name=STRING)),
                    ),
                )
            },
        ),
    ),
    route(
        _C + "/enrollments",
        enroll,
        Access.STAFF,
        methods=["POST"],
        api=ApiOperation(
            "enrol a patient (422 when the class is full)",
            {
                201: Reply(
                    "enrolled",
                    obj(("class_id", "patient_id", "id"), class_id=ID, patient_id=ID, id=ID),
                )
            },
            body=obj(("patient_id",), patient_id=ID),
        ),
    ),
    route(
        _C + "/enrollments/{patient_id:int}",
        unenroll,
        Access.STAFF,
        methods=["DELETE"],
        api=ApiOperation("unenroll", {204: NO_CONTENT}),
    ),
]

"""JSON API for patients: list, create, read, update, clinical profile, join links."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach import access, patients
from coach.audit import record
from coach.models import ClinicalProfile
from coach.profile import parse_profile
from usecases.patients import update_contact_details
from web.api.body import json_object
from web.api_spec import (
    ANY_OBJECT,
    DATE_TIME,
    ID,
    NO_CONTENT,
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
from web.pages.staff import issue_join_link, revoke_join_link
from web.routing import Access, route
from web.views import patient_json


async def list_patients(request: Request) -> Response:
    principal: Principal = request.state.principal

    def load(session: Session) -> list[dict[str, Any]]:
        found = access.visible_patients(session, principal.actor)
        for patient in found:
            record(session, principal.actor, "patient.list", patient.id)
        return [patient_json(p) for p in found]

    return JSONResponse({"patients": await ctx_of(request).db.run(load)})


async def create_patient(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    values = patients.parse_patient_input(await json_object(request), ctx.catalogues.languages)

    def work(session: Session) -> dict[str, Any]:
        assert principal.actor.staff_id is not None
        patient = patients.create_patient(
            session, principal.actor.staff_id, values, ctx.clock.now()
        )
        record(session, principal.actor, "patient.create", patient.id)
        return patient_json(patient)

    return JSONResponse(await ctx.db.run(work), status_code=201)


async def get_patient(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = request.path_params["patient_id"]

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "patient.read", patient_id)
        return patient_json(patient)

    return JSONResponse(await ctx_of(request).db.run(load))


async def update_patient(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = request.path_params["patient_id"]
    body = await json_object(request)

    def work(session: Session) -> dict[str, Any]:
        access.get_patient(session, principal.actor, patient_id)
        values = patients.parse_patient_input(body, ctx.catalogues.languages, partial=True)
        patient = update_contact_details(
            session, principal.actor, patient_id, values, ctx.schedule, ctx.clock.now()
        )
        return patient_json(patient)

    return JSONResponse(await ctx.db.run(work))


async def get_profile(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = request.path_params["patient_id"]

    def load(session: Session) -> dict[str, Any]:
        access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "profile.read", patient_id)
        row = session.exec(
            select(ClinicalProfile).where(ClinicalProfile.patient_id == patient_id)
        ).first()
        return {
            "patient_id": patient_id,
            "profile": row.data if row else None,
            "updated_at": row.updated_at.isoformat() if row else None,
        }

    return JSONResponse(await ctx_of(request).db.run(load))


async def put_profile(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = request.path_params["patient_id"]
    body = await json_object(request)

    def work(session: Session) -> dict[str, Any]:
        access.get_patient(session, principal.actor, patient_id)
        profile = parse_profile(body).to_json()
        row = session.exec(
            select(ClinicalProfile).where(ClinicalProfile.patient_id == patient_id)
        ).first()
        row = row or ClinicalProfile(patient_id=patient_id)
        row.data, row.updated_at, row.updated_by = (
            profile,
            ctx_of(request).clock.now(),
            principal.actor.staff_id,
        )
        session.add(row)
        record(session, principal.actor, "profile.update", patient_id)
        return {
            "patient_id": patient_id,
            "profile": profile,
            "updated_at": row.updated_at.isoformat(),
        }

    return JSONResponse(await ctx_of(request).db.run(work))


async def create_join_link(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = request.path_params["patient_id"]
    link, url = await ctx.db.run(
        issue_join_link,
        ctx.settings.secret_key,
        ctx.settings.public_base_url,
        principal,
        patient_id,
        ctx.settings.join_link_hours,
        ctx.clock.now(),
    )
    return JSONResponse(
        {
            "id": link.id,
            "patient_id": patient_id,
            "url": url,
            "expires_at": link.expires_at.isoformat(),
        },
        status_code=201,
    )


async def delete_join_link(request: Request) -> Response:
    await ctx_of(request).db.run(
        revoke_join_link,
        request.state.principal,
        request.path_params["patient_id"],
        request.path_params["link_id"],
        ctx_of(request).clock.now(),
    )
    return Response(status_code=204)


_PATIENT = ref("Patient")
_TO_PATIENT = {
    "GetPatient": {
        "operationId": "get_patient",
        "parameters": {"patient_id": "$response.body#/id"},
    },
    "UpdatePatient": {
        "operationId": "update_patient",
        "parameters": {"patient_id": "$response.body#/id"},
    },
    "GetProfile": {
        "operationId": "get_profile",
        "parameters": {"patient_id": "$response.body#/id"},
    },
}
_PROFILE_ANSWER = obj(
    ("patient_id", "profile", "updated_at"),
    patient_id=ID,
    profile=nullable(ANY_OBJECT),
    updated_at=nullable(DATE_TIME),
)
_PROFILE_DOC = "shared/clinical/PRESCRIPTION.md, Profile (input); checked by coach.profile"
_JOIN_LINK = obj(
    ("id", "patient_id", "url", "expires_at"),
    id=ID,
    patient_id=ID,
    url=STRING,
    expires_at=DATE_TIME,
)

_P = "/api/v1/patients/{patient_id:int}"
ROUTES = [
    route(
        "/api/v1/patients",
        list_patients,
        Access.STAFF,
        api=ApiOperation(
            "the patients you may see",
            {200: Reply("patients", obj(("patients",), patients=array(_PATIENT)))},
        ),
    ),
    route(
        "/api/v1/patients",
        create_patient,
        Access.COACH,
        methods=["POST"],
        name="create_patient",
        api=ApiOperation(
            "create a patient assigned to you",
            {201: Reply("the new patient", _PATIENT, links=_TO_PATIENT)},
            body=ref("PatientInput"),
        ),
    ),
    route(
        _P,
        get_patient,
        Access.STAFF,
        api=ApiOperation("one patient", {200: Reply("the patient", _PATIENT)}),
    ),
    route(
        _P,
        update_patient,
        Access.STAFF,
        methods=["PATCH"],
        name="update_patient",
        api=ApiOperation(
            "change any of the patient input fields",
            {200: Reply("the patient", _PATIENT)},
            body=ref("PatientChanges"),
        ),
    ),
    route(
        _P + "/profile",
        get_profile,
        Access.STAFF,
        api=ApiOperation(
            "the clinical profile", {200: Reply("null until recorded", _PROFILE_ANSWER)}
        ),
    ),
    route(
        _P + "/profile",
        put_profile,
        Access.STAFF,
        methods=["PUT"],
        name="put_profile",
        api=ApiOperation(
            "replace the clinical profile",
            {200: Reply("the profile as stored", _PROFILE_ANSWER)},
            body={**ANY_OBJECT, "description": _PROFILE_DOC},
        ),
    ),
    route(
        _P + "/join-links",
        create_join_link,
        Access.STAFF,
        methods=["POST"],
        name="api_create_join_link",
        api=ApiOperation("issue a join link", {201: Reply("the link", _JOIN_LINK)}),
    ),
    route(
        _P + "/join-links/{link_id:int}",
        delete_join_link,
        Access.STAFF,
        methods=["DELETE"],
        api=ApiOperation("revoke a join link and end its sessions", {204: NO_CONTENT}),
    ),
]

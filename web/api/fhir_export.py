"""`GET /api/v1/patients/{id}/fhir`: the patient's record as a FHIR R4 Bundle (staff only)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach import access
from coach.audit import record
from coach.fhir_export.bundle import build_bundle
from coach.patient_record import load_record
from web.api_spec import ANY_OBJECT, ApiOperation, Reply
from web.auth.principal import Principal
from web.context import ctx_of
from web.routing import Access, route

FHIR_JSON = "application/fhir+json"


async def export_patient(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = request.path_params["patient_id"]

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        bundle = build_bundle(
            load_record(session, patient), ctx.settings.public_base_url, ctx_of(request).clock.now()
        )
        kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
        record(
            session,
            principal.actor,
            "patient.fhir_export",
            patient_id,
            detail=f"observations {kinds.count('Observation')}, "
            f"care plan {kinds.count('CarePlan')}",
        )
        return bundle

    return JSONResponse(await ctx.db.run(load), media_type=FHIR_JSON)


_BUNDLE = {**ANY_OBJECT, "required": ["resourceType", "type", "entry"]}
ROUTES = [
    route(
        "/api/v1/patients/{patient_id:int}/fhir",
        export_patient,
        Access.STAFF,
        api=ApiOperation(
            "the patient's record as a FHIR R4 Bundle (docs/fhir-export.md)",
            {200: Reply("a collection Bundle", _BUNDLE, media_type=FHIR_JSON)},
        ),
    )
]

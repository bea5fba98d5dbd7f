"""`POST /fhir/Observation`: heart-rate Observations (or a transaction Bundle of them) from EHRs
and device platforms. Answers and errors are FHIR: a transaction-response Bundle, or an
OperationOutcome naming the offending element.

Who may post: a device token (every Observation is about its patient; `subject` may be left out)
or a staff API token (each `subject` is required and must be a patient that staff member sees).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach import access
from coach.audit import record, record_system
from coach.daily_fhir import is_daily
from coach.input_check import InputRejected, checked_json
from rtc.heart_rate.fhir import FhirInvalid, FhirReading, readings
from rtc.heart_rate.ingest import IngestResult
from rtc.heart_rate.validation import Reading, ReadingInvalid, check_reading
from web.auth.principal import Principal
from web.context import ctx_of
from web.daily.fhir_api import post_daily_observations
from web.errors import HTTPError, Unauthenticated
from web.heart_rate.device_auth import authenticate_device, bearer, is_device_token
from web.heart_rate.fhir_errors import FHIR_JSON, FhirError, outcome, patient_for
from web.routing import Access, route


async def _body(request: Request) -> object:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in (FHIR_JSON, "application/json"):
        raise FhirError(415, f"send Content-Type: {FHIR_JSON}")
    try:
        return checked_json(await request.body())
    except InputRejected as exc:
        raise FhirError(400, f"body: {exc}") from None


async def _who(request: Request) -> tuple[int | None, Principal | None, int | None]:
    """(the device's patient, or the staff principal), and the device token id."""
    if is_device_token(bearer(request)):
        device = await authenticate_device(request)
        return device.patient_id, None, device.id
    principal: Principal | None = request.state.principal
    if principal is None or principal.via != "token" or not principal.is_staff:
        raise Unauthenticated("send a device token or a staff API token as a Bearer token")
    return None, principal, None


def _checked(
    found: list[FhirReading], device_patient: int | None, now: Any
) -> dict[int, list[tuple[int, Reading]]]:
    groups: dict[int, list[tuple[int, Reading]]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for index, item in enumerate(found):
        patient_id = patient_for(item.subject, item.expression, device_patient)
        try:
            reading = check_reading(item.raw, now)
        except ReadingInvalid as exc:
            raise FhirError(422, str(exc), item.expression) from None
        if (patient_id, reading.t_ms) in seen:
            raise FhirError(422, "two Observations for the same time", item.expression)
        seen.add((patient_id, reading.t_ms))
        groups[patient_id].append((index, reading))
    return groups


async def post_observation(request: Request) -> Response:
    ctx = ctx_of(request)
    try:
        device_patient, principal, device_id = await _who(request)
        body = await _body(request)
        if is_daily(body):
            return await post_daily_observations(
                ctx, body, device_patient, principal, device_id, _first_invisible
            )
        kind, found = readings(body)
        groups = _checked(found, device_patient, ctx.clock.now())
        if principal is not None:
            invisible = await ctx.db.run(_first_invisible, principal, list(groups))
            if invisible is not None:
                return outcome(404, f"Patient/{invisible} not found", "subject")

        def audit(session: Session, patient_id: int, stored: int) -> None:
            detail = f"FHIR: {stored} stored"
            if principal is not None:
                record(session, principal.actor, "heart_rate.ingest", patient_id, "ok", detail)
            else:
                detail = f"device token {device_id}: {detail}"
                record_system(session, "device", "heart_rate.ingest", patient_id, detail)

        result = await ctx.heart_rate.ingest_batch(
            groups, source="fhir", occurrence_id=None, audit=audit
        )
    except FhirInvalid as exc:
        return outcome(400, str(exc), exc.expression)
    except FhirError as exc:
        return outcome(exc.status, exc.message, exc.expression)
    except HTTPError as exc:
        response = outcome(exc.status, exc.message)
        if hasattr(exc, "retry_after"):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return _answer(kind, len(found), result)


def _first_invisible(session: Session, principal: Principal, patient_ids: list[int]) -> int | None:
    """The first patient this staff member may not see (the refusal audited), or None. It
    returns rather than raises, so that the audit row is committed, not rolled back."""
    for patient_id in patient_ids:
        try:
            access.get_patient(session, principal.actor, patient_id)
        except access.NotVisible:
            record(session, principal.actor, "heart_rate.ingest", patient_id, "denied", "FHIR")
            return patient_id
    return None


def _answer(kind: str, count: int, result: IngestResult) -> Response:
    stored = set(result.stored)
    statuses = ["201 Created" if i in stored else "200 OK" for i in range(count)]
    if kind == "Observation":
        code = 201 if stored else 200
        body: dict[str, Any] = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "diagnostics": "stored" if stored else "already stored",
                }
            ],
        }
        return JSONResponse(body, status_code=code, media_type=FHIR_JSON)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [{"response": {"status": status}} for status in statuses],
    }
    return JSONResponse(bundle, status_code=200, media_type=FHIR_JSON)


ROUTES = [
    route("/fhir/Observation", post_observation, Access.PUBLIC, methods=["POST"], check_csrf=False),
]

"""FHIR answers for errors: an OperationOutcome naming the offending element, for heart-rate
and daily Observations alike; and whose an Observation is, by who posted it."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from web.errors import HTTPError

FHIR_JSON = "application/fhir+json"
_ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 429: "throttled"}


class FhirError(HTTPError):
    def __init__(self, status: int, message: str, expression: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.expression = expression


def outcome(status: int, message: str, expression: str | None = None) -> Response:
    issue: dict[str, Any] = {
        "severity": "error",
        "code": _ISSUE_CODES.get(status, "processing"),
        "diagnostics": message,
    }
    if expression:
        issue["expression"] = [expression]
    body = {"resourceType": "OperationOutcome", "issue": [issue]}
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON)


def patient_for(subject: int | None, expression: str, device_patient: int | None) -> int:
    """The patient an Observation is about: a device token's own (a `subject`, if given, must
    be it), or, with a staff token, the `subject`, which is then required."""
    if device_patient is not None:
        if subject not in (None, device_patient):
            raise FhirError(
                403,
                "subject is not the patient this device token is bound to",
                f"{expression}.subject",
            )
        return device_patient
    if subject is None:
        raise FhirError(400, "subject is required with a staff token", expression)
    return subject

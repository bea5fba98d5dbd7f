"""Reading FHIR R4 input that every ingest shares (heart rate in rtc/heart_rate/fhir.py, daily
values in coach/daily_fhir.py): the error that names the offending element, a resource's
status and subject, and the walk over one Observation or a transaction Bundle of them (FHIR's
rule: a transaction is all or nothing, so any bad entry fails the whole payload, named)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from coach.input_check import is_id

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
STATUSES = frozenset({"final", "amended", "corrected", "preliminary"})
MAX_ENTRIES = 1000
_SUBJECT = re.compile(r"^Patient/(\d{1,12})$")
T = TypeVar("T")


class FhirInvalid(ValueError):
    def __init__(self, message: str, expression: str) -> None:
        super().__init__(message)
        self.expression = expression  # FHIRPath of the offending element


def as_object(value: object, expression: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FhirInvalid(f"{expression} must be an object", expression)
    return value


def check_observation(data: Mapping[str, Any], at: str) -> None:
    """resourceType and status, the first checks of any Observation."""
    if data.get("resourceType") != "Observation":
        raise FhirInvalid(f"{at}.resourceType must be 'Observation'", f"{at}.resourceType")
    status = data.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        raise FhirInvalid(
            f"{at}.status must be one of {', '.join(sorted(STATUSES))}", f"{at}.status"
        )


def subject_of(data: Mapping[str, Any], at: str) -> int | None:
    """The patient id of `subject` (`Patient/<id>`), None when there is no subject."""
    if "subject" not in data:
        return None
    reference = as_object(data["subject"], f"{at}.subject").get("reference")
    match = _SUBJECT.match(reference) if isinstance(reference, str) else None
    if match is None:
        raise FhirInvalid(
            f"{at}.subject.reference must be 'Patient/<id>'", f"{at}.subject.reference"
        )
    subject = int(match.group(1))
    if not is_id(subject):  # no patient has it, and the database could not look it up
        raise FhirInvalid(f"{at}.subject.reference: no such patient", f"{at}.subject.reference")
    return subject


def observations_in(body: object, read: Callable[[object, str], T]) -> tuple[str, list[T]]:
    """('Observation' | 'Bundle', each Observation read by `read(resource, at)`), or FhirInvalid
    for the whole payload."""
    data = as_object(body, "body")
    kind = data.get("resourceType")
    if kind == "Observation":
        return "Observation", [read(data, "Observation")]
    if kind != "Bundle":
        raise FhirInvalid("resourceType must be 'Observation' or 'Bundle'", "resourceType")
    if data.get("type") != "transaction":
        raise FhirInvalid("Bundle.type must be 'transaction'", "Bundle.type")
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise FhirInvalid("Bundle.entry must list at least one entry", "Bundle.entry")
    if len(entries) > MAX_ENTRIES:
        raise FhirInvalid(
            f"Bundle.entry has {len(entries)} entries; send at most {MAX_ENTRIES}", "Bundle.entry"
        )
    found = []
    for index, raw in enumerate(entries):
        at = f"Bundle.entry[{index}]"
        entry = as_object(raw, at)
        request = entry.get("request")
        if request is not None:
            request = as_object(request, f"{at}.request")
            if request.get("method") != "POST" or request.get("url") != "Observation":
                raise FhirInvalid(f"{at}.request must be POST Observation", f"{at}.request")
        found.append(read(entry.get("resource"), f"{at}.resource"))
    return "Bundle", found

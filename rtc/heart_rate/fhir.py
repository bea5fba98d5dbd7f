"""Heart-rate readings out of FHIR R4: one Observation, or a transaction Bundle of them.

An Observation counts as a heart rate when its code has LOINC 8867-4 and its valueQuantity is in
UCUM `/min`; its time is `effectiveDateTime` or `effectiveInstant`; `subject` is optional and, when
present, must be `Patient/<id>`. A transaction is all or nothing (FHIR's rule): any entry that is
not such an Observation fails the whole Bundle, naming the entry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coach.input_check import is_id

LOINC = "http://loinc.org"
HEART_RATE = "8867-4"
UCUM = "http://unitsofmeasure.org"
STATUSES = frozenset({"final", "amended", "corrected", "preliminary"})
MAX_ENTRIES = 1000
_SUBJECT = re.compile(r"^Patient/(\d{1,12})$")


class FhirInvalid(ValueError):
    def __init__(self, message: str, expression: str) -> None:
        super().__init__(message)
        self.expression = expression  # FHIRPath of the offending element


@dataclass(frozen=True)
class FhirReading:
    subject: int | None  # the patient id named in `subject`, if any
    raw: dict[str, Any]  # {"t": ..., "bpm": ...}, for the common reading checks
    expression: str  # where it came from, for error messages


def _object(value: object, expression: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FhirInvalid(f"{expression} must be an object", expression)
    return value


def observation(resource: object, at: str = "Observation") -> FhirReading:
    data = _object(resource, at)
    if data.get("resourceType") != "Observation":
        raise FhirInvalid(f"{at}.resourceType must be 'Observation'", f"{at}.resourceType")
    status = data.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        raise FhirInvalid(
            f"{at}.status must be one of {', '.join(sorted(STATUSES))}", f"{at}.status"
        )
    coding = _object(data.get("code"), f"{at}.code").get("coding")
    if not isinstance(coding, list) or not any(
        isinstance(c, Mapping) and c.get("system") == LOINC and c.get("code") == HEART_RATE
        for c in coding
    ):
        raise FhirInvalid(f"{at}.code must include LOINC {HEART_RATE} (heart rate)", f"{at}.code")
    quantity = _object(data.get("valueQuantity"), f"{at}.valueQuantity")
    if quantity.get("code") != "/min" or quantity.get("system", UCUM) != UCUM:
        raise FhirInvalid(f"{at}.valueQuantity must be in UCUM '/min'", f"{at}.valueQuantity.code")
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FhirInvalid(f"{at}.valueQuantity.value must be a number", f"{at}.valueQuantity")
    when = data.get("effectiveDateTime", data.get("effectiveInstant"))
    if not isinstance(when, str):
        raise FhirInvalid(
            f"{at}.effectiveDateTime (or effectiveInstant) is required", f"{at}.effective"
        )
    subject = None
    if "subject" in data:
        reference = _object(data["subject"], f"{at}.subject").get("reference")
        match = _SUBJECT.match(reference) if isinstance(reference, str) else None
        if match is None:
            raise FhirInvalid(
                f"{at}.subject.reference must be 'Patient/<id>'", f"{at}.subject.reference"
            )
        subject = int(match.group(1))
        if not is_id(subject):  # no patient has it, and the database could not look it up
            raise FhirInvalid(f"{at}.subject.reference: no such patient", f"{at}.subject.reference")
    return FhirReading(subject, {"t": when, "bpm": round(value)}, at)


def readings(body: object) -> tuple[str, list[FhirReading]]:
    """('Observation' | 'Bundle', the readings), or FhirInvalid for the whole payload."""
    data = _object(body, "body")
    kind = data.get("resourceType")
    if kind == "Observation":
        return "Observation", [observation(data)]
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
        entry = _object(raw, at)
        request = entry.get("request")
        if request is not None:
            request = _object(request, f"{at}.request")
            if request.get("method") != "POST" or request.get("url") != "Observation":
                raise FhirInvalid(f"{at}.request must be POST Observation", f"{at}.request")
        found.append(observation(entry.get("resource"), f"{at}.resource"))
    return "Bundle", found

"""Heart-rate readings out of FHIR R4: one Observation, or a transaction Bundle of them.

An Observation counts as a heart rate when its code has LOINC 8867-4 and its valueQuantity is in
UCUM `/min`; its time is `effectiveDateTime` or `effectiveInstant`; `subject` is optional and, when
present, must be `Patient/<id>`. A transaction is all or nothing (FHIR's rule): any entry that is
not such an Observation fails the whole Bundle, naming the entry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coach.fhir_input import (
    LOINC,
    UCUM,
    FhirInvalid,
    as_object,
    check_observation,
    observations_in,
    subject_of,
)

__all__ = ["FhirInvalid", "FhirReading", "observation", "readings"]

HEART_RATE = "8867-4"


@dataclass(frozen=True)
class FhirReading:
    subject: int | None  # the patient id named in `subject`, if any
    raw: dict[str, Any]  # {"t": ..., "bpm": ...}, for the common reading checks
    expression: str  # where it came from, for error messages


def observation(resource: object, at: str = "Observation") -> FhirReading:
    data = as_object(resource, at)
    check_observation(data, at)
    coding = as_object(data.get("code"), f"{at}.code").get("coding")
    if not isinstance(coding, list) or not any(
        isinstance(c, Mapping) and c.get("system") == LOINC and c.get("code") == HEART_RATE
        for c in coding
    ):
        raise FhirInvalid(f"{at}.code must include LOINC {HEART_RATE} (heart rate)", f"{at}.code")
    quantity = as_object(data.get("valueQuantity"), f"{at}.valueQuantity")
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
    subject = subject_of(data, at)
    return FhirReading(subject, {"t": when, "bpm": round(value)}, at)


def readings(body: object) -> tuple[str, list[FhirReading]]:
    """('Observation' | 'Bundle', the readings), or FhirInvalid for the whole payload."""
    return observations_in(body, observation)

"""Daily values out of FHIR R4: one Observation, or a transaction Bundle of them.

Codes (LOINC) and units (UCUM): 40443-4 resting heart rate in `/min`; 41950-7 steps in 24 hours in
`/(24.h)` (or `/d`, `{steps}/d`, `{steps}`); 8310-5 body temperature in `Cel` (or `[degF]`,
converted). The day is `effectiveDateTime` (a date, or a time with an offset, read in the
patient's zone) or `effectivePeriod.start`. `subject`, when present, is `Patient/<id>`. A
transaction is all or nothing: any entry that is not such an Observation fails the whole Bundle,
naming the entry (docs/daily.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from coach.fhir_input import (
    LOINC,
    UCUM,
    FhirInvalid,
    as_object,
    check_observation,
    observations_in,
    subject_of,
)

CODES = {"40443-4": "resting_hr", "41950-7": "steps", "8310-5": "temp_c"}
UNITS = {
    "resting_hr": {"/min": 1.0},
    "steps": {"/(24.h)": 1.0, "/d": 1.0, "{steps}/d": 1.0, "{steps}": 1.0},
    "temp_c": {"Cel": 1.0, "[degF]": 0.0},  # 0.0: converted from Fahrenheit
}


@dataclass(frozen=True)
class DailyObservation:
    subject: int | None
    measure: str  # resting_hr, steps, temp_c
    value: float
    when: str  # the effective date or time as sent
    expression: str

    def day(self, time_zone: str) -> date:
        """The patient's local date; FhirInvalid when `when` is neither a date nor a time with
        an offset."""
        if len(self.when) == 10:
            try:
                return date.fromisoformat(self.when)
            except ValueError:
                pass
        else:
            try:
                moment = datetime.fromisoformat(self.when)
            except ValueError:
                moment = None
            if moment is not None and moment.utcoffset() is not None:
                return moment.astimezone(ZoneInfo(time_zone)).date()
        raise FhirInvalid(
            f"{self.expression}.effectiveDateTime must be a date or a time with an offset",
            f"{self.expression}.effective",
        )


def _codes(data: Mapping[str, Any]) -> list[str]:
    code = data.get("code")
    coding = code.get("coding") if isinstance(code, Mapping) else None
    if not isinstance(coding, list):
        return []
    return [
        str(c.get("code"))
        for c in coding
        if isinstance(c, Mapping) and c.get("system") == LOINC and c.get("code") in CODES
    ]


def is_daily(body: object) -> bool:
    """Whether a FHIR payload is daily data (the first Observation carries a daily code), so that
    /fhir/Observation hands it here rather than to heart-rate ingest."""
    if not isinstance(body, Mapping):
        return False
    if body.get("resourceType") == "Observation":
        return bool(_codes(body))
    entries = body.get("entry")
    if body.get("resourceType") != "Bundle" or not isinstance(entries, list) or not entries:
        return False
    first = entries[0]
    return (
        isinstance(first, Mapping)
        and isinstance(first.get("resource"), Mapping)
        and bool(_codes(first["resource"]))
    )


def _value(data: Mapping[str, Any], measure: str, at: str) -> float:
    quantity = as_object(data.get("valueQuantity"), f"{at}.valueQuantity")
    units = UNITS[measure]
    unit = quantity.get("code")
    if unit not in units or quantity.get("system", UCUM) != UCUM:
        raise FhirInvalid(
            f"{at}.valueQuantity must be in UCUM {' or '.join(repr(u) for u in units)}",
            f"{at}.valueQuantity.code",
        )
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FhirInvalid(f"{at}.valueQuantity.value must be a number", f"{at}.valueQuantity")
    if unit == "[degF]":
        return round((float(value) - 32) * 5 / 9, 1)
    return float(value)


def observation(resource: object, at: str = "Observation") -> DailyObservation:
    data = as_object(resource, at)
    check_observation(data, at)
    codes = _codes(data)
    if len(set(codes)) != 1:
        raise FhirInvalid(
            f"{at}.code must include one of LOINC 40443-4 (resting heart rate), 41950-7 (steps in "
            "24 hours), 8310-5 (body temperature)",
            f"{at}.code",
        )
    measure = CODES[codes[0]]
    value = _value(data, measure, at)
    when = data.get("effectiveDateTime")
    period = data.get("effectivePeriod")
    if when is None and isinstance(period, Mapping):
        when = period.get("start")
    if not isinstance(when, str) or len(when) > 40:
        raise FhirInvalid(
            f"{at}.effectiveDateTime (or effectivePeriod.start) is required", f"{at}.effective"
        )
    subject = subject_of(data, at)
    return DailyObservation(subject, measure, value, when, at)


def observations(body: object) -> tuple[str, list[DailyObservation]]:
    """('Observation' | 'Bundle', the observations), or FhirInvalid for the whole payload."""
    return observations_in(body, observation)

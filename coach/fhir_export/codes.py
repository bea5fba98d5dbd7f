"""What each exported measurement is called: LOINC where a precise code exists, else a code in the
clinic's own CodeSystem (`<PUBLIC_BASE_URL>/fhir/CodeSystem/observation`). A LOINC code is never
stretched to cover a measurement it does not name (docs/fhir-export.md says why each one is used).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
HEART_RATE = ("8867-4", "Heart rate")  # required by the FHIR heart-rate profile on every HR value


@dataclass(frozen=True)
class Measure:
    text: str
    category: str  # observation-category code: exam, survey, vital-signs
    unit: str  # human-readable
    ucum: str  # UCUM code; `{...}` annotations are dimensionless counts or scores
    loinc: tuple[tuple[str, str], ...] = ()  # (code, display), most general first
    local: str | None = None  # code in the clinic's CodeSystem when no LOINC code is precise


# Keyed by `coach.assessments.KINDS`.
ASSESSMENTS: dict[str, Measure] = {
    "six_minute_walk_m": Measure(
        "6-minute walk distance", "exam", "m", "m", loinc=(("64098-7", "Six minute walk test"),)
    ),
    "grip_strength_kg": Measure(
        "Grip strength", "exam", "kg", "kg", local="grip-strength"
    ),  # LOINC's grip-strength terms name a hand and a protocol; we record neither
    "sit_to_stand_30s": Measure(
        "30-second sit-to-stand", "exam", "stands", "{stands}", local="sit-to-stand-30s"
    ),
    "timed_up_and_go_s": Measure("Timed up-and-go", "exam", "s", "s", local="timed-up-and-go"),
    "facit_fatigue": Measure(
        "FACIT-Fatigue score (0-52)", "survey", "score", "{score}", local="facit-fatigue"
    ),  # LOINC 70735-6 is the questionnaire panel, not its total score
    "resting_hr": Measure(
        "Resting heart rate",
        "vital-signs",
        "beats/minute",
        "/min",
        loinc=(HEART_RATE, ("40443-4", "Heart rate --resting")),
    ),
}

CLASS_HEART_RATE: dict[str, Measure] = {
    "mean": Measure(
        "Mean heart rate during a live class",
        "vital-signs",
        "beats/minute",
        "/min",
        loinc=(HEART_RATE,),
        local="class-heart-rate-mean",
    ),
    "max": Measure(
        "Highest heart rate during a live class",
        "vital-signs",
        "beats/minute",
        "/min",
        loinc=(HEART_RATE,),
        local="class-heart-rate-max",
    ),
}


def code_system(base_url: str) -> str:
    return f"{base_url}/fhir/CodeSystem/observation"


def codeable(measure: Measure, base_url: str) -> dict[str, Any]:
    codings = [{"system": LOINC, "code": c, "display": display} for c, display in measure.loinc]
    if measure.local:
        codings.append(
            {"system": code_system(base_url), "code": measure.local, "display": measure.text}
        )
    return {"coding": codings, "text": measure.text}


def category(measure: Measure) -> list[dict[str, Any]]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": measure.category}]}]


def quantity(value: float, measure: Measure) -> dict[str, Any]:
    number: float | int = int(value) if float(value).is_integer() else value
    return {"value": number, "unit": measure.unit, "system": UCUM, "code": measure.ucum}

"""Assessments and class heart-rate summaries as FHIR R4 `Observation`s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coach.assessments import day_of
from coach.fhir_export.codes import ASSESSMENTS, CLASS_HEART_RATE, category, codeable, quantity
from coach.fhir_export.ids import Ids
from coach.models import Assessment
from coach.patient_record import ClassHeartRate


def assessment(row: Assessment, time_zone: str, subject: str, ids: Ids) -> dict[str, Any]:
    """A measurement is dated by the patient's local calendar day (that is how it was entered)."""
    measure = ASSESSMENTS[row.kind]
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [ids.identifier("assessment", row.id)],
        "status": "final",
        "category": category(measure),
        "code": codeable(measure, ids.base_url),
        "subject": {"reference": subject},
        "effectiveDateTime": day_of(row, time_zone).isoformat(),
        "valueQuantity": quantity(row.value, measure),
    }
    if row.note:
        observation["note"] = [{"text": row.note}]
    return observation


def class_heart_rate(summary: ClassHeartRate, subject: str, ids: Ids) -> list[dict[str, Any]]:
    """Two observations per class: the mean and the highest reading, over the period from the
    first to the last reading. Both carry LOINC 8867-4 (what any heart-rate reader looks for)
    and the clinic's code that says which statistic it is."""
    values = {"mean": summary.mean_bpm, "max": float(summary.max_bpm)}
    return [
        {
            "resourceType": "Observation",
            "identifier": [
                ids.identifier("class-heart-rate", f"{summary.occurrence_id}-{statistic}")
            ],
            "status": "final",
            "category": category(measure),
            "code": codeable(measure, ids.base_url),
            "subject": {"reference": subject},
            "effectivePeriod": {"start": _instant(summary.first), "end": _instant(summary.last)},
            "valueQuantity": quantity(values[statistic], measure),
            "note": [{"text": f"{summary.readings} readings in class occurrence "
                              f"{summary.occurrence_id}"}],
        }
        for statistic, measure in CLASS_HEART_RATE.items()
    ]  # fmt: skip


def _instant(when: datetime) -> str:
    return when.isoformat(timespec="seconds")

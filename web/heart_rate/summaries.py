"""Each patient's heart rate in one class occurrence: summary, zone, chart points and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from coach import access
from coach.alerts import alert_json, alerts_for_occurrence
from coach.audit import record
from coach.hr_store import points_for_occurrence, roster
from coach.hr_summary import HeartRateSummary, Point, summarize
from coach.hr_zones import PatientZone
from coach.models import ClassSeries
from coach.rules import RuleSet
from web.auth.principal import Principal


@dataclass(frozen=True)
class PatientHeartRate:
    patient_id: int
    name: str
    zone: PatientZone
    summary: HeartRateSummary
    points: list[Point]

    def to_json(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "name": self.name,
            "zone": self.zone.to_json(),
            "summary": self.summary.to_json(),
        }


@dataclass(frozen=True)
class OccurrenceHeartRate:
    occurrence: dict[str, Any]
    patients: list[PatientHeartRate]
    alerts: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "occurrence": self.occurrence,
            "patients": [p.to_json() for p in self.patients],
            "alerts": self.alerts,
        }


def occurrence_heart_rate(
    session: Session, principal: Principal, occurrence_id: int, rules: RuleSet
) -> OccurrenceHeartRate:
    occurrence = access.get_occurrence(session, principal.actor, occurrence_id)
    series = session.get(ClassSeries, occurrence.series_id)
    assert series is not None
    points = points_for_occurrence(session, occurrence_id)
    entries = roster(session, occurrence, rules)
    patients = []
    # The patients enrolled now (one who left the class keeps their stored readings).
    for entry in entries:
        record(session, principal.actor, "heart_rate.summary.read", entry.patient_id)
        mine = points.get(entry.patient_id, [])
        summary = summarize(mine, entry.zone)
        patients.append(PatientHeartRate(entry.patient_id, entry.name, entry.zone, summary, mine))
    visible = {p.patient_id for p in patients}
    return OccurrenceHeartRate(
        {
            "id": occurrence.id,
            "class_id": series.id,
            "title": series.title,
            "starts_at": occurrence.starts_at.isoformat(),
            "ends_at": occurrence.ends_at.isoformat(),
        },
        patients,
        [
            alert_json(a)
            for a in alerts_for_occurrence(session, occurrence_id)
            if a.patient_id in visible
        ],
    )

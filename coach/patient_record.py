"""One patient's record for export: who they are, what was measured, the plan they follow.

Thin storage functions over a session; the caller checks access first (`coach.access`) and owns the
transaction. Class heart rate is aggregated in the database (one grouped query) rather than loaded
reading by reading: a year of classes is hundreds of thousands of samples, and an export needs only
each class's count, mean and maximum. The mean is rounded the way `coach.hr_summary` rounds it, so
an export and a class report agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coach import assessments, prescriptions
from coach.models import Assessment, ClinicalProfile, HeartRateSample, Patient, Prescription

ASSESSMENTS_PER_KIND = 1000  # far more than a coach records; bounds one export's size


@dataclass(frozen=True)
class ClassHeartRate:
    """A patient's heart rate in one class occurrence (readings taken outside a class are not
    summarized: they belong to no session)."""

    occurrence_id: int
    readings: int
    mean_bpm: float
    max_bpm: int
    first: datetime
    last: datetime


@dataclass(frozen=True)
class PatientRecord:
    patient: Patient
    sex: str | None  # from the clinical profile, when one is recorded
    assessments: list[Assessment]  # oldest first
    prescription: Prescription | None  # the approved version, if any
    class_heart_rates: list[ClassHeartRate]  # by first reading


def load_record(session: Session, patient: Patient) -> PatientRecord:
    assert patient.id is not None
    profile = session.exec(
        select(ClinicalProfile).where(ClinicalProfile.patient_id == patient.id)
    ).first()
    sex = profile.data.get("sex") if profile is not None else None
    measured = [
        row
        for rows in assessments.history(session, patient.id, ASSESSMENTS_PER_KIND).values()
        for row in rows
    ]
    measured.sort(key=lambda row: (row.measured_at, row.id or 0))
    return PatientRecord(
        patient=patient,
        sex=sex if isinstance(sex, str) else None,
        assessments=measured,
        prescription=prescriptions.current_approved(session, patient.id),
        class_heart_rates=class_heart_rates(session, patient.id),
    )


def class_heart_rates(session: Session, patient_id: int) -> list[ClassHeartRate]:
    bpm = col(HeartRateSample.bpm)
    t = col(HeartRateSample.t)
    query = (
        sa.select(
            col(HeartRateSample.occurrence_id),
            sa.func.count(),
            sa.func.sum(bpm),
            sa.func.max(bpm),
            sa.func.min(t),
            sa.func.max(t),
        )
        .where(col(HeartRateSample.patient_id) == patient_id)
        .where(col(HeartRateSample.occurrence_id).is_not(None))
        .group_by(col(HeartRateSample.occurrence_id))
    )
    found = []
    for occurrence_id, count, total, top, first, last in session.execute(query):
        found.append(
            ClassHeartRate(
                occurrence_id=int(occurrence_id),
                readings=int(count),
                mean_bpm=round(int(total) / int(count), 1),  # as coach.hr_summary rounds it
                max_bpm=int(top),
                first=_utc(first),
                last=_utc(last),
            )
        )
    return sorted(found, key=lambda c: (c.first, c.occurrence_id))


def _utc(value: datetime) -> datetime:
    # min/max keep the column's type (aware UTC); this only guards a driver that returns naive.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

"""Small presentation helpers shared by pages and the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from coach.access import Actor
from coach.models import ClassOccurrence, ClassSeries, Patient, StaffUser
from web.dates import moment_text


def staff_zone(session: Session, actor: Actor) -> str:
    """The staff member's own time zone, in which their pages show times (UTC if none)."""
    staff = session.get(StaffUser, actor.staff_id) if actor.staff_id else None
    return staff.time_zone if staff else "UTC"


def local_text(when: datetime, zone: str, language: str = "en") -> str:
    """A moment in the reader's zone and language, the zone named (see web/dates.py)."""
    return moment_text(when, zone, language)


def occurrence_view(
    occurrence: ClassOccurrence,
    series: ClassSeries,
    zone: str,
    enrolled: int | None = None,
    language: str = "en",
) -> dict[str, Any]:
    return {
        "id": occurrence.id,
        "class_id": series.id,
        "title": series.title,
        "starts_at_iso": occurrence.starts_at.isoformat(),
        "starts_local": local_text(occurrence.starts_at, zone, language),
        "minutes": series.duration_minutes,
        "status": occurrence.status,
        "enrolled": enrolled,
    }


def patient_json(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "coach_id": patient.coach_id,
        "name": patient.name,
        "phone": patient.phone,
        "email": patient.email,
        "time_zone": patient.time_zone,
        "language": patient.language,
        "sms_only": patient.sms_only,
        "sms_consent": patient.sms_consent,
        "join_by": patient.join_by,
        "created_at": patient.created_at.isoformat(),
    }


def series_json(series: ClassSeries) -> dict[str, Any]:
    return {
        "id": series.id,
        "coach_id": series.coach_id,
        "title": series.title,
        "description": series.description,
        "time_zone": series.time_zone,
        "first_start_local": series.first_start_local.isoformat(),
        "duration_minutes": series.duration_minutes,
        "rrule": series.rrule,
        "capacity": series.capacity,
        "auto_admit": series.auto_admit,
        "cancelled": series.cancelled_at is not None,
    }


def occurrence_json(occurrence: ClassOccurrence) -> dict[str, Any]:
    return {
        "id": occurrence.id,
        "class_id": occurrence.series_id,
        "starts_at": occurrence.starts_at.isoformat(),
        "ends_at": occurrence.ends_at.isoformat(),
        "status": occurrence.status,
    }

"""Urgent alerts about a patient that a coach must see now: dashboard, inbox and live class view.

An alert stays open until a staff member acknowledges it. The package that notices the problem (an
SMS reply reporting chest pain, a heart rate over the ceiling) raises it here, in the same
transaction as what caused it, and then tells the live views through the Protocol it was given.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import JSON, Column, Field, Session, SQLModel, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from coach.access import Actor, patient_filter
from coach.models import Patient, utcnow


class PatientAlert(SQLModel, table=True):
    __tablename__ = "patient_alert"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: str = Field(max_length=32)  # red_flag, ...
    severity: str = Field(default="urgent", max_length=16)
    summary: str = Field(max_length=500)
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=32)  # sms, live, ...
    source_ref: str | None = Field(default=None, max_length=64)  # e.g. "sms_message:12"
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    acknowledged_by: int | None = Field(default=None, foreign_key="staff_user.id")


def raise_alert(
    session: Session,
    patient_id: int,
    kind: str,
    summary: str,
    flags: Collection[str],
    source: str,
    source_ref: str | None = None,
    now: datetime | None = None,
) -> PatientAlert:
    alert = PatientAlert(
        patient_id=patient_id,
        kind=kind,
        summary=summary[:500],
        flags=list(flags),
        source=source,
        source_ref=source_ref,
        created_at=now or utcnow(),
    )
    session.add(alert)
    session.flush()
    return alert


def open_alerts(session: Session, patient_ids: Collection[int]) -> list[PatientAlert]:
    """Unacknowledged alerts for these patients, newest first (a live class view's query)."""
    if not patient_ids:
        return []
    query = (
        select(PatientAlert)
        .where(col(PatientAlert.patient_id).in_(list(patient_ids)))
        .where(col(PatientAlert.acknowledged_at).is_(None))
        .order_by(col(PatientAlert.created_at).desc(), col(PatientAlert.id).desc())
    )
    return list(session.exec(query))


def open_alerts_for(session: Session, actor: Actor) -> list[tuple[PatientAlert, Patient]]:
    """Unacknowledged alerts for every patient `actor` may see, newest first (the dashboard's)."""
    query = (
        select(PatientAlert, Patient)
        .join(Patient, col(Patient.id) == col(PatientAlert.patient_id))
        .where(patient_filter(actor))
        .where(col(PatientAlert.acknowledged_at).is_(None))
        .order_by(col(PatientAlert.created_at).desc(), col(PatientAlert.id).desc())
    )
    return [(alert, patient) for alert, patient in session.exec(query)]


def acknowledge(
    session: Session, alert: PatientAlert, staff_id: int | None, now: datetime | None = None
) -> PatientAlert:
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now or utcnow()
        alert.acknowledged_by = staff_id
        session.add(alert)
        session.flush()
    return alert

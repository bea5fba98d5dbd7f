"""Who may see which patient and class: the object-level half of access control.

A coach sees the patients assigned to them and the patients enrolled in their classes; an admin sees
everyone; a patient sees only themself. Anything else is `NotVisible`, which the web layer answers
with 404 so that a guess does not even learn that the object exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coach.models import ClassOccurrence, ClassSeries, Enrollment, Patient

Role = Literal["admin", "coach", "patient"]


@dataclass(frozen=True)
class Actor:
    role: Role
    staff_id: int | None = None
    patient_id: int | None = None

    @property
    def kind(self) -> str:
        return "patient" if self.role == "patient" else "staff"

    @property
    def actor_id(self) -> int | None:
        return self.patient_id if self.role == "patient" else self.staff_id


class NotVisible(LookupError):
    """The object does not exist or this actor may not see it; callers cannot tell which."""

    def __init__(self, kind: str, object_id: object, patient_id: int | None = None) -> None:
        super().__init__(f"{kind} {object_id} not found")
        self.kind = kind
        self.object_id = object_id
        self.patient_id = patient_id

    def __repr__(self) -> str:
        return f"NotVisible({self.kind!r}, {self.object_id!r})"


def _coach_patient_ids(coach_id: int) -> sa.Select[tuple[int]]:
    enrolled = (
        select(Enrollment.patient_id)
        .join(ClassSeries, ClassSeries.id == Enrollment.series_id)  # type: ignore[arg-type]
        .where(ClassSeries.coach_id == coach_id)
    )
    assigned = select(Patient.id).where(Patient.coach_id == coach_id)
    return sa.union(assigned, enrolled)  # type: ignore[return-value]


def patient_filter(actor: Actor) -> sa.ColumnElement[bool]:
    """A WHERE clause on `Patient` that keeps only what `actor` may see."""
    if actor.role == "admin":
        return sa.true()
    if actor.role == "coach" and actor.staff_id is not None:
        return col(Patient.id).in_(_coach_patient_ids(actor.staff_id))
    if actor.role == "patient" and actor.patient_id is not None:
        return col(Patient.id) == actor.patient_id
    return sa.false()


def visible_patients(session: Session, actor: Actor) -> list[Patient]:
    query = select(Patient).where(patient_filter(actor)).order_by(Patient.name)
    return list(session.exec(query))


def get_patient(session: Session, actor: Actor, patient_id: int) -> Patient:
    patient = session.exec(
        select(Patient).where(Patient.id == patient_id, patient_filter(actor))
    ).first()
    if patient is None:
        raise NotVisible("patient", patient_id, patient_id)
    return patient


def class_filter(actor: Actor) -> sa.ColumnElement[bool]:
    if actor.role == "admin":
        return sa.true()
    if actor.role == "coach" and actor.staff_id is not None:
        return col(ClassSeries.coach_id) == actor.staff_id
    if actor.role == "patient" and actor.patient_id is not None:
        enrolled = select(Enrollment.series_id).where(Enrollment.patient_id == actor.patient_id)
        return col(ClassSeries.id).in_(enrolled)
    return sa.false()


def visible_classes(session: Session, actor: Actor) -> list[ClassSeries]:
    query = select(ClassSeries).where(class_filter(actor)).order_by(col(ClassSeries.id))
    return list(session.exec(query))


def get_class(session: Session, actor: Actor, series_id: int) -> ClassSeries:
    series = session.exec(
        select(ClassSeries).where(ClassSeries.id == series_id, class_filter(actor))
    ).first()
    if series is None:
        raise NotVisible("class", series_id)
    return series


def get_occurrence(session: Session, actor: Actor, occurrence_id: int) -> ClassOccurrence:
    occurrence = session.get(ClassOccurrence, occurrence_id)
    if occurrence is None:
        raise NotVisible("occurrence", occurrence_id)
    get_class(session, actor, occurrence.series_id)
    return occurrence

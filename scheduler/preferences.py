"""Reminder settings per class and per patient: read, replace, or reset to the default."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from scheduler.models import ReminderPreference


def _find(
    session: Session, *, series_id: int | None, patient_id: int | None
) -> ReminderPreference | None:
    query = select(ReminderPreference)
    if series_id is not None:
        query = query.where(ReminderPreference.series_id == series_id)
    else:
        query = query.where(ReminderPreference.patient_id == patient_id)
    return session.exec(query).first()


def offsets_of(
    session: Session, *, series_id: int | None = None, patient_id: int | None = None
) -> tuple[int, ...] | None:
    """The stored offsets, or None when the default (or the class's) applies."""
    pref = _find(session, series_id=series_id, patient_id=patient_id)
    return tuple(pref.offsets_minutes) if pref is not None else None


def set_offsets(
    session: Session,
    offsets: tuple[int, ...] | None,
    staff_id: int | None,
    now: datetime,
    *,
    series_id: int | None = None,
    patient_id: int | None = None,
) -> None:
    """Store `offsets` for the class or the patient; None removes the setting."""
    if (series_id is None) == (patient_id is None):
        raise ValueError("a reminder setting belongs to one class or one patient")
    pref = _find(session, series_id=series_id, patient_id=patient_id)
    if offsets is None:
        if pref is not None:
            session.delete(pref)
        session.flush()
        return
    if pref is None:
        pref = ReminderPreference(series_id=series_id, patient_id=patient_id)
    pref.offsets_minutes = list(offsets)
    pref.updated_at, pref.updated_by = now, staff_id
    session.add(pref)
    session.flush()

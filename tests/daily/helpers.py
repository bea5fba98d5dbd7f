"""Daily-data test helpers: days relative to the patient's today (never the calendar's)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from coach import classes
from coach.alerts import Alert
from coach.daily import DailyReading
from coach.models import Patient


def today_of(session: Session, patient_id: int, now: datetime) -> date:
    patient = session.get(Patient, patient_id)
    assert patient is not None
    return now.astimezone(ZoneInfo(patient.time_zone)).date()


def steady_then_sick(today: date, days: int = 21, sick: int = 2) -> list[dict[str, Any]]:
    """`days` ordinary days (resting heart rate about 60, about 6000 steps) ending `sick` days
    before today, then `sick` days with the rate 10 higher and steps halved, the last today."""
    out = []
    for back in range(days + sick - 1, -1, -1):
        day = today - timedelta(days=back)
        if back >= sick:
            out.append(
                {
                    "date": day.isoformat(),
                    "resting_hr": 60 + back % 2,
                    "steps": 6000 + 100 * (back % 3),
                }
            )
        else:
            out.append({"date": day.isoformat(), "resting_hr": 71, "steps": 2500})
    return out


def readings(session: Session, patient_id: int) -> list[DailyReading]:
    query = select(DailyReading).where(DailyReading.patient_id == patient_id)
    return list(session.exec(query.order_by(col(DailyReading.day))))


def alerts_of(session: Session, patient_id: int, kind: str | None = None) -> list[Alert]:
    query = select(Alert).where(Alert.patient_id == patient_id)
    if kind is not None:
        query = query.where(Alert.kind == kind)
    return list(session.exec(query.order_by(col(Alert.id))))


def daily_class(
    session: Session, coach_id: int, patient_ids: list[int], now: datetime, days_back: int
) -> None:
    """A daily class (UTC, 45 minutes, at `now`'s time of day) begun `days_back` days ago, with
    the patients enrolled."""
    series = classes.create_series(
        session,
        coach_id,
        {
            "title": "Morning class",
            "description": "",
            "time_zone": "UTC",
            "first_start_local": (now - timedelta(days=days_back)).replace(
                tzinfo=None, microsecond=0
            ),
            "duration_minutes": 45,
            "rrule": "FREQ=DAILY",
            "capacity": 10,
            "auto_admit": False,
        },
        now - timedelta(days=days_back + 1),
    )
    for patient_id in patient_ids:
        classes.enroll(session, series, session.get(Patient, patient_id), now)

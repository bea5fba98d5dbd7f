"""Test data built through the same storage functions the app uses."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from coach import classes, join_links, patients
from coach.models import ClassOccurrence, StaffUser, utcnow
from tests.conftest import FAST_HASHER, PASSWORD, TEST_SECRET, World

LANGS = ("en", "es")


def staff(session: Session, email: str, role: str, name: str | None = None) -> StaffUser:
    user = StaffUser(
        email=email,
        name=name or email.split("@")[0].title(),
        role=role,
        password_hash=FAST_HASHER.hash(PASSWORD),
        time_zone="Europe/Madrid",
    )
    session.add(user)
    session.flush()
    return user


def patient(
    session: Session,
    coach_id: int,
    name: str,
    phone: str,
    now: datetime | None = None,
    **extra: object,
) -> int:
    values = patients.parse_patient_input(
        {"name": name, "phone": phone, "time_zone": "Europe/Madrid", **extra}, LANGS
    )
    created = patients.create_patient(session, coach_id, values, now)
    assert created.id is not None
    return created.id


def weekly_class(
    session: Session,
    coach_id: int,
    title: str,
    start: datetime | None = None,
    now: datetime | None = None,
) -> tuple[int, int]:
    """A weekly class first starting at `start` (two hours after `now` unless given); `now` is
    the app's clock (the wall clock's when not given, for tests of real servers)."""
    now = now or utcnow()
    start = start or (now + timedelta(hours=2))
    series = classes.create_series(
        session,
        coach_id,
        {
            "title": title,
            "description": "",
            "time_zone": "UTC",
            "first_start_local": start.replace(tzinfo=None, microsecond=0),
            "duration_minutes": 45,
            "rrule": "FREQ=WEEKLY",
            "capacity": 10,
            "auto_admit": False,
        },
        now,
    )
    first = session.exec(
        select(ClassOccurrence)
        .where(ClassOccurrence.series_id == series.id)
        .order_by(ClassOccurrence.starts_at)
    ).first()
    assert series.id is not None and first is not None and first.id is not None
    return series.id, first.id


def enroll(session: Session, series_id: int, patient_id: int, now: datetime | None = None) -> None:
    from coach.models import ClassSeries, Patient

    series = session.get(ClassSeries, series_id)
    member = session.get(Patient, patient_id)
    assert series is not None and member is not None
    classes.enroll(session, series, member, now)


def join_token(
    session: Session, patient_id: int, hours: float = 24, now: datetime | None = None
) -> str:
    return join_links.issue(
        session, TEST_SECRET, patient_id, None, timedelta(hours=hours), now=now
    )[1]


def build_world(session: Session, now: datetime | None = None) -> World:
    admin = staff(session, "admin@example.org", "admin")
    coach_a = staff(session, "coach.a@example.org", "coach", "Coach Alpha")
    coach_b = staff(session, "coach.b@example.org", "coach", "Coach Beta")
    assert admin.id and coach_a.id and coach_b.id
    patient_a = patient(session, coach_a.id, "Ana Secretname", "+15555550101", now)
    patient_b = patient(session, coach_b.id, "Bruno Hiddenname", "+15555550102", now, language="es")
    class_a, occ_a = weekly_class(session, coach_a.id, "Alpha Class", now=now)
    class_b, occ_b = weekly_class(session, coach_b.id, "Beta Class", now=now)
    enroll(session, class_a, patient_a, now)
    enroll(session, class_b, patient_b, now)
    return World(
        admin.id, coach_a.id, coach_b.id, patient_a, patient_b, class_a, class_b, occ_a, occ_b
    )

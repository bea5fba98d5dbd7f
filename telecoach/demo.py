"""Demo data: a coach, an admin, eight patients whose profiles span the clinical rules, and a
weekly class that starts five minutes from now. Idempotent: a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from coach import classes, join_links, patients
from coach.audit import record_system
from coach.demo_profiles import DEMO_PATIENTS
from coach.models import ClinicalProfile, StaffUser, utcnow
from coach.profile import parse_profile
from web.auth.passwords import Passwords

# Printed at start; demo data is refused in production mode.
DEMO_PASSWORD = "telecoach-demo"  # noqa: S105
COACH_EMAIL = "coach@example.org"
ADMIN_EMAIL = "admin@example.org"
COACH_ZONE = "America/New_York"


@dataclass(frozen=True)
class DemoResult:
    created: bool
    join_urls: dict[str, str]


def seed(
    session: Session,
    passwords: Passwords,
    secret_key: str,
    base_url: str,
    now: datetime | None = None,
) -> DemoResult:
    now = now or utcnow()
    if session.exec(select(StaffUser).where(StaffUser.email == COACH_EMAIL)).first():
        return DemoResult(created=False, join_urls={})
    password_hash = passwords.hash(DEMO_PASSWORD)
    coach = StaffUser(
        email=COACH_EMAIL,
        name="Dana Rivera",
        role="coach",
        password_hash=password_hash,
        time_zone=COACH_ZONE,
    )
    admin = StaffUser(
        email=ADMIN_EMAIL,
        name="Clinic Admin",
        role="admin",
        password_hash=password_hash,
        time_zone=COACH_ZONE,
    )
    session.add(coach)
    session.add(admin)
    session.flush()
    assert coach.id is not None

    start_local = (now + timedelta(minutes=5)).astimezone(ZoneInfo(COACH_ZONE))
    series = classes.create_series(
        session,
        coach.id,
        {
            "title": "Gentle strength and cardio",
            "description": "Seated and standing, all levels.",
            "time_zone": COACH_ZONE,
            "first_start_local": start_local.replace(tzinfo=None, microsecond=0),
            "duration_minutes": 45,
            "rrule": "FREQ=WEEKLY",
            "capacity": 12,
            "auto_admit": False,
        },
        now=now,
    )

    join_urls: dict[str, str] = {}
    for demo in DEMO_PATIENTS:
        patient = patients.create_patient(
            session,
            coach.id,
            {
                "name": demo["name"],
                "phone": demo["phone"],
                "time_zone": demo["time_zone"],
                "language": demo["language"],
                "sms_only": demo["sms_only"],
                "sms_consent": True,
                "email": None,
            },
            now,
        )
        assert patient.id is not None
        session.add(
            ClinicalProfile(
                patient_id=patient.id,
                data=parse_profile(demo["profile"]).to_json(),
                updated_by=coach.id,
            )
        )
        record_system(session, "demo", "patient.create", patient.id)
        if not demo["sms_only"]:
            classes.enroll(session, series, patient, now)
            _, token = join_links.issue(
                session, secret_key, patient.id, coach.id, timedelta(days=7), now=now
            )
            join_urls[demo["name"]] = f"{base_url}/join/{token}"
    return DemoResult(created=True, join_urls=join_urls)

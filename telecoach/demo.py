"""Demo data a newcomer can explore: a coach, an admin, eight patients whose profiles span the
clinical rules, most of them with an approved prescription, and a class that is on whenever the
demo starts, with one each day after it.

Idempotent: a second run adds nothing while a demo class is still on and the demo's join links
are still valid; otherwise it adds only what is missing (a drop-in class on now, fresh links).
Prescriptions go through the product's own path: the engine drafts from the stored profile and
the coach's approval use case approves the draft unchanged, so no safety rule is bypassed; a
patient the engine holds (fever) gets none, and Rosa's draft waits for the coach's review so the
approval page has something to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from coach import classes, drafting, join_links, patients
from coach.access import Actor
from coach.audit import record_system
from coach.demo_profiles import DEMO_PATIENTS
from coach.models import (
    ClassOccurrence,
    ClassSeries,
    ClinicalProfile,
    JoinLink,
    Patient,
    StaffUser,
    utcnow,
)
from coach.profile import parse_profile
from coach.rules import RuleSet, load_rules
from scheduler.config import Links, SchedulerConfig
from telecoach.demo_history import HISTORY_BEFORE, seed_history
from usecases.prescriptions import approve_prescription
from web.auth.passwords import Passwords

# Printed at start; demo data is refused in production mode.
DEMO_PASSWORD = "telecoach-demo"  # noqa: S105
COACH_EMAIL = "coach@example.org"
ADMIN_EMAIL = "admin@example.org"
COACH_ZONE = "America/New_York"
CLASS_MINUTES = 45
# The class the demo opens on began this long ago: on now, with most of it still to come.
CLASS_BEGAN = timedelta(minutes=5)
# A class with less than this left is not worth joining: the demo opens a drop-in one instead.
CLASS_LEFT_AT_LEAST = timedelta(minutes=20)
JOIN_LINK_DAYS = 7
LINK_LEFT_AT_LEAST = timedelta(days=1)  # a link about to expire is not worth printing
WAITING_FOR_REVIEW = "rosa_bone_mets"  # her draft stays a draft: the coach's approval to try


@dataclass(frozen=True)
class DemoResult:
    created: bool
    join_urls: dict[str, str]
    class_added: bool = False
    approved: int = 0  # prescriptions approved by this run


def seed(
    session: Session,
    passwords: Passwords,
    secret_key: str,
    base_url: str,
    now: datetime | None = None,
    *,
    rules: RuleSet | None = None,
    schedule: SchedulerConfig | None = None,
    history: bool = False,
) -> DemoResult:
    """The demo as of `now` (the caller's clock): made on the first run, topped up after. With
    `history`, the first run also writes the four weeks before `now` (telecoach.demo_history): the
    `telecoach demo` a newcomer runs has them; tests that count a week's sessions start without."""
    now = now or utcnow()
    coach = session.exec(select(StaffUser).where(StaffUser.email == COACH_EMAIL)).first()
    created = coach is None
    approved = 0
    if coach is None:
        # With a history, the clinic began before it: patients enrolled and prescriptions
        # approved then, so the sessions it holds were done under an approved prescription and
        # count in the weeks the adherence report shows.
        began = now - HISTORY_BEFORE if history else now
        coach = _people(session, passwords, began)
        rules = rules or load_rules()
        schedule = schedule or SchedulerConfig(Links(secret_key, base_url, timedelta(days=7)))
        approved = _prescriptions(session, coach, rules, schedule, began)
        if history:
            keyed = [
                (str(demo["key"]), patient) for demo, patient in _demo_patients(session, coach)
            ]
            seed_history(session, keyed, rules, schedule, now)
    class_added = _class_on_now(session, coach, now)
    urls = _join_urls(session, coach, secret_key, base_url, now)
    return DemoResult(created, urls, class_added, approved)


def _people(session: Session, passwords: Passwords, now: datetime) -> StaffUser:
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
    session.flush()
    return coach


def _demo_patients(session: Session, coach: StaffUser) -> list[tuple[dict[str, object], Patient]]:
    by_phone = {
        p.phone: p for p in session.exec(select(Patient).where(Patient.coach_id == coach.id))
    }
    return [(demo, by_phone[demo["phone"]]) for demo in DEMO_PATIENTS if demo["phone"] in by_phone]


def _prescriptions(
    session: Session, coach: StaffUser, rules: RuleSet, schedule: SchedulerConfig, now: datetime
) -> int:
    """Draft each patient's prescription from their profile, and approve it as the coach would:
    unchanged, through the approval use case. A held prescription is left as a draft."""
    actor = Actor("coach", staff_id=coach.id)
    approved = 0
    for demo, patient in _demo_patients(session, coach):
        assert patient.id is not None
        draft = drafting.generate_draft(session, rules, patient, coach.id, now)
        record_system(session, "demo", "prescription.draft", patient.id, f"v{draft.version}")
        if draft.data.get("hold") or demo["key"] == WAITING_FOR_REVIEW:
            continue
        assert draft.id is not None
        outcome = approve_prescription(session, actor, patient.id, draft.id, 0, schedule, now)
        approved += outcome.version is not None
    return approved


def _class_on_now(session: Session, coach: StaffUser, now: datetime) -> bool:
    """Make sure one of the coach's classes is on now with time left: on the first run a daily
    class that began a few minutes ago; later, when none is on, a drop-in class like it."""
    assert coach.id is not None
    on_now = session.exec(
        select(ClassOccurrence.id)
        .join(ClassSeries, col(ClassSeries.id) == col(ClassOccurrence.series_id))
        .where(ClassSeries.coach_id == coach.id, ClassOccurrence.status == "scheduled")
        .where(col(ClassOccurrence.starts_at) <= now)
        .where(col(ClassOccurrence.ends_at) >= now + CLASS_LEFT_AT_LEAST)
    ).first()
    if on_now is not None:
        return False
    first = session.exec(select(ClassSeries.id).where(ClassSeries.coach_id == coach.id)).first()
    start = (now - CLASS_BEGAN).astimezone(ZoneInfo(COACH_ZONE)).replace(second=0, microsecond=0)
    series = classes.create_series(
        session,
        coach.id,
        {
            "title": "Gentle strength and cardio" if first is None else "Drop-in class",
            "description": "Seated and standing, all levels.",
            "time_zone": COACH_ZONE,
            "first_start_local": start.replace(tzinfo=None),
            "duration_minutes": CLASS_MINUTES,
            # The first class comes back each day at this time: more to join in the days after.
            "rrule": "FREQ=DAILY" if first is None else None,
            "capacity": 12,
            "auto_admit": False,
        },
        now=now,
    )
    for demo, patient in _demo_patients(session, coach):
        if not demo["sms_only"]:
            classes.enroll(session, series, patient, now)
    return True


def _join_urls(
    session: Session, coach: StaffUser, secret_key: str, base_url: str, now: datetime
) -> dict[str, str]:
    """Each browser patient's join link: the demo's own still-valid link when there is one (its
    token is rebuilt, nothing stored), else a new one."""
    urls: dict[str, str] = {}
    for demo, patient in _demo_patients(session, coach):
        if demo["sms_only"]:
            continue
        assert patient.id is not None
        link = session.exec(
            select(JoinLink)
            .where(JoinLink.patient_id == patient.id, JoinLink.created_by == coach.id)
            .where(
                col(JoinLink.revoked_at).is_(None),
                col(JoinLink.expires_at) > now + timedelta(days=1),
            )
            .order_by(col(JoinLink.id).desc())
        ).first()
        if link is None:
            link, token = join_links.issue(
                session, secret_key, patient.id, coach.id, timedelta(days=JOIN_LINK_DAYS), now=now
            )
        else:
            token = join_links.token_for(secret_key, link)
        urls[patient.name] = f"{base_url}/join/{token}"
    return urls

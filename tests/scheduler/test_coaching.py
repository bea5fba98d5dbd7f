"""SMS coaching plans from the approved prescription, the day's texts and check-ins in the
patient's zone, and the weekly progression review run by the scheduler."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from coach import prescriptions
from coach.adherence import log_session
from coach.database import Database
from coach.demo_profiles import DEMO_PATIENTS
from coach.engine import prescribe
from coach.profile import parse_profile
from coach.rules import load_rules
from coach.workflow_models import ProgressionProposal
from messaging.state import pending_question
from scheduler.models import CANCELLED, DROPPED, PENDING, SENT, ScheduledMessage
from tests.clocks import ManualClock, RunningClock, utc
from tests.conftest import World
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import NY, RunnerFor, asyncio_run, new_patient, rows

MONDAY_6AM_NY = utc(2027, 1, 4, 11, 0)
ADA = next(p for p in DEMO_PATIENTS if p["key"] == "ada_post_treatment")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def approve(db: Database, patient_id: int, coach_id: int) -> None:
    data = prescribe(parse_profile(ADA["profile"]), load_rules(None)).to_json()

    def work(session: Session) -> None:
        prescriptions.create_approved(
            session, patient_id, data, ADA["profile"], coach_id, utc(2026, 12, 1, 12, 0)
        )

    db.run_sync(work)


@pytest.fixture
def sms_only(coach_api: TestClient, db: Database, world: World) -> int:
    patient = new_patient(coach_api, time_zone="America/New_York", sms_only=True)
    approve(db, patient, world.coach_a)
    return patient


def _by_key(db: Database, patient: int) -> dict[tuple[str, str], ScheduledMessage]:
    return {(r.purpose, r.ref): r for r in rows(db, ScheduledMessage.patient_id == patient)}


def test_a_plan_is_made_from_the_prescription_and_its_texts_go_on_time(
    coach_api: TestClient,
    app: TestClient,
    db: Database,
    sms_only: int,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    clock = ManualClock(MONDAY_6AM_NY)
    runner = runner_for(clock)
    asyncio_run(runner.plan())
    plan = coach_api.get(f"/api/v1/patients/{sms_only}/coaching-plan").json()["plan"]
    assert plan["days"] == ["MO", "WE", "FR"]  # three sessions a week, spread out
    planned = _by_key(db, sms_only)
    texts = {k for k, row in planned.items() if row.kind != "task"}  # not the reviews, checks
    assert texts == {
        (p, d)
        for p in ("checkin.fatigue", "coaching", "checkin.rpe")
        for d in ("2027-01-04", "2027-01-06", "2027-01-08")
    }
    assert planned[("coaching", "2027-01-04")].due_at == utc(2027, 1, 4, 14, 0)  # 09:00 local

    clock.at(utc(2027, 1, 4, 14, 0))
    asyncio_run(runner.drain(60))
    coaching, fatigue = sorted(r.form["Body"] for r in twilio_api.creates())[::-1]
    assert fatigue.startswith("Good morning! How tired do you feel today")
    assert coaching.startswith("Today: ") and "Reply DONE" in coaching
    # A bare number now answers the fatigue question (asked at the runner's time).
    assert db.run_sync(pending_question, sms_only, clock.now()) == "fatigue"
    # The patient replies DONE that day (the SMS engineer's inbound path stores this log).
    db.run_sync(lambda s: log_session(s, sms_only, date(2027, 1, 4), "sms", minutes=25))
    clock.at(utc(2027, 1, 4, 23, 0))  # 18:00: the effort question was already asked by the reply
    asyncio_run(runner.drain(60))
    effort = _by_key(db, sms_only)[("checkin.rpe", "2027-01-04")]
    assert (effort.status, effort.reason) == (DROPPED, "already_answered")
    clock.at(utc(2027, 1, 6, 23, 0))  # Wednesday, no reply: all three texts went
    asyncio_run(runner.drain(60))
    wednesday = [r.form["Body"] for r in twilio_api.creates()[2:]]
    assert any(b.startswith("How hard was your exercise today") for b in wednesday)
    assert {
        _by_key(db, sms_only)[(p, "2027-01-06")].status
        for p in ("checkin.fatigue", "coaching", "checkin.rpe")
    } == {SENT}


def test_the_weekly_review_runs_once_and_waits_for_the_coach(
    db: Database, sms_only: int, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    clock = ManualClock(MONDAY_6AM_NY)
    runner = runner_for(clock)
    asyncio_run(runner.plan())
    review = _by_key(db, sms_only)[("review.weekly", "2027-01-04")]
    assert (review.kind, review.due_at) == ("task", utc(2027, 1, 11, 11, 0))  # next Monday 06:00
    clock.at(review.due_at)
    asyncio_run(runner.plan())  # planning again changes nothing
    asyncio_run(runner.drain(60))
    assert _by_key(db, sms_only)[("review.weekly", "2027-01-04")].status == SENT

    def proposals(session: Session) -> list[ProgressionProposal]:
        return list(session.exec(select(ProgressionProposal)))

    (proposal,) = db.run_sync(proposals)
    assert (proposal.patient_id, proposal.week_start, proposal.status) == (
        sms_only,
        date(2027, 1, 4),
        "pending",
    )
    clock.current += timedelta(days=1)
    asyncio_run(runner.drain(60))
    assert len(db.run_sync(proposals)) == 1


def test_changing_the_plan_replans_its_texts(
    coach_api: TestClient, db: Database, sms_only: int, clock: RunningClock
) -> None:
    url = f"/api/v1/patients/{sms_only}/coaching-plan"
    created = coach_api.put(url, json={})  # made from the prescription, defaults
    assert created.status_code == 200, created.text
    before = {k for k, r in _by_key(db, sms_only).items() if r.status == PENDING}
    assert before and {k[0] for k in before} == {"checkin.fatigue", "coaching", "checkin.rpe"}
    changed = coach_api.put(
        url, json={"days": ["tu", "TH"], "coaching_time": "10:15", "fatigue_time": None}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["plan"]["days"] == ["TU", "TH"]
    after = _by_key(db, sms_only)
    live = [r for r in after.values() if r.status == PENDING]
    assert {datetime.fromisoformat(r.ref).strftime("%a") for r in live} <= {"Tue", "Thu"}
    assert "checkin.fatigue" not in {r.purpose for r in live}
    assert all(
        r.due_at.astimezone(NY).strftime("%H:%M") == "10:15"
        for r in live
        if r.purpose == "coaching"
    )
    stale = [
        after[k]
        for k in before
        if datetime.fromisoformat(k[1]).strftime("%a") in ("Mon", "Wed", "Fri")
        and after[k].planned_at > clock.now()
    ]
    assert all((r.status, r.reason) == (CANCELLED, "plan_changed") for r in stale)

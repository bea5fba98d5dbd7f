"""Sending a due row through the real Twilio library to the local Twilio API: passing errors are
retried with backoff, permanent ones are not, and opt-out, consent and holds are checked again
when the row is claimed. Safety texts jump the queue and ignore quiet hours. Sends are paced."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from coach.database import Database
from coach.holds import place_hold
from messaging import state
from scheduler import outbox
from scheduler.models import DROPPED, FAILED, PENDING, SENT, ScheduledMessage
from tests.clocks import ManualClock, utc
from tests.conftest import World
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import (
    RunnerFor,
    asyncio_run,
    enroll,
    new_class,
    new_patient,
    rows,
    set_patient,
    text_rows,
)

NOON = utc(2027, 1, 5, 12, 0)  # daytime in Madrid (Ana) and New York


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def ana(db: Database, world: World) -> int:
    set_patient(db, world.patient_a, sms_consent=True)
    return world.patient_a


def _plan(db: Database, planned: list[outbox.Planned], now: datetime = NOON) -> None:
    db.run_sync(lambda s: outbox.put(s, planned, now, revive=False))


def _row(db: Database) -> ScheduledMessage:
    (row,) = rows(db)
    return row


@pytest.mark.parametrize("phone", ["+15005550429", "+15005550503"])
def test_passing_errors_are_retried_with_backoff_then_given_up(
    db: Database, ana: int, runner_for: RunnerFor, twilio_api: FakeTwilio, phone: str
) -> None:
    set_patient(db, ana, phone=phone)
    _plan(db, text_rows([ana], 1, NOON))
    clock = ManualClock(NOON)
    runner = runner_for(clock, sms_max_attempts=3)
    asyncio_run(runner.tick())
    row = _row(db)
    assert (row.status, row.attempts, row.due_at) == (PENDING, 1, NOON + timedelta(seconds=30))
    assert row.reason is not None and row.reason.startswith("retry_")
    assert asyncio_run(runner.tick()) == 0  # not due again yet
    clock.at(row.due_at)
    asyncio_run(runner.tick())
    assert (_row(db).attempts, _row(db).due_at) == (2, row.due_at + timedelta(seconds=60))
    clock.at(_row(db).due_at)
    asyncio_run(runner.tick())
    assert (_row(db).status, _row(db).attempts) == (FAILED, 3)
    assert _row(db).reason is not None and _row(db).reason.startswith("gave_up_")  # type: ignore[union-attr]
    assert len(twilio_api.creates()) == 3


def test_a_retry_that_succeeds_is_sent_once(
    db: Database, ana: int, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    set_patient(db, ana, phone="+15005550429")
    _plan(db, text_rows([ana], 1, NOON))
    clock = ManualClock(NOON)
    runner = runner_for(clock)
    asyncio_run(runner.tick())
    set_patient(db, ana, phone="+15555550101")  # the congestion passes (another number here)
    clock.at(_row(db).due_at)
    asyncio_run(runner.tick())
    assert (_row(db).status, _row(db).attempts) == (SENT, 2)
    assert [r.form["To"] for r in twilio_api.creates()] == ["+15005550429", "+15555550101"]


@pytest.mark.parametrize(("phone", "code"), [("+15005550009", "21610"), ("+15005550001", "21211")])
def test_permanent_errors_are_not_retried(
    db: Database, ana: int, runner_for: RunnerFor, twilio_api: FakeTwilio, phone: str, code: str
) -> None:
    set_patient(db, ana, phone=phone)
    _plan(db, text_rows([ana], 1, NOON) + text_rows([ana], 1, NOON + timedelta(minutes=1), tag="m"))
    clock = ManualClock(NOON)
    runner = runner_for(clock)
    asyncio_run(runner.drain(60))
    first = rows(db)[0]
    assert (first.status, first.reason, first.attempts) == (FAILED, code, 1)
    clock.current += timedelta(hours=2)  # long after any backoff
    asyncio_run(runner.drain(60))
    first, second = rows(db)
    assert (first.status, first.attempts) == (FAILED, 1)  # never tried again
    if code == "21610":  # the carrier says STOP: opted out, so the next one is not even tried
        assert db.run_sync(state.is_opted_out, ana)
        assert (second.status, second.reason) == (DROPPED, "opted_out")
        assert len(twilio_api.creates()) == 1
    else:
        assert (second.status, second.reason) == (FAILED, code)
        assert len(twilio_api.creates()) == 2


def test_opt_out_and_consent_are_checked_when_claimed(
    db: Database, ana: int, world: World, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    set_patient(db, world.patient_b, sms_consent=True)
    _plan(db, text_rows([ana, world.patient_b], 2, NOON))
    db.run_sync(lambda s: state.set_opted_out(s, ana, True, "keyword", NOON))  # after planning
    set_patient(db, world.patient_b, sms_consent=False)
    asyncio_run(runner_for(ManualClock(NOON)).drain(60))
    assert {(r.status, r.reason) for r in rows(db)} == {
        (DROPPED, "opted_out"),
        (DROPPED, "no_consent"),
    }
    assert twilio_api.creates() == []


def test_a_hold_stops_exercise_prompts_but_not_other_texts(
    coach_api: TestClient, db: Database, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    created = new_class(coach_api, "2027-01-06T09:00", rrule=None)
    patient = new_patient(coach_api, time_zone="America/New_York")
    enroll(coach_api, created["id"], patient)
    clock = ManualClock(NOON)
    runner = runner_for(clock)
    asyncio_run(runner.plan())
    _plan(db, text_rows([patient], 1, NOON))

    def hold(session: Session) -> None:
        place_hold(
            session, patient, "hold.red_flag", "fever", "sms", NOON + timedelta(days=3), NOON
        )

    db.run_sync(hold)
    clock.at(utc(2027, 1, 5, 14, 0))  # the 24 h reminder is due
    asyncio_run(runner.drain(60))
    outcome = {r.purpose: (r.status, r.reason) for r in rows(db)}
    assert outcome["reminder.1440"] == (DROPPED, "on_hold")
    assert outcome["text.note"] == (SENT, None)
    assert len(twilio_api.creates()) == 1


def test_a_same_day_reminder_carries_a_fresh_working_join_link(
    coach_api: TestClient,
    app: TestClient,
    db: Database,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    created = new_class(coach_api, "2027-01-06T17:00", rrule=None)
    browser = new_patient(coach_api, time_zone="America/New_York")
    sms_only = new_patient(coach_api, time_zone="America/New_York", sms_only=True)
    for patient in (browser, sms_only):
        enroll(coach_api, created["id"], patient)
    clock = ManualClock(utc(2027, 1, 6, 12, 0))
    runner = runner_for(clock)
    asyncio_run(runner.plan())
    clock.at(utc(2027, 1, 6, 21, 0))  # 16:00 in New York: the 1 h reminder
    asyncio_run(runner.drain(60))
    bodies = sorted((r.form["Body"] for r in twilio_api.creates()), key=len)
    assert bodies[0] == "Telecoach: your exercise class starts at 5:00 PM."  # no browser: no link
    assert bodies[1].startswith("Telecoach: your exercise class starts at 5:00 PM. Join here: ")
    link = bodies[1].rsplit(" ", 1)[1].removeprefix("http://testserver")
    app.cookies.clear()
    joined = app.get(link)
    assert joined.status_code == 303 and joined.headers["location"] == "/me"


def test_safety_texts_jump_the_queue_and_ignore_quiet_hours_and_pacing(
    db: Database, ana: int, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    night = utc(2027, 1, 5, 23, 0)  # 00:00 in Madrid
    _plan(db, text_rows([ana], 3, night - timedelta(minutes=5)), night)
    _plan(db, text_rows([ana], 1, night, urgent=True, tag="u"), night)
    clock = ManualClock(night)
    runner = runner_for(clock)
    asyncio_run(runner.tick())
    by_ref = {r.ref: r for r in rows(db)}
    assert by_ref["u0"].status == SENT and clock.slept == []
    assert [r.form["Body"] for r in twilio_api.creates()] == ["Note 0 from your coach."]
    # The others wait for 08:00 in Madrid (07:00 UTC), without it counting as an attempt.
    assert {(by_ref[f"n{i}"].status, by_ref[f"n{i}"].attempts) for i in range(3)} == {(PENDING, 0)}
    assert {by_ref[f"n{i}"].due_at for i in range(3)} == {utc(2027, 1, 6, 7, 0)}


def test_sends_are_paced_per_sender(
    db: Database, ana: int, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    _plan(db, text_rows([ana], 4, NOON))
    clock = ManualClock(NOON)
    asyncio_run(runner_for(clock).drain(60))  # 1 a second (the default)
    assert len(twilio_api.creates()) == 4
    # The first goes at once; each next one waits for its slot: four texts take three seconds.
    assert clock.current - NOON == timedelta(seconds=3)
    assert len(clock.slept) == 3

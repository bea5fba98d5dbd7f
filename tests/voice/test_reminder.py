"""A patient without a browser learns how to call in: the same-day reminder gives the dial-in
number and the class PIN (in their language), which the voice webhook then accepts."""

from __future__ import annotations

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach import dial_in
from coach.database import Database
from coach.models import ClassOccurrence
from tests.clocks import ManualClock, utc
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import RunnerFor, asyncio_run, enroll, new_class, new_patient
from tests.voice.conftest import VOICE_NUMBER


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def test_the_reminder_of_a_patient_without_a_browser_gives_the_number_and_the_pin(
    coach_api: TestClient,
    db: Database,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    created = new_class(coach_api, "2027-01-06T17:00", rrule=None)
    english = new_patient(coach_api, time_zone="America/New_York", sms_only=True)
    spanish = new_patient(coach_api, time_zone="America/New_York", sms_only=True, language="es")
    browser = new_patient(coach_api, time_zone="America/New_York")
    for patient in (english, spanish, browser):
        enroll(coach_api, created["id"], patient)
    clock = ManualClock(utc(2027, 1, 6, 12, 0))
    runner = runner_for(clock, voice_number=VOICE_NUMBER)
    asyncio_run(runner.plan())
    clock.at(utc(2027, 1, 6, 21, 0))  # the 1 h reminder
    asyncio_run(runner.drain(60))
    bodies = {r.form["To"]: r.form["Body"] for r in twilio_api.creates()}
    assert len(bodies) == 3
    occurrence = db.run_sync(
        lambda s: s.exec(
            select(ClassOccurrence.id).where(ClassOccurrence.series_id == created["id"])
        ).one()
    )
    pin = db.run_sync(dial_in.pin_for, occurrence)
    texts = sorted(bodies.values())
    assert (
        "Telecoach: your exercise class starts at 5:00 PM. To join by phone, call "
        f"{VOICE_NUMBER} and enter PIN {pin}, then #."
    ) in texts
    assert any(
        f"llame al {VOICE_NUMBER} y marque el PIN {pin}; luego oprima #." in t for t in texts
    )
    linked = [t for t in texts if "Join here" in t]
    assert len(linked) == 1 and VOICE_NUMBER not in linked[0]  # a browser patient gets the link


def test_without_a_voice_number_no_pin_is_given(
    coach_api: TestClient, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    created = new_class(coach_api, "2027-01-06T17:00", rrule=None)
    enroll(
        coach_api,
        created["id"],
        new_patient(coach_api, time_zone="America/New_York", sms_only=True),
    )
    clock = ManualClock(utc(2027, 1, 6, 12, 0))
    runner = runner_for(clock)
    asyncio_run(runner.plan())
    clock.at(utc(2027, 1, 6, 21, 0))
    asyncio_run(runner.drain(60))
    (body,) = [r.form["Body"] for r in twilio_api.creates()]
    assert body == "Telecoach: your exercise class starts at 5:00 PM."

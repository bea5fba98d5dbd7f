"""Quiet hours in each patient's own zone: one class in New York, patients on three continents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from scheduler.models import DROPPED, PENDING, SENT, ScheduledMessage
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
)

CLASS_START = utc(2027, 1, 12, 14, 0)  # Tuesday 09:00 in New York (EST)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def patients(coach_api: TestClient, world: World) -> dict[str, int]:
    created = new_class(coach_api, "2027-01-12T09:00", rrule=None)
    zones = {
        "ny": "America/New_York",
        "la": "America/Los_Angeles",
        "madrid": "Europe/Madrid",
        "auckland": "Pacific/Auckland",
    }
    ids = {name: new_patient(coach_api, time_zone=zone) for name, zone in zones.items()}
    for patient_id in ids.values():
        enroll(coach_api, created["id"], patient_id)
    return ids


def _planned(db: Database, patient_id: int) -> dict[str, ScheduledMessage]:
    return {r.purpose: r for r in rows(db, ScheduledMessage.patient_id == patient_id)}


def test_reminders_move_out_of_quiet_hours_or_are_dropped_with_a_reason(
    patients: dict[str, int], db: Database, runner_for: RunnerFor
) -> None:
    asyncio_run(runner_for(ManualClock(CLASS_START - timedelta(days=3))).plan())
    ny, la = _planned(db, patients["ny"]), _planned(db, patients["la"])
    madrid, auckland = _planned(db, patients["madrid"]), _planned(db, patients["auckland"])
    # New York: 09:00 the day before, and 08:00 (quiet hours end at 08:00: it may go).
    assert ny["reminder.1440"].due_at == utc(2027, 1, 11, 14, 0)
    assert ny["reminder.60"].due_at == utc(2027, 1, 12, 13, 0)
    # Madrid: the class is at 15:00 there; nothing is quiet.
    assert madrid["reminder.1440"].due_at == utc(2027, 1, 11, 14, 0)
    assert madrid["reminder.60"].due_at == utc(2027, 1, 12, 13, 0)
    # Los Angeles: the class is at 06:00. The day-before reminder (06:00) waits until 08:00;
    # the hour-before one (05:00) could only go after the class: dropped, with the reason.
    assert la["reminder.1440"].due_at == utc(2027, 1, 11, 16, 0)
    assert la["reminder.1440"].status == PENDING
    assert (la["reminder.60"].status, la["reminder.60"].reason) == (DROPPED, "quiet_hours")
    # Auckland: the class is at 03:00 on Wednesday; the reminder from 03:00 Tuesday goes at
    # 08:00 Tuesday (still before the class); the 02:00 one is dropped.
    assert auckland["reminder.1440"].due_at == utc(2027, 1, 11, 19, 0)
    assert (auckland["reminder.60"].status, auckland["reminder.60"].reason) == (
        DROPPED,
        "quiet_hours",
    )


def test_texts_go_at_the_moved_time_in_each_patients_own_words(
    patients: dict[str, int],
    db: Database,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
    coach_api: TestClient,
) -> None:
    clock = ManualClock(CLASS_START - timedelta(days=3))
    runner = runner_for(clock)
    asyncio_run(runner.plan())
    # The New York patient moves to Tokyo after planning: at 14:00 UTC it is 23:00 there.
    set_patient(db, patients["ny"], time_zone="Asia/Tokyo")
    clock.at(utc(2027, 1, 11, 16, 0))
    asyncio_run(runner.drain(60))
    sent = {r.form["To"]: r.form["Body"] for r in twilio_api.creates()}
    phones = {
        name: coach_api.get(f"/api/v1/patients/{pid}").json()["phone"]
        for name, pid in patients.items()
    }
    assert set(sent) == {phones["madrid"], phones["la"]}
    assert sent[phones["madrid"]].endswith("your exercise class is tomorrow at 3:00 PM.")
    assert sent[phones["la"]].endswith("your exercise class is tomorrow at 6:00 AM.")
    # Checked again when claimed: quiet in Tokyo now, so it waits for 08:00 there (23:00 UTC),
    # and waiting is not an attempt.
    tokyo = _planned(db, patients["ny"])["reminder.1440"]
    assert (tokyo.status, tokyo.due_at, tokyo.attempts) == (PENDING, utc(2027, 1, 11, 23, 0), 0)
    clock.at(utc(2027, 1, 11, 23, 0))
    asyncio_run(runner.drain(60))
    assert _planned(db, patients["ny"])["reminder.1440"].status == SENT
    later = {r.form["To"]: r.form["Body"] for r in twilio_api.creates()[2:]}
    # 08:00 on the class's day in Tokyo: "starts at" with a join link, in Tokyo time.
    assert later[phones["ny"]].startswith(
        "Telecoach: your exercise class starts at 11:00 PM. Join here: http://testserver/join/"
    )
    # Auckland's went at 08:00 there (19:00 UTC) too: the class is at 03:00 the next morning.
    assert later[phones["auckland"]].endswith("your exercise class is tomorrow at 3:00 AM.")
    assert len(twilio_api.creates()) == 4

"""Sessions at home count in the disengagement check (issue 21): stopping them is sessions missed,
their minutes are exercise minutes, and a class skipped for a session at home that day is not a
session missed. The demo clinic; the clock is set to each past day a session is run on, then back
to TEST_NOW, when the patient's band sends six weeks of daily steps with the last two weeks 30%
down: one reason on its own, never a flag, so the flag turns on what the sessions at home say.
Days are counted back from Ada's own today (New York), never from the calendar."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from coach import adherence
from coach.database import Database
from tests.clocks import ManualClock
from tests.conftest import TEST_NOW
from tests.daily.helpers import alerts_of, daily_class, today_of
from tests.heart_rate.helpers import bearer, device_token
from tests.reports.conftest import ADA, Demo, sign_in_coach, text_as_patient
from tests.reports.home_session_client import patient_client, run_session

HISTORY_DAYS = 42  # the detector compares the last 14 days with the 28 before them
RECENT_DAYS = 14
USUAL_STEPS, FEWER_STEPS = 6000, 4200  # 30% fewer: one reason on its own, never enough


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TEST_NOW)


def _sessions_at_home(
    client: TestClient,
    db: Database,
    clock: ManualClock,
    patient_id: int,
    days_back: range,
    main_minutes: int = 30,
    then_text: str | None = None,
) -> None:
    """A session at home on each day of `days_back`, each run on its own day; `then_text`, a
    text she sends after each (from the phone page, as the coach's demo lets anyone)."""
    guest = patient_client(client, db, patient_id)
    csrf = sign_in_coach(client) if then_text else ""
    for back in days_back:
        clock.at(TEST_NOW - timedelta(days=back))
        assert run_session(guest, main_minutes)["end"]["session"]["status"] == "done"
        if then_text:
            text_as_patient(client, csrf, patient_id, then_text)
    clock.at(TEST_NOW)


def _steps(today: date) -> dict[str, Any]:
    days = []
    for back in range(HISTORY_DAYS - 1, -1, -1):
        steps = FEWER_STEPS if back < RECENT_DAYS else USUAL_STEPS
        days.append({"date": (today - timedelta(days=back)).isoformat(), "steps": steps})
    return {"days": days}


def _flags(client: TestClient, db: Database, patient_id: int, today: date) -> list[list[str]]:
    token = db.run_sync(device_token, patient_id)
    sent = client.post("/api/v1/daily", json=_steps(today), headers=bearer(token))
    assert sent.status_code == 200, sent.text
    assert sent.json()["accepted"] == HISTORY_DAYS
    return [
        list(flag.evidence["reasons"]) if flag.evidence else []
        for flag in db.run_sync(alerts_of, patient_id, "disengagement")
    ]


def test_a_patient_who_stopped_her_sessions_at_home_is_flagged(
    client: TestClient, db: Database, demo: Demo, clock: ManualClock
) -> None:
    ada = demo.patients[ADA]
    usual = range(HISTORY_DAYS - 2, RECENT_DAYS - 1, -2)  # every other day, then none at all
    _sessions_at_home(client, db, clock, ada, usual)
    today = db.run_sync(today_of, ada, TEST_NOW)
    # Nobody scheduled them, so none was missed: fewer done is the sign, with fewer steps.
    assert _flags(client, db, ada, today) == [["missed_sessions", "steps_down"]]


def test_shorter_sessions_at_home_are_fewer_exercise_minutes(
    client: TestClient, db: Database, demo: Demo, clock: ManualClock
) -> None:
    ada = demo.patients[ADA]
    usual = range(HISTORY_DAYS - 2, RECENT_DAYS - 1, -2)  # every other day, 30 minutes
    _sessions_at_home(client, db, clock, ada, usual)
    _sessions_at_home(client, db, clock, ada, range(RECENT_DAYS - 2, 0, -2), main_minutes=15)
    today = db.run_sync(today_of, ada, TEST_NOW)
    assert _flags(client, db, ada, today) == [["steps_down", "minutes_down"]]


def test_a_done_texted_after_a_session_at_home_is_that_session_not_more_minutes(
    client: TestClient, db: Database, demo: Demo, clock: ManualClock
) -> None:
    """Four weeks of sessions at home each followed by a bare DONE (the prescription's 30
    minutes), then two weeks of the same sessions without the text: the same minutes a day, so
    with fewer steps alone, no flag (added together, her minutes would have halved)."""
    ada = demo.patients[ADA]
    told = range(HISTORY_DAYS - 2, RECENT_DAYS - 1, -2)
    _sessions_at_home(client, db, clock, ada, told, then_text="DONE")
    _sessions_at_home(client, db, clock, ada, range(RECENT_DAYS - 2, 0, -2))
    today = db.run_sync(today_of, ada, TEST_NOW)
    assert _flags(client, db, ada, today) == []


def test_a_class_skipped_for_a_session_at_home_that_day_is_not_missed(
    client: TestClient, db: Database, demo: Demo, clock: ManualClock
) -> None:
    ada = demo.patients[ADA]
    today = db.run_sync(today_of, ada, TEST_NOW)

    def came_to_class_every_day(session: Any) -> None:
        daily_class(session, demo.coach_id, [ada], TEST_NOW, HISTORY_DAYS)
        for back in range(HISTORY_DAYS - 1, RECENT_DAYS - 1, -1):
            adherence.log_session(session, ada, today - timedelta(days=back), "coach", minutes=30)

    db.run_sync(came_to_class_every_day)
    # The last two weeks: no class joined, a session at home every day instead.
    _sessions_at_home(client, db, clock, ada, range(RECENT_DAYS - 1, 0, -1))
    assert _flags(client, db, ada, today) == []  # fewer steps alone: no flag

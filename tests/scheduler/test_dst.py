"""Recurring classes and their reminders across daylight-saving changes (US and EU dates, both
directions): the class keeps its local time; a reminder is its offset in elapsed time before
the class, moved to the end of quiet hours when the change pushes it into them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from scheduler.models import PENDING, ScheduledMessage
from tests.clocks import ManualClock, utc
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import RunnerFor, asyncio_run, enroll, new_class, new_patient, rows

# (zone, the transition day, class start in UTC that day and the day before, and the expected
# due times (UTC) of that day's 24 h and 1 h reminders for a class at 08:30 local)
US, EU = "America/New_York", "Europe/Madrid"
CASES = [
    pytest.param(
        US,
        "2027-03-14",
        utc(2027, 3, 14, 12, 30),
        utc(2027, 3, 13, 13, 30),
        utc(2027, 3, 13, 13, 0),
        utc(2027, 3, 14, 12, 0),
        id="US-spring",
    ),
    pytest.param(
        US,
        "2027-11-07",
        utc(2027, 11, 7, 13, 30),
        utc(2027, 11, 6, 12, 30),
        utc(2027, 11, 6, 13, 30),
        utc(2027, 11, 7, 13, 0),
        id="US-fall",
    ),
    pytest.param(
        EU,
        "2027-03-28",
        utc(2027, 3, 28, 6, 30),
        utc(2027, 3, 27, 7, 30),
        utc(2027, 3, 27, 7, 0),
        utc(2027, 3, 28, 6, 0),
        id="EU-spring",
    ),
    pytest.param(
        EU,
        "2027-10-31",
        utc(2027, 10, 31, 7, 30),
        utc(2027, 10, 30, 6, 30),
        utc(2027, 10, 30, 7, 30),
        utc(2027, 10, 31, 7, 0),
        id="EU-fall",
    ),
]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Time-zone arithmetic does not depend on the engine: SQLite only, for speed."""
    return sqlite_url


@pytest.mark.parametrize(("zone", "day", "start", "start_before", "due_24h", "due_1h"), CASES)
def test_a_daily_class_keeps_its_local_time_and_reminders_follow(
    coach_api: TestClient,
    db: Database,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
    zone: str,
    day: str,
    start: datetime,
    start_before: datetime,
    due_24h: datetime,
    due_1h: datetime,
) -> None:
    first = (datetime.fromisoformat(day) - timedelta(days=3)).replace(hour=8, minute=30)
    created = new_class(coach_api, first, time_zone=zone, rrule="FREQ=DAILY;COUNT=7")
    patient = new_patient(coach_api, time_zone=zone)
    enroll(coach_api, created["id"], patient)
    # Planned a week ahead by a runner, on a clock five days before the change.
    clock = ManualClock(start - timedelta(days=5))
    runner = runner_for(clock)
    asyncio_run(runner.plan())

    detail = coach_api.get(f"/api/v1/classes/{created['id']}").json()
    starts = [datetime.fromisoformat(o["starts_at"]) for o in detail["occurrences"]]
    assert len(starts) == 7
    assert {s.astimezone(ZoneInfo(zone)).strftime("%H:%M") for s in starts} == {"08:30"}
    assert start in starts and start_before in starts
    assert abs((start - start_before) - timedelta(days=1)) == timedelta(hours=1)  # the change

    planned = rows(
        db,
        ScheduledMessage.patient_id == patient,
        ScheduledMessage.status == PENDING,
        ScheduledMessage.kind == "sms",  # not the daily engagement check
    )
    by_start = {(r.purpose, r.deliver_by): r for r in planned}
    assert by_start[("reminder.1440", start)].due_at == due_24h
    assert by_start[("reminder.60", start)].due_at == due_1h
    for row in planned:  # every reminder: 24 h or 1 h before in elapsed time, or moved later
        assert row.deliver_by is not None
        assert row.planned_at == row.deliver_by - timedelta(minutes=int(row.purpose.split(".")[1]))
        assert row.planned_at <= row.due_at < row.deliver_by
        assert row.due_at.astimezone(ZoneInfo(zone)).hour >= 8  # never inside quiet hours

    # On the day, the 1 h reminder goes at 08:00 local and names the class's local time.
    clock.at(due_1h)
    assert asyncio_run(runner.drain(60)) >= 1
    bodies = [r.form["Body"] for r in twilio_api.creates()]
    assert any(
        b.endswith("your exercise class starts at 8:30 AM. Join here: " + b.split()[-1])
        for b in bodies
    ), bodies

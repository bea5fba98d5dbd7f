"""Cancelling and moving one occurrence or the whole series: pending reminders follow, in the same
transaction, and a refused change leaves everything as it was. (The notices the change sends are
tested in test_class_notices.py.)"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col
from starlette.testclient import TestClient

from coach.database import Database
from scheduler.models import CANCELLED, ScheduledMessage
from scheduler.reminders import PREFIX
from tests.clocks import ManualClock
from tests.conftest import TEST_NOW
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import NY, RunnerFor, asyncio_run, new_patient, rows
from tests.scheduler.conftest import pending as pending_rows
from tests.web.rows import table_counts


def pending(db: Database, **where: object) -> list[ScheduledMessage]:
    """Pending reminders (not the change notices)."""
    return [r for r in pending_rows(db, **where) if r.purpose.startswith(PREFIX)]


def reminders(db: Database, *where: object) -> list[ScheduledMessage]:
    return rows(db, col(ScheduledMessage.purpose).startswith(PREFIX), *where)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The engine-specific parts (upserts, claims) are tested on both in test_outbox.py."""
    return sqlite_url


def test_moving_one_occurrence_moves_its_reminders(
    coach_api: TestClient, db: Database, planned: dict
) -> None:
    second = planned["occurrences"][1]
    new_local = planned["first"] + timedelta(days=1, hours=4)  # 14:00 the same day
    response = coach_api.patch(
        f"/api/v1/occurrences/{second}", json={"starts_local": new_local.isoformat()}
    )
    assert response.status_code == 200, response.text
    new_start = new_local.replace(tzinfo=NY).astimezone(ZoneInfo("UTC"))
    assert datetime.fromisoformat(response.json()["starts_at"]) == new_start
    old = reminders(
        db, ScheduledMessage.occurrence_id == second, ScheduledMessage.status == CANCELLED
    )
    assert {r.reason for r in old} == {"class_moved"} and len(old) == 2
    moved = pending(db, occurrence_id=second)
    assert {(r.purpose, r.due_at) for r in moved} == {
        ("reminder.1440", new_start - timedelta(hours=24)),
        ("reminder.60", new_start - timedelta(hours=1)),
    }
    assert len(pending(db, patient_id=planned["patient"])) == 10  # the others are untouched


def test_cancelling_and_restoring_one_occurrence(
    coach_api: TestClient, db: Database, planned: dict
) -> None:
    third = planned["occurrences"][2]
    assert coach_api.delete(f"/api/v1/occurrences/{third}").status_code == 204
    assert coach_api.delete(f"/api/v1/occurrences/{third}").status_code == 204  # idempotent
    assert pending(db, occurrence_id=third) == []
    assert {r.reason for r in reminders(db, ScheduledMessage.occurrence_id == third)} == {
        "class_cancelled"
    }
    statuses = {
        o["id"]: o["status"]
        for o in coach_api.get(f"/api/v1/classes/{planned['class_id']}").json()["occurrences"]
    }
    assert statuses[third] == "cancelled"
    # Moving a cancelled occurrence brings it back, at the new time, with reminders.
    new_local = planned["first"] + timedelta(days=2, hours=1)
    response = coach_api.patch(
        f"/api/v1/occurrences/{third}", json={"starts_local": new_local.isoformat()}
    )
    assert response.json()["status"] == "scheduled"
    assert len(pending(db, occurrence_id=third)) == 2


def test_moving_the_series_replans_every_upcoming_occurrence(
    coach_api: TestClient, db: Database, planned: dict
) -> None:
    later = (planned["first"] + timedelta(hours=1)).isoformat()
    response = coach_api.patch(
        f"/api/v1/classes/{planned['class_id']}", json={"first_start_local": later}
    )
    assert response.status_code == 200, response.text
    starts = [datetime.fromisoformat(o["starts_at"]) for o in response.json()["occurrences"]]
    assert len(starts) == 5
    assert {s.astimezone(NY).strftime("%H:%M") for s in starts} == {"11:00"}
    assert not set(planned["occurrences"]) & {o["id"] for o in response.json()["occurrences"]}
    replanned = pending(db, patient_id=planned["patient"])
    assert len(replanned) == 10
    assert all(r.deliver_by in starts for r in replanned)
    replaced = reminders(db, ScheduledMessage.status == CANCELLED)
    assert len(replaced) == 10 and {r.reason for r in replaced} == {"class_moved"}


def test_cancelling_the_series_sends_only_its_notice(
    coach_api: TestClient,
    db: Database,
    planned: dict,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    assert coach_api.delete(f"/api/v1/classes/{planned['class_id']}").status_code == 204
    detail = coach_api.get(f"/api/v1/classes/{planned['class_id']}").json()
    assert detail["cancelled"] is True
    assert {o["status"] for o in detail["occurrences"]} == {"cancelled"}
    assert pending(db) == []
    (notice,) = pending_rows(db)
    assert notice.purpose == "class_cancelled"
    # A runner a week later (at noon for the patient) sends that notice only, and plans nothing
    # new for the class.
    week_later = (TEST_NOW.astimezone(NY) + timedelta(days=7)).date()
    clock = ManualClock(datetime.combine(week_later, time(12), tzinfo=NY))
    runner = runner_for(clock)
    asyncio_run(runner.plan())
    asyncio_run(runner.drain(60))
    assert [r.form["Body"] for r in twilio_api.creates()] == [notice.body]
    assert pending_rows(db) == []
    other = new_patient(coach_api)
    refused = coach_api.post(
        f"/api/v1/classes/{planned['class_id']}/enrollments", json={"patient_id": other}
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "class"


def test_a_refused_change_changes_nothing(
    coach_api: TestClient, db: Database, planned: dict
) -> None:
    before = table_counts(db), [(r.id, r.status, r.due_at) for r in rows(db)]
    first = planned["occurrences"][0]
    past = (TEST_NOW.astimezone(NY) - timedelta(hours=1)).replace(tzinfo=None, microsecond=0)
    bad_moves = [
        {"starts_local": past.isoformat()},
        {"starts_local": "tomorrow"},
        {"starts_local": "2030-01-01T10:00+02:00"},
        {},
        {"starts_local": 5},
        {"starts_local": "2030-01-01T10:00", "extra": 1},
    ]
    for body in bad_moves:
        response = coach_api.patch(f"/api/v1/occurrences/{first}", json=body)
        assert response.status_code == 422, (body, response.text)
    bad_changes = [
        {"rrule": "FREQ=SOMETIMES"},
        {"time_zone": "Mars/Olympus_Mons"},
        {"capacity": 0},
        {"duration_minutes": "long"},
        {},
        {"coach_id": 2},
    ]
    for body in bad_changes:
        response = coach_api.patch(f"/api/v1/classes/{planned['class_id']}", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (table_counts(db), [(r.id, r.status, r.due_at) for r in rows(db)]) == before

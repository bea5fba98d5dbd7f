"""Bad input to the scheduling API: a clear 422 naming the field (or 401/404/413/415), and nothing
stored or half-written."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from tests.conftest import World
from tests.scheduler.conftest import new_class, new_patient
from tests.web.rows import table_counts

GOOD_CLASS = {
    "title": "Chair yoga",
    "time_zone": "America/New_York",
    "first_start_local": "2030-03-04T10:00",
    "rrule": "FREQ=WEEKLY",
}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD_CLASS, "rrule": "FREQ=WEEKLY;BYDAY=FUNDAY"}, "rrule"),
        ({**GOOD_CLASS, "rrule": "FREQ=MINUTELY"}, "rrule"),
        ({**GOOD_CLASS, "rrule": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"}, "rrule"),  # never matches
        (
            {**GOOD_CLASS, "rrule": "FREQ=DAILY;INTERVAL=7;BYDAY=TU"},
            "rrule",
        ),  # never matches either
        ({**GOOD_CLASS, "rrule": "FREQ=MONTHLY;BYMONTHDAY=31"}, "rrule"),
        (
            {**GOOD_CLASS, "rrule": "FREQ=WEEKLY;UNTIL=20300101T000000"},
            "rrule",
        ),  # ends before start
        ({**GOOD_CLASS, "rrule": "FREQ=WEEKLY;UNTIL=20310101T000000Z"}, "rrule"),
        ({**GOOD_CLASS, "rrule": "DTSTART:20300101T000000\nRRULE:FREQ=DAILY"}, "rrule"),
        ({**GOOD_CLASS, "time_zone": "Europe/Atlantis"}, "time_zone"),
        ({**GOOD_CLASS, "time_zone": "EST5EDT "}, "time_zone"),
    ],
)
def test_a_bad_class_is_refused_and_nothing_stored(
    coach_api: TestClient, db: Database, body: dict[str, Any], field: str
) -> None:
    before = table_counts(db)
    response = coach_api.post("/api/v1/classes", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert table_counts(db) == before


BAD_OFFSETS = [
    ({"offsets": ["-5m"]}, "before the class"),
    ({"offsets": [-5]}, "before the class"),
    ({"offsets": ["0m"]}, "before the class"),
    ({"offsets": ["15d"]}, "14 days"),
    ({"offsets": ["soon"]}, "not an offset"),
    ({"offsets": [True]}, "not an offset"),
    ({"offsets": "24h"}, "list"),
    ({"offsets": ["1h"] * 6}, "at most"),
    ({"offsets": [{"h": 1}]}, "not an offset"),
    ({}, "required"),
    ({"offsets": ["1h"], "quiet": "no"}, "unknown field"),
]


@pytest.mark.parametrize(("body", "says"), BAD_OFFSETS)
def test_bad_reminder_settings_are_refused_and_nothing_changes(
    coach_api: TestClient, db: Database, world: World, body: dict[str, Any], says: str
) -> None:
    patient = new_patient(coach_api)
    before = table_counts(db)
    for url in (
        f"/api/v1/classes/{world.class_a}/reminders",
        f"/api/v1/patients/{patient}/reminders",
    ):
        response = coach_api.put(url, json=body)
        assert response.status_code == 422, (url, response.text)
        assert says in response.json()["error"]["message"], response.json()
    assert table_counts(db) == {**before, "audit_event": table_counts(db)["audit_event"]}
    assert coach_api.get(f"/api/v1/classes/{world.class_a}/reminders").json() == {
        "offsets": ["1d", "1h"],
        "own_setting": False,
    }


def test_good_reminder_settings_are_stored_and_can_be_reset(
    coach_api: TestClient, world: World
) -> None:
    url = f"/api/v1/classes/{world.class_a}/reminders"
    assert coach_api.put(url, json={"offsets": ["90m", "2d", "90m"]}).json() == {
        "offsets": ["2d", "90m"],
        "own_setting": True,
    }
    assert coach_api.put(url, json={"offsets": []}).json()["offsets"] == []  # no reminders
    assert coach_api.put(url, json={"offsets": None}).json() == {
        "offsets": ["1d", "1h"],
        "own_setting": False,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"days": ["MO", "XX"]}, "days"),
        ({"days": "MO"}, "days"),
        ({"days": [1]}, "days"),
        ({"coaching_time": "25:00"}, "coaching_time"),
        ({"coaching_time": None}, "coaching_time"),
        ({"fatigue_time": "22:30"}, "fatigue_time"),  # inside quiet hours
        ({"effort_time": "7pm"}, "effort_time"),
        ({"coaching_time": "09:00\n"}, "coaching_time"),  # was stored with its newline
        ({"active": "yes"}, "active"),
        ({"days": ["MO"], "extra": 1}, "extra"),
    ],
)
def test_a_bad_coaching_plan_is_refused(
    coach_api: TestClient, db: Database, body: dict[str, Any], field: str
) -> None:
    patient = new_patient(coach_api, sms_only=True)
    before = table_counts(db)
    response = coach_api.put(f"/api/v1/patients/{patient}/coaching-plan", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert table_counts(db) == before


def test_a_coaching_plan_needs_an_sms_only_patient_with_an_approved_prescription(
    coach_api: TestClient, db: Database
) -> None:
    browser, without = new_patient(coach_api), new_patient(coach_api, sms_only=True)
    before = table_counts(db)
    for patient in (browser, without):
        response = coach_api.put(f"/api/v1/patients/{patient}/coaching-plan", json={})
        assert response.status_code == 422 and response.json()["error"]["field"] == "patient_id"
    assert table_counts(db) == before


def test_wrong_credentials_types_and_sizes(
    app: TestClient, coach_api: TestClient, db: Database, world: World
) -> None:
    created = new_class(coach_api, "2030-03-04T10:00")
    url = f"/api/v1/classes/{created['id']}"
    before = table_counts(db)
    assert (
        coach_api.patch(url, content=b"{", headers={"content-type": "application/json"}).status_code
        == 422
    )
    assert (
        coach_api.patch(
            url, content=b"[]", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert coach_api.patch(url, content=b"title=x").status_code == 415
    huge = {"title": "x" * 2_000_000}
    assert coach_api.patch(url, json=huge).status_code == 413
    assert coach_api.put(f"{url}/reminders", json={"offsets": ["1h"] * 100_000}).status_code in (
        413,
        422,
    )
    without_csrf = coach_api.headers.pop("x-csrf-token")
    assert coach_api.delete(url).status_code == 403
    coach_api.headers["x-csrf-token"] = without_csrf
    coach_api.headers["Authorization"] = "Bearer tc_not-a-token"
    assert coach_api.delete(url).status_code == 401
    del coach_api.headers["Authorization"]
    assert coach_api.get(f"/api/v1/classes/{world.class_b}/reminders").status_code == 404
    move = {"starts_local": "2030-01-01T10:00"}
    assert (
        coach_api.patch(f"/api/v1/occurrences/{world.occurrence_b}", json=move).status_code == 404
    )
    assert (
        coach_api.get(f"/api/v1/patients/{world.patient_b}/scheduled-messages").status_code == 404
    )
    assert table_counts(db) == {**before, "audit_event": table_counts(db)["audit_event"]}

"""The classes API: create with good and bad input, read occurrences, enroll up to capacity."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import ClassOccurrence, ClassSeries, Enrollment
from tests.conftest import TEST_NOW, World
from tests.web.rows import all_rows, audit_actions, table_counts
from tests.web.signin import login

# Three days after the app's TEST_NOW at 09:30 in New York: occurrences are planned for the
# coming weeks only.
_START = (TEST_NOW.astimezone(ZoneInfo("America/New_York")) + timedelta(days=3)).replace(
    hour=9, minute=30, second=0, microsecond=0, tzinfo=None
)
GOOD = {
    "title": "Morning mobility",
    "description": "Seated",
    "time_zone": "America/New_York",
    "first_start_local": _START.isoformat(timespec="minutes"),
    "duration_minutes": 45,
    "rrule": "FREQ=WEEKLY;BYDAY=MO,WE",
    "capacity": 8,
    "auto_admit": True,
}


@pytest.fixture
def api(client: TestClient, world: World) -> Iterator[TestClient]:
    client.headers["x-csrf-token"] = login(client, "coach.a@example.org")
    yield client


def _new_patient(api: TestClient, phone: str) -> int:
    response = api.post(
        "/api/v1/patients", json={"name": f"P {phone}", "phone": phone, "time_zone": "UTC"}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_create_and_read_a_class(api: TestClient, world: World, db: Database) -> None:
    response = api.post("/api/v1/classes", json=GOOD)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["coach_id"] == world.coach_a and body["capacity"] == 8
    assert body["first_start_local"] == _START.isoformat()
    assert ("class.create", None, "ok", f"class {body['id']}") in audit_actions(db)
    detail = api.get(f"/api/v1/classes/{body['id']}").json()
    assert detail["enrolled"] == []
    starts = [datetime.fromisoformat(o["starts_at"]) for o in detail["occurrences"]]
    assert starts == sorted(starts) and len(starts) >= 4
    # 09:30 in New York on Mondays and Wednesdays, stored in UTC.
    local = [s.astimezone(ZoneInfo("America/New_York")) for s in starts]
    assert {(t.hour, t.minute) for t in local} == {(9, 30)}
    assert {t.weekday() for t in local} == {0, 2}
    assert all(s.utcoffset() == timedelta(0) for s in starts)
    listed = [c["title"] for c in api.get("/api/v1/classes").json()["classes"]]
    assert listed == ["Alpha Class", "Morning mobility"]


BAD = [
    ({**GOOD, "rrule": "FREQ=SOMETIMES"}, "rrule"),
    ({**GOOD, "rrule": "not a rule at all"}, "rrule"),
    ({**GOOD, "rrule": "FREQ=WEEKLY;COUNT=many"}, "rrule"),
    ({**GOOD, "rrule": 7}, "rrule"),
    ({**GOOD, "rrule": "FREQ=WEEKLY;" + "BYDAY=MO;" * 100}, "rrule"),
    ({**GOOD, "time_zone": "America/Gotham"}, "time_zone"),
    ({**GOOD, "time_zone": None}, "time_zone"),
    ({**GOOD, "duration_minutes": 4}, "duration_minutes"),
    ({**GOOD, "duration_minutes": 481}, "duration_minutes"),
    ({**GOOD, "duration_minutes": "45"}, "duration_minutes"),
    ({**GOOD, "duration_minutes": 45.5}, "duration_minutes"),
    ({**GOOD, "duration_minutes": True}, "duration_minutes"),
    ({**GOOD, "capacity": 0}, "capacity"),
    ({**GOOD, "capacity": 101}, "capacity"),
    ({**GOOD, "first_start_local": "next tuesday"}, "first_start_local"),
    ({**GOOD, "first_start_local": "2030-03-04T09:30:00+01:00"}, "first_start_local"),
    ({**GOOD, "first_start_local": 1700000000}, "first_start_local"),
    ({k: v for k, v in GOOD.items() if k != "title"}, "title"),
    ({**GOOD, "title": "   "}, "title"),
    ({**GOOD, "title": "t" * 201}, "title"),
    ({**GOOD, "auto_admit": "yes"}, "auto_admit"),
    ({**GOOD, "coach_id": 3}, "coach_id"),
]


def test_bad_class_input_names_the_field_and_writes_nothing(api: TestClient, db: Database) -> None:
    before = table_counts(db)
    for body, field in BAD:
        response = api.post("/api/v1/classes", json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["field"] == field, (body, error)
        assert error["message"].startswith(f"{field}:"), error
    assert table_counts(db) == before


def test_only_coaches_create_classes(client: TestClient, world: World, db: Database) -> None:
    csrf = login(client, "admin@example.org")
    before = table_counts(db)
    response = client.post("/api/v1/classes", json=GOOD, headers={"x-csrf-token": csrf})
    assert response.status_code == 403
    assert table_counts(db) == before


def test_enrollment_respects_capacity(api: TestClient, world: World, db: Database) -> None:
    class_id = api.post("/api/v1/classes", json={**GOOD, "capacity": 2}).json()["id"]
    url = f"/api/v1/classes/{class_id}/enrollments"
    first, second, third = (_new_patient(api, f"+1555555016{i}") for i in range(3))
    assert api.post(url, json={"patient_id": first}).status_code == 201
    assert api.post(url, json={"patient_id": second}).status_code == 201
    # Enrolling the same patient again is not a second seat.
    again = api.post(url, json={"patient_id": second})
    assert again.status_code == 201
    full = api.post(url, json={"patient_id": third})
    assert full.status_code == 422
    assert full.json()["error"]["field"] == "capacity"
    assert "full" in full.json()["error"]["message"]
    enrolled = {e.patient_id for e in all_rows(db, Enrollment, Enrollment.series_id == class_id)}
    assert enrolled == {first, second}
    # A seat freed is a seat to take.
    assert api.delete(f"{url}/{first}").status_code == 204
    assert api.post(url, json={"patient_id": third}).status_code == 201
    names = [p["name"] for p in api.get(f"/api/v1/classes/{class_id}").json()["enrolled"]]
    assert sorted(names) == sorted([f"P +1555555016{i}" for i in (1, 2)])


def test_enrollment_needs_a_patient_id(api: TestClient, world: World, db: Database) -> None:
    before = table_counts(db)
    bodies: list[dict[str, Any]] = [
        {}, {"patient_id": "1"}, {"patient_id": True}, {"patient_id": 1.5}, {"patient_id": None}
    ]  # fmt: skip
    for body in bodies:
        response = api.post(f"/api/v1/classes/{world.class_a}/enrollments", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == "patient_id"
    assert table_counts(db) == before


def test_enrolling_an_unknown_or_foreign_patient_is_404(
    api: TestClient, world: World, db: Database
) -> None:
    url = f"/api/v1/classes/{world.class_a}/enrollments"
    for patient_id in (world.patient_b, 999999, 2**40, -1):
        response = api.post(url, json={"patient_id": patient_id})
        assert response.status_code == 404, (patient_id, response.text)
    foreign_class = api.post(
        f"/api/v1/classes/{world.class_b}/enrollments", json={"patient_id": world.patient_a}
    )
    assert foreign_class.status_code == 404
    assert {(e.series_id, e.patient_id) for e in all_rows(db, Enrollment)} == {
        (world.class_a, world.patient_a),
        (world.class_b, world.patient_b),
    }


def test_unenrolling_someone_not_enrolled_is_404(api: TestClient, world: World) -> None:
    other = _new_patient(api, "+15555550170")
    response = api.delete(f"/api/v1/classes/{world.class_a}/enrollments/{other}")
    assert response.status_code == 404


def test_another_coachs_class_is_invisible(api: TestClient, world: World, db: Database) -> None:
    response = api.get(f"/api/v1/classes/{world.class_b}")
    assert response.status_code == 404
    assert "Beta" not in response.text
    titles = [c["title"] for c in api.get("/api/v1/classes").json()["classes"]]
    assert titles == ["Alpha Class"]
    assert len(all_rows(db, ClassSeries)) == 2
    assert all_rows(db, ClassOccurrence, ClassOccurrence.series_id == world.class_b)


def test_concurrent_enrollments_never_overfill_a_class(
    api: TestClient, world: World, db: Database
) -> None:
    """Eight coaches' clicks at once for three seats: exactly three get in, on either database."""
    class_id = api.post("/api/v1/classes", json={**GOOD, "capacity": 3}).json()["id"]
    url = f"/api/v1/classes/{class_id}/enrollments"
    patients = [_new_patient(api, f"+1555555017{i}") for i in range(8)]
    barrier = threading.Barrier(len(patients))

    def enroll(patient_id: int) -> int:
        barrier.wait()
        return api.post(url, json={"patient_id": patient_id}).status_code

    with ThreadPoolExecutor(len(patients)) as pool:
        codes = list(pool.map(enroll, patients))
    assert sorted(codes) == [201] * 3 + [422] * 5
    enrolled = all_rows(db, Enrollment, Enrollment.series_id == class_id)
    assert len(enrolled) == 3

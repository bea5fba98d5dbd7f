"""`.ics` downloads for a class series and one occurrence, with the time zone, for the coach and
the enrolled patient; nobody else gets them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from starlette.testclient import TestClient

from coach.database import Database
from tests.conftest import TEST_NOW, World
from tests.factories import join_token
from tests.scheduler.conftest import NY, enroll, new_class, new_patient
from tests.web.rows import audit_actions
from tests.web.signin import join, login


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def series(coach_api: TestClient) -> dict[str, object]:
    first = (TEST_NOW.astimezone(NY) + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0, tzinfo=None
    )
    created = new_class(
        coach_api,
        first,
        rrule="FREQ=WEEKLY;COUNT=6",
        duration_minutes=50,
        description="Bring water",
    )
    patient = new_patient(coach_api, time_zone="Europe/Madrid")
    enroll(coach_api, created["id"], patient)
    occurrences = coach_api.get(f"/api/v1/classes/{created['id']}").json()["occurrences"]
    second, third = occurrences[1]["id"], occurrences[2]["id"]
    assert coach_api.delete(f"/api/v1/occurrences/{second}").status_code == 204
    moved = (first + timedelta(days=14, hours=2)).isoformat()
    assert coach_api.patch(f"/api/v1/occurrences/{third}", json={"starts_local": moved}).is_success
    return {
        "id": created["id"],
        "first": first,
        "patient": patient,
        "occurrences": [o["id"] for o in occurrences],
    }


def _parse(response: object) -> Calendar:
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/calendar")  # type: ignore[attr-defined]
    return Calendar.from_ical(response.content)  # type: ignore[attr-defined]


def test_the_series_file_has_the_rule_the_zone_and_the_exceptions(
    coach_api: TestClient, series: dict
) -> None:
    response = coach_api.get(f"/api/v1/classes/{series['id']}/calendar.ics")
    assert 'filename="class-' in response.headers["content-disposition"]
    calendar = _parse(response)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/New_York"
    assert {c.name for c in zone.subcomponents} >= {"STANDARD", "DAYLIGHT"}
    main, moved = calendar.walk("VEVENT")
    start = main.decoded("DTSTART")
    assert start.replace(tzinfo=None) == series["first"] and str(start.tzinfo) == "America/New_York"
    assert main["DTSTART"].params["TZID"] == "America/New_York"
    assert main.decoded("DTEND") - start == timedelta(minutes=50)
    assert main["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=6"
    assert str(main["SUMMARY"]) == "Gentle cycling" and str(main["DESCRIPTION"]) == "Bring water"
    exdates = [d.dt.replace(tzinfo=None) for d in main["EXDATE"].dts]
    assert exdates == [series["first"] + timedelta(days=7)]  # the cancelled one
    assert moved.decoded("RECURRENCE-ID").replace(tzinfo=None) == series["first"] + timedelta(
        days=14
    )
    assert moved.decoded("DTSTART").replace(tzinfo=None) == series["first"] + timedelta(
        days=14, hours=2
    )
    assert moved["UID"] == main["UID"]


def test_the_enrolled_patient_downloads_both_files_and_others_get_404(
    app: TestClient, db: Database, world: World, series: dict
) -> None:
    occurrence = series["occurrences"][0]
    app.cookies.clear()
    app.headers.pop("x-csrf-token", None)
    join(app, db.run_sync(join_token, series["patient"]))
    one = _parse(app.get(f"/api/v1/occurrences/{occurrence}/calendar.ics"))
    (event,) = one.walk("VEVENT")
    assert event.decoded("DTSTART").replace(tzinfo=None) == series["first"]
    assert str(event["STATUS"]) == "CONFIRMED"
    _parse(app.get(f"/api/v1/classes/{series['id']}/calendar.ics"))
    assert ("calendar.read", series["patient"], "ok", f"class {series['id']}") in audit_actions(db)
    # Bruno is not enrolled; coach B does not run the class; nobody signed in gets 401.
    app.cookies.clear()
    join(app, db.run_sync(join_token, world.patient_b))
    for url in (
        f"/api/v1/occurrences/{occurrence}/calendar.ics",
        f"/api/v1/classes/{series['id']}/calendar.ics",
    ):
        assert app.get(url).status_code == 404
    app.cookies.clear()
    login(app, "coach.b@example.org")
    assert app.get(f"/api/v1/classes/{series['id']}/calendar.ics").status_code == 404
    app.cookies.clear()
    assert app.get(f"/api/v1/classes/{series['id']}/calendar.ics").status_code == 401


def test_a_cancelled_occurrence_file_says_so(coach_api: TestClient, series: dict) -> None:
    cancelled = series["occurrences"][1]
    (event,) = _parse(coach_api.get(f"/api/v1/occurrences/{cancelled}/calendar.ics")).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"

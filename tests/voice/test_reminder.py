"""A patient without a browser, or who chose phone (`join_by`), learns how to call in: the
reminders the day before and on the day give the dial-in number and the class PIN (in their
language), which the voice webhook then accepts. `join_by` is set on the form and the API."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from coach import dial_in
from coach.database import Database
from coach.models import ClassOccurrence
from messaging.segments import count_segments
from tests.clocks import ManualClock, utc
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import RunnerFor, asyncio_run, enroll, new_class, new_patient
from tests.voice.conftest import VOICE_NUMBER


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _class_for_three(coach_api: TestClient, **how: bool | str) -> tuple[dict[str, Any], list[int]]:
    """A class at 5 PM New York on 6 January 2027, with an English and a Spanish patient who
    join `how` (sms_only=True or join_by="phone") and one who joins in a browser."""
    created = new_class(coach_api, "2027-01-06T17:00", rrule=None)
    ny = "America/New_York"
    patients = [
        new_patient(coach_api, time_zone=ny, **how),
        new_patient(coach_api, time_zone=ny, language="es", **how),
        new_patient(coach_api, time_zone=ny, join_by="browser"),
    ]
    for patient in patients:
        enroll(coach_api, created["id"], patient)
    return created, patients


def _pin(db: Database, series_id: int) -> str:
    def find(session: Session) -> str:
        query = select(ClassOccurrence.id).where(ClassOccurrence.series_id == series_id)
        return dial_in.pin_for(session, session.exec(query).one())

    return db.run_sync(find)


def test_the_reminder_of_a_patient_without_a_browser_gives_the_number_and_the_pin(
    coach_api: TestClient,
    db: Database,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    created, _ = _class_for_three(coach_api, sms_only=True)
    clock = ManualClock(utc(2027, 1, 6, 12, 0))
    runner = runner_for(clock, voice_number=VOICE_NUMBER)
    asyncio_run(runner.plan())
    clock.at(utc(2027, 1, 6, 21, 0))  # the 1 h reminder
    asyncio_run(runner.drain(60))
    bodies = {r.form["To"]: r.form["Body"] for r in twilio_api.creates()}
    assert len(bodies) == 3
    pin = _pin(db, created["id"])
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


def test_a_patient_who_chose_phone_gets_the_number_and_pin_the_day_before_and_on_the_day(
    coach_api: TestClient,
    db: Database,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    created, _ = _class_for_three(coach_api, join_by="phone")
    clock = ManualClock(utc(2027, 1, 5, 12, 0))
    runner = runner_for(clock, voice_number=VOICE_NUMBER)
    asyncio_run(runner.plan())
    clock.at(utc(2027, 1, 5, 22, 0))  # the day-before reminder
    asyncio_run(runner.drain(60))
    pin = _pin(db, created["id"])
    day_before = sorted(r.form["Body"] for r in twilio_api.creates())
    assert len(day_before) == 3
    assert (
        "Telecoach: reminder, your exercise class is tomorrow at 5:00 PM. To join by phone, "
        f"call {VOICE_NUMBER} and enter PIN {pin}, then #."
    ) in day_before
    assert any("mañana" in t and f"marque el PIN {pin}" in t for t in day_before)
    assert "Telecoach: reminder, your exercise class is tomorrow at 5:00 PM." in day_before
    for body in day_before:
        assert count_segments(body).segments <= 3
    clock.at(utc(2027, 1, 6, 21, 0))  # the 1 h reminder
    asyncio_run(runner.drain(60))
    on_the_day = [r.form["Body"] for r in twilio_api.creates()][3:]
    assert len(on_the_day) == 3
    with_pin = [t for t in on_the_day if f"PIN {pin}" in t]
    assert len(with_pin) == 2 and all("Join here" not in t for t in with_pin)
    assert sum("Join here" in t for t in on_the_day) == 1  # the browser patient keeps the link


def test_the_way_a_patient_joins_is_set_and_checked_through_the_api(
    coach_api: TestClient,
) -> None:
    patient = new_patient(coach_api)
    url = f"/api/v1/patients/{patient}"
    assert coach_api.get(url).json()["join_by"] == "browser"  # the default
    changed = coach_api.patch(url, json={"join_by": "phone"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["join_by"] == "phone"
    assert coach_api.get(url).json()["join_by"] == "phone"
    for bad in ("landline", 1, True, ["phone"], "p" * 5000):
        refused = coach_api.patch(url, json={"join_by": bad})
        assert refused.status_code in (400, 422), (bad, refused.text)
    assert coach_api.get(url).json()["join_by"] == "phone"  # nothing stored
    assert coach_api.patch(url, json={"join_by": None}).json()["join_by"] == "browser"


def test_the_coach_chooses_phone_on_the_patients_form(coach_api: TestClient) -> None:
    patient = new_patient(coach_api, name="Rosa Morales", phone="+15555550150")
    form = coach_api.get(f"/patients/{patient}/edit")
    assert form.status_code == 200
    assert '<select id="f-join_by" name="join_by">' in form.text
    fields = {
        "name": "Rosa Morales",
        "phone": "+15555550150",
        "email": "",
        "time_zone": "UTC",
        "language": "en",
        "sms_consent": "true",
        "csrf_token": coach_api.headers["x-csrf-token"],
    }
    saved = coach_api.post(
        f"/patients/{patient}/edit", data={**fields, "join_by": "phone"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert coach_api.get(f"/api/v1/patients/{patient}").json()["join_by"] == "phone"
    refused = coach_api.post(f"/patients/{patient}/edit", data={**fields, "join_by": "fax"})
    assert refused.status_code == 422
    assert "Choose browser or phone call." in refused.text
    assert coach_api.get(f"/api/v1/patients/{patient}").json()["join_by"] == "phone"

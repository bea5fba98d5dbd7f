"""The demo clinic, plus what a class leaves behind, made through the public paths wherever one
exists: a prescription approved and assessments recorded on the coach's pages, heart-rate readings
posted with a device token, a room join over the class websocket, texts sent from the dev phone.
The one factory: a heart-rate alert row (the live monitor raises those asynchronously)."""

from __future__ import annotations

import copy
import shutil
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from coach.alerts import raise_episode
from coach.audit import events_for_patient
from coach.database import Database
from coach.models import ClassOccurrence, Patient, Prescription, StaffUser
from telecoach.demo import ADMIN_EMAIL, COACH_EMAIL, DEMO_PASSWORD, seed
from tests.conftest import FAST_HASHER, TEST_NOW, fresh_database_url
from tests.factories import enroll as enroll_factory
from tests.factories import join_token, patient, staff, weekly_class
from tests.postgres_rows import Rows, empty_postgres, put_rows, take_rows
from tests.web.signin import login
from web.auth.passwords import Passwords
from web.auth.sessions import COOKIE_NAME

ADA, ROSA = "Ada Whitfield", "Rosa Delgado"
OTHER_COACH = "coach.b@example.org"


@dataclass
class Demo:
    coach_id: int
    occurrence_id: int
    series_id: int
    patients: dict[str, int]  # name -> id
    other_coach_patient: int
    other_coach_occurrence: int
    today: date  # the coach's local day the data was made on


def seed_demo(db: Database) -> Demo:
    def work(session: Session) -> Demo:
        seed(session, Passwords(FAST_HASHER), "unused-in-tests", "http://testserver", TEST_NOW)
        coach = session.exec(select(StaffUser).where(StaffUser.email == COACH_EMAIL)).one()
        occurrence = session.exec(
            select(ClassOccurrence).order_by(col(ClassOccurrence.starts_at))
        ).first()
        assert occurrence is not None and occurrence.id is not None and coach.id is not None
        other = staff(session, OTHER_COACH, "coach", "Coach Beta")
        assert other.id is not None
        bruno = patient(session, other.id, "Bruno Hiddenname", "+15555550999", TEST_NOW)
        series_b, occurrence_b = weekly_class(session, other.id, "Beta Class", now=TEST_NOW)
        enroll_factory(session, series_b, bruno, TEST_NOW)
        return Demo(
            coach_id=coach.id,
            occurrence_id=occurrence.id,
            series_id=occurrence.series_id,
            patients={p.name: p.id for p in session.exec(select(Patient)) if p.id},
            other_coach_patient=bruno,
            other_coach_occurrence=occurrence_b,
            today=TEST_NOW.date(),
        )

    return db.run_sync(work)


@pytest.fixture(scope="session")
def seeded_demo_template(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Demo]:
    """The demo clinic seeded once into an SQLite file that each SQLite test asking for it
    copies: seeding takes a quarter of a second, and about ninety tests a run start from it (the
    seed is made at TEST_NOW, not at the hour the suite runs, so one copy serves them all)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    try:
        demo = seed_demo(database)
        # Everything into the file itself: a copy never sees the write-ahead log beside it.
        database.run_sync(
            lambda session: session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        )
    finally:
        database.dispose()
    return path, demo


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """As the suite's, but on SQLite a test that asks for `demo` starts from the seeded copy."""
    if request.param == "sqlite" and "demo" in request.fixturenames:
        template, _ = request.getfixturevalue("seeded_demo_template")
        return fresh_database_url(request, "sqlite", tmp_path, template)
    return fresh_database_url(request, request.param, tmp_path)


@pytest.fixture(scope="session")
def seeded_demo_rows(postgres_url: str) -> tuple[Rows, Demo]:
    """The demo clinic's rows on PostgreSQL, seeded once and put back for each test that asks
    (as `seeded_demo_template` on SQLite)."""
    empty_postgres(postgres_url)
    database = Database(postgres_url)
    try:
        demo = seed_demo(database)
    finally:
        database.dispose()
    return take_rows(postgres_url), demo


@pytest.fixture
def demo(request: pytest.FixtureRequest, db: Database) -> Demo:
    if db.url.startswith("sqlite"):
        return copy.deepcopy(request.getfixturevalue("seeded_demo_template")[1])
    rows, demo = request.getfixturevalue("seeded_demo_rows")
    put_rows(request.getfixturevalue("postgres_url"), rows)
    return copy.deepcopy(demo)


def sign_in_coach(client: TestClient) -> str:
    return login(client, COACH_EMAIL, DEMO_PASSWORD)


def sign_in_admin(client: TestClient) -> str:
    return login(client, ADMIN_EMAIL, DEMO_PASSWORD)


# Ada's readings: a minute and a half below her zone, then a minute and a half inside it.
READINGS_BELOW, READINGS_IN = 90, 90


def post_readings(client: TestClient, csrf: str, demo: Demo, patient_id: int) -> list[int]:
    """Issue a device token on the staff API and post readings for the demo class with it."""
    made = client.post(
        f"/api/v1/patients/{patient_id}/device-tokens",
        json={"name": "chest strap"},
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    start = int(TEST_NOW.timestamp() * 1000) - (READINGS_BELOW + READINGS_IN) * 1000
    bpms = [80] * READINGS_BELOW + [115] * READINGS_IN
    body = {
        "occurrence_id": demo.occurrence_id,
        "readings": [{"t": start + i * 1000, "bpm": bpm} for i, bpm in enumerate(bpms)],
    }
    answer = client.post("/api/v1/hr", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == len(bpms)
    return bpms


def approve_prescription(client: TestClient, csrf: str, db: Database, patient_id: int) -> dict:
    assert (
        client.post(
            f"/patients/{patient_id}/prescriptions/draft", data={"csrf_token": csrf}
        ).status_code
        == 303
    )

    def draft(session: Session) -> Prescription:
        return session.exec(
            select(Prescription)
            .where(Prescription.patient_id == patient_id)
            .order_by(col(Prescription.version).desc())
        ).first()

    rx = db.run_sync(draft)
    answer = client.post(
        f"/patients/{patient_id}/prescriptions/{rx.id}/approve",
        data={"csrf_token": csrf, "revision": str(len(rx.data["overrides"]))},
    )
    assert answer.status_code == 303, answer.text
    return dict(db.run_sync(draft).data)


def record_assessment(
    client: TestClient, csrf: str, patient_id: int, kind: str, value: str, on: date
) -> None:
    answer = client.post(
        f"/patients/{patient_id}/assessments",
        data={"csrf_token": csrf, "kind": kind, "value": value, "measured_on": on.isoformat()},
    )
    assert answer.status_code == 303, answer.text


def text_as_patient(client: TestClient, csrf: str, patient_id: int, body: str) -> None:
    answer = client.post(f"/dev/phone/{patient_id}", data={"csrf_token": csrf, "body": body})
    assert answer.status_code == 303, answer.text


def join_room(client: TestClient, db: Database, demo: Demo, patient_id: int) -> None:
    """The patient opens a join link and enters the class room (the lobby, until admitted).

    The socket goes through `client` (the app's running event loop, where the room lives) with
    the patient's session cookie in place of the coach's for the while."""
    guest = TestClient(client.app, follow_redirects=False)
    assert guest.get(f"/join/{db.run_sync(join_token, patient_id)}").status_code == 303
    staff_cookies = dict(client.cookies)
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, guest.cookies[COOKIE_NAME])
    try:
        with client.websocket_connect(f"/ws/rooms/{demo.occurrence_id}") as socket:
            assert socket.receive_json()["type"] == "welcome"
            socket.send_json({"type": "join"})
            assert socket.receive_json()["type"] in ("lobby", "state")
    finally:
        client.cookies.clear()
        for name, value in staff_cookies.items():
            client.cookies.set(name, value)
    # The room's audit writer stores the join in the background: wait for it, boundedly.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        actions = {e.action for e in db.run_sync(events_for_patient, patient_id)}
        if "class.join" in actions:
            return
        time.sleep(0.05)
    raise AssertionError("the room join was never written to the audit trail")


def hr_alert(db: Database, demo: Demo, patient_id: int) -> None:
    now = TEST_NOW
    db.run_sync(
        raise_episode,
        patient_id,
        demo.occurrence_id,
        "over_ceiling",
        now - timedelta(seconds=40),
        now - timedelta(seconds=5),
        131,
        "131 bpm for 35 s",
    )

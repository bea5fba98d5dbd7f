"""Adherence from every source: a live class joined, a live class streamed, an SMS DONE, a home
session (more in test_home_sessions.py) and a session the coach logged each count as a session
done, once per patient and local day; and the progress report, the program report and the weekly
review count the same days.

Everything is made through the public paths (the class websocket, the heart-rate API with a
device token, the dev phone's SMS webhook, the patient's home-session API, the coach's form) on
the demo clinic at TEST_NOW, a Tuesday (10:00 in New York, Ada's zone)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from starlette.testclient import TestClient

from coach.clock import Clock
from coach.database import Database
from coach.sessions_done import LIVE_MINUTES_FOR_CREDIT, heart_rate_minutes_needed
from coach.week_review import monday_of
from telecoach.app import create_app
from telecoach.settings import Settings
from tests.clocks import RunningClock
from tests.conftest import TEST_NOW
from tests.messaging.conftest import text_in
from tests.messaging.fake_twilio import AUTH_TOKEN
from tests.prescribing.workflow import text_of
from tests.reports.conftest import (
    ADA,
    Demo,
    approve_prescription,
    join_room,
    sign_in_coach,
    text_as_patient,
)
from tests.reports.home_session_client import patient_client, run_session

ADA_PHONE = "+15555550101"
TODAY = date(2026, 12, 1)  # TEST_NOW in New York
MONDAY = monday_of(TODAY)


def done_in_week(client: TestClient, patient_id: int, week: date = MONDAY) -> int:
    """Sessions done that week, as the patient's progress report (CSV) counts them."""
    answer = client.get(f"/patients/{patient_id}/progress.csv")
    assert answer.status_code == 200, answer.text
    rows = list(csv.reader(io.StringIO(answer.text)))
    (row,) = [r for r in rows if r[0] == "adherence" and r[1] == week.isoformat()]
    return int(row[3])


def stream_heart_rate(
    client: TestClient, csrf: str, demo: Demo, patient_id: int, minutes: int
) -> None:
    """A chest strap's readings for the demo class, one every 5 s for `minutes` minutes, ending
    now, posted with a device token as a vendor bridge would."""
    made = client.post(
        f"/api/v1/patients/{patient_id}/device-tokens",
        json={"name": "chest strap"},
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 201, made.text
    end = int(TEST_NOW.timestamp() * 1000)
    readings = [{"t": end - i * 5000, "bpm": 100 + i % 7} for i in range(minutes * 12)]
    answer = client.post(
        "/api/v1/hr",
        json={"occurrence_id": demo.occurrence_id, "readings": readings},
        headers={"Authorization": f"Bearer {made.json()['token']}"},
    )
    assert answer.status_code == 200, answer.text


def log_by_coach(
    client: TestClient, csrf: str, patient_id: int, day: date, minutes: str = "30"
) -> None:
    answer = client.post(
        f"/patients/{patient_id}/sessions",
        data={"csrf_token": csrf, "date": day.isoformat(), "minutes": minutes, "rpe": "12"},
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/patients/{patient_id}#session-log"


def test_joining_the_live_class_room_is_a_session_done(
    client: TestClient, db: Database, demo: Demo
) -> None:
    sign_in_coach(client)
    ada = demo.patients[ADA]
    assert done_in_week(client, ada) == 0
    join_room(client, db, demo, ada)
    assert done_in_week(client, ada) == 1


def test_streaming_heart_rate_through_enough_of_the_class_is_a_session_done(
    client: TestClient, demo: Demo
) -> None:
    csrf = sign_in_coach(client)
    ada = demo.patients[ADA]
    needed = heart_rate_minutes_needed(45)  # the demo class is 45 minutes
    assert needed == LIVE_MINUTES_FOR_CREDIT == 10
    stream_heart_rate(client, csrf, demo, ada, needed - 2)  # a strap on for a moment: not yet
    assert done_in_week(client, ada) == 0
    stream_heart_rate(client, csrf, demo, ada, needed + 1)
    assert done_in_week(client, ada) == 1
    # The progress report states the threshold it counts by.
    page = text_of(client.get(f"/patients/{ada}/progress").text)
    assert "a live class with heart rate for 50% of its minutes or 10 minutes" in page


def test_the_threshold_is_half_of_a_short_class() -> None:
    assert heart_rate_minutes_needed(12) == 6
    assert heart_rate_minutes_needed(45) == heart_rate_minutes_needed(90) == 10
    assert heart_rate_minutes_needed(1) == 1


def test_an_sms_done_through_the_twilio_webhook_is_a_session_done(
    settings: Settings, clock: Clock, demo: Demo
) -> None:
    ada = demo.patients[ADA]
    signed = settings.replace(twilio_auth_token=AUTH_TOKEN)
    with TestClient(create_app(signed, clock=clock), follow_redirects=False) as sms:
        text_in(sms, ADA_PHONE, "DONE 25 min")
        sign_in_coach(sms)
        assert done_in_week(sms, ada) == 1
        text_in(sms, ADA_PHONE, "SKIP")  # her later word for the same day corrects the first
        assert done_in_week(sms, ada) == 0
        text_in(sms, ADA_PHONE, "DONE")
        text_in(sms, ADA_PHONE, "DONE 30")
        assert done_in_week(sms, ada) == 1


def test_a_session_logged_by_the_coach_is_a_session_done(client: TestClient, demo: Demo) -> None:
    csrf = sign_in_coach(client)
    ada = demo.patients[ADA]
    page = client.get(f"/patients/{ada}")
    assert "None in the last 14 days." in text_of(page.text)
    assert f'value="{TODAY.isoformat()}"' in page.text  # the patient's today by default
    log_by_coach(client, csrf, ada, MONDAY)
    assert done_in_week(client, ada) == 1
    page = client.get(f"/patients/{ada}")
    recent = page.text[page.text.index('id="session-log-recent"') :]
    assert re.findall(r'<time datetime="([\d-]+)"', recent[: recent.index("</ul>")]) == [
        MONDAY.isoformat()
    ]


def test_every_source_on_one_day_is_one_session(
    client: TestClient, db: Database, demo: Demo
) -> None:
    csrf = sign_in_coach(client)
    ada = demo.patients[ADA]
    join_room(client, db, demo, ada)
    stream_heart_rate(client, csrf, demo, ada, 12)
    text_as_patient(client, csrf, ada, "DONE 30 min")
    log_by_coach(client, csrf, ada, TODAY)
    log_by_coach(client, csrf, ada, TODAY, minutes="40")  # a second log corrects the first
    assert done_in_week(client, ada) == 1
    log_by_coach(client, csrf, ada, MONDAY)
    assert done_in_week(client, ada) == 2


@pytest.fixture
def next_week(settings: Settings) -> Iterator[TestClient]:
    """The same clinic a week later: the week of TEST_NOW has ended and can be reviewed."""
    clock = RunningClock(TEST_NOW + timedelta(days=7))
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as later:
        yield later


def test_the_three_reports_count_the_same_sessions(
    client: TestClient, db: Database, demo: Demo, next_week: TestClient, settings: Settings
) -> None:
    csrf = sign_in_coach(client)
    ada = demo.patients[ADA]
    per_week = approve_prescription(client, csrf, db, ada)["aerobic"]["sessions_per_week"]
    log_by_coach(client, csrf, ada, MONDAY)  # Monday: the coach's log
    join_room(client, db, demo, ada)  # Tuesday: the class, a DONE and a home session that day
    text_as_patient(client, csrf, ada, "DONE 30 min RPE 13")
    run_session(patient_client(client, db, ada), 20)
    log_by_coach(client, csrf, ada, MONDAY - timedelta(days=1))  # the Sunday before: not this week
    with TestClient(create_app(settings, clock=RunningClock(TEST_NOW + timedelta(days=1)))) as wed:
        run_session(patient_client(wed, db, ada), 25)  # Wednesday: a home session alone
    expected = 3

    csrf = sign_in_coach(next_week)
    # The progress report.
    assert done_in_week(next_week, ada) == expected
    # The program report: the week's row, and Ada's own (the last four weeks).
    weeks = list(csv.reader(io.StringIO(next_week.get("/reports/program.csv").text)))
    (week_row,) = [r for r in weeks if r[0] == MONDAY.isoformat()]
    header = weeks[0]
    assert int(week_row[header.index("sessions_done")]) == expected
    patients = list(
        csv.reader(io.StringIO(next_week.get("/reports/program.csv?table=patients").text))
    )
    (ada_row,) = [r for r in patients if r[0] == str(ada)]
    assert int(ada_row[patients[0].index("sessions_done_last_4_weeks")]) == expected + 1
    # The weekly review of that week, as the coach asks for it on the prescription page.
    answer = next_week.post(f"/patients/{ada}/progression", data={"csrf_token": csrf})
    assert answer.status_code == 303, answer.text
    page = text_of(next_week.get(f"/patients/{ada}/prescriptions").text)
    assert f"Week of {MONDAY:%d %b %Y}" in page
    assert f"Sessions done {expected} of {per_week}" in page

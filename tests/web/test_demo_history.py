"""The demo's last four weeks (`telecoach demo`, what `make demo` runs): sessions at home the coach
reads on the progress report, daily values from the bands, and two warnings on the coach's list:
Lucía's early warning with her check-in text planned, and Grace drifting away with a warm message
proposed. The clinic began before them: the patients enrolled
and their prescriptions approved four weeks and a day earlier, so the sessions count in the
prescription's weeks. Built at two instants far apart; only what is before the instant is
written, and a second run adds nothing."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from coach.alerts import Alert
from coach.database import Database
from coach.models import Patient
from scheduler.models import ScheduledMessage
from telecoach.app import create_app
from telecoach.demo import COACH_EMAIL, DEMO_PASSWORD, seed
from telecoach.settings import Settings
from tests.clocks import RunningClock
from tests.conftest import FAST_HASHER
from tests.prescribing.workflow import text_of
from tests.web.rows import table_counts
from tests.web.signin import login
from tests.web.test_demo import BASE, INSTANTS
from web.auth.passwords import Passwords

# Sessions in four weeks, whether with a strap (Henry's atrial fibrillation: by feel), and how many
# of them were short tries given up tired (Grace's last two: she is drifting away).
AT_HOME = {
    "Ada Whitfield": (7, True, 0),
    "Tomás Herrera": (5, True, 0),
    "Meihua Chen": (4, True, 0),
    "Henry Lindqvist": (3, False, 0),
    "Grace Nakamura": (8, True, 2),
}


def _seed(db: Database, settings: Settings, at: datetime) -> None:
    db.run_sync(
        lambda session: seed(
            session, Passwords(FAST_HASHER), settings.secret_key, BASE, at, history=True
        )
    )


def _patients(db: Database) -> dict[str, Patient]:
    return {p.name: p for p in db.run_sync(lambda s: list(s.exec(select(Patient))))}


def _progress(client: TestClient, patient: Patient) -> list[list[str]]:
    answer = client.get(f"/patients/{patient.id}/progress.csv")
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.text)))


def _home_rows(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """The progress CSV's sessions at home: each day's measures."""
    days: dict[str, dict[str, str]] = {}
    for row in rows:
        if row[0] == "home_session":
            days.setdefault(row[1], {})[row[2]] = row[3]
    return days


def _done_a_week(rows: list[list[str]]) -> list[int]:
    """The progress CSV's sessions done, week by week, oldest first."""
    return [int(row[3]) for row in rows if row[0] == "adherence"]


@pytest.mark.parametrize("at", INSTANTS, ids=["tuesday-afternoon", "saturday-before-dawn"])
def test_the_demo_has_four_weeks_behind_it(db: Database, settings: Settings, at: datetime) -> None:
    _seed(db, settings, at)
    patients = _patients(db)
    with TestClient(create_app(settings, clock=RunningClock(at)), follow_redirects=False) as client:
        login(client, COACH_EMAIL, DEMO_PASSWORD)
        for name, (count, strap, tries) in AT_HOME.items():
            patient = patients[name]
            today = at.astimezone(ZoneInfo(patient.time_zone)).date()
            rows = _progress(client, patient)
            days = _home_rows(rows)
            assert len(days) == count, (name, sorted(days))
            # Her prescription was approved before them, so they count in its weeks: all five.
            done = _done_a_week(rows)
            assert len(done) == 5 and sum(done) == sum(m["counts"] == "true" for m in days.values())
            assert all(date.fromisoformat(day) < today for day in days)
            assert {m["status"] for m in days.values()} <= {"done", "stopped"}
            # Time in the zone with a strap, none by feel; most of them counted.
            assert all((m["in_zone_minutes"] != "") == strap for m in days.values())
            counted = sum(m["counts"] == "true" for m in days.values())
            assert count - tries - 1 <= counted <= count - tries
            given_up = [m for m in days.values() if m["status"] == "stopped"]
            assert len(given_up) >= tries
        page = text_of(client.get(f"/patients/{patients['Ada Whitfield'].id}/progress").text)
        assert "Sessions at home" in page and "No sessions at home" not in page
        dashboard = text_of(client.get("/dashboard").text)
        assert dashboard.count("Early warning from daily data") == 1
        assert "Lucía Ferrer" in dashboard
        # This morning's engagement check: Grace, with why and the message to send in one click.
        assert dashboard.count("May be drifting away from the programme") == 1
        assert "Grace Nakamura : May be drifting away" in dashboard
        assert "Why: missed sessions, fewer minutes of exercise." in dashboard
        assert "Hi Grace, we have missed you at your sessions." in dashboard
        assert "Send this message" in dashboard
        # Her sessions were at home, which nobody schedules: the chart does not call them scheduled.
        assert "Sessions (classes, at home, a texted DONE): filled when done" in dashboard
        assert "Scheduled sessions" not in dashboard

    def warnings(session: Session) -> list[tuple[int, str]]:
        found = session.exec(select(Alert.patient_id, Alert.kind)).all()
        return [(pid, kind) for pid, kind in found if kind in ("early_warning", "disengagement")]

    lucia, grace = patients["Lucía Ferrer"], patients["Grace Nakamura"]
    assert sorted(db.run_sync(warnings)) == sorted(
        [(lucia.id, "early_warning"), (grace.id, "disengagement")]
    )
    planned = db.run_sync(
        lambda s: s.exec(
            select(ScheduledMessage.patient_id).where(
                ScheduledMessage.purpose == "text.checkin_warning"
            )
        ).all()
    )
    assert planned == [lucia.id]  # her check-in by text: she has a basic phone
    before = table_counts(db)
    _seed(db, settings, at)
    assert table_counts(db) == before  # a second run writes no second history

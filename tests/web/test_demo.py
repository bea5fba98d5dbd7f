"""The demo a newcomer explores: built at any instant (the injected clock's), a class is on then
with more on the days after, most patients have an approved prescription (their class page shows
their own zone), a later start adds only what is missing, and `serve --demo` prints the coach's
sign-in and the join links last, with no chatter after them while heart rates stream."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach.database import Database
from coach.demo_profiles import DEMO_PATIENTS
from coach.hr_models import DeviceToken
from coach.models import Patient, Prescription
from telecoach.app import create_app
from telecoach.demo import DemoResult, seed
from telecoach.settings import Settings
from tests.browser.conftest import TELECOACH, embedded_env, free_port
from tests.clocks import RunningClock
from tests.conftest import FAST_HASHER, TEST_NOW
from tests.heart_rate.helpers import samples
from tests.web.rows import table_counts
from web.auth.passwords import Passwords
from web.i18n import Catalogues

BASE = "http://testserver"
# Two starts far apart: a Tuesday afternoon, and a Saturday before dawn in New York.
INSTANTS = [TEST_NOW, TEST_NOW + timedelta(days=4, hours=12, minutes=17)]


def _seed(db: Database, settings: Settings, at: datetime) -> DemoResult:
    return db.run_sync(seed, Passwords(FAST_HASHER), settings.secret_key, BASE, at)


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _classes_seen_by(app_client: TestClient, join_url: str) -> list[dict]:
    """What the patient's own API lists after they open their join link."""
    patient = TestClient(app_client.app, follow_redirects=False)
    assert patient.get(join_url.removeprefix(BASE)).status_code == 303
    answer = patient.get("/api/v1/me/classes")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["occurrences"])


@pytest.mark.parametrize("at", INSTANTS, ids=["tuesday-afternoon", "saturday-before-dawn"])
def test_a_class_is_on_whenever_the_demo_is_built_and_more_follow(
    settings: Settings, db: Database, at: datetime
) -> None:
    result = _seed(db, settings, at)
    assert result.created and result.class_added
    assert len(result.join_urls) == sum(not p["sms_only"] for p in DEMO_PATIENTS)
    with TestClient(create_app(settings, clock=RunningClock(at)), follow_redirects=False) as app:
        for name, url in result.join_urls.items():
            occurrences = _classes_seen_by(app, url)
            first = occurrences[0]
            starts = _parse(first["starts_at_iso"])
            assert starts <= at < starts + timedelta(minutes=first["minutes"]), name
            assert starts + timedelta(minutes=first["minutes"]) - at >= timedelta(minutes=30)
            later = [_parse(o["starts_at_iso"]) for o in occurrences[1:]]
            assert len([s for s in later if s < at + timedelta(days=3)]) == 3, name  # one a day


def test_most_demo_patients_have_an_approved_prescription_and_see_their_own_zone(
    settings: Settings, db: Database
) -> None:
    result = _seed(db, settings, TEST_NOW)
    approved = db.run_sync(
        lambda s: {
            name
            for name in s.exec(
                select(Patient.name)
                .join(Prescription, Prescription.patient_id == Patient.id)  # type: ignore[arg-type]
                .where(Prescription.status == "approved")
            )
        }
    )
    assert result.approved == len(approved) == 6  # most of eight
    assert "Walt Okafor" not in approved  # a fever: the engine holds him, nothing to approve
    assert "Rosa Delgado" not in approved  # her draft waits for the coach's review
    estimated = {Catalogues().translator(lang)("hr.estimated") for lang in ("en", "es")}
    with TestClient(create_app(settings, clock=RunningClock(TEST_NOW))) as app:
        for name, url in result.join_urls.items():
            patient = TestClient(app.app, follow_redirects=False)
            assert patient.get(url.removeprefix(BASE)).status_code == 303
            occurrence = patient.get("/api/v1/me/classes").json()["occurrences"][0]["id"]
            page = patient.get(f"/me/classes/{occurrence}").text
            shows_estimate = any(text in page for text in estimated)
            assert shows_estimate == (name not in approved), name


def test_a_later_start_adds_only_what_is_missing(settings: Settings, db: Database) -> None:
    first = _seed(db, settings, TEST_NOW)
    counts = table_counts(db)
    again = _seed(db, settings, TEST_NOW + timedelta(minutes=10))
    assert (again.created, again.class_added, again.approved) == (False, False, 0)
    assert again.join_urls == first.join_urls  # the same links, printed again
    assert table_counts(db) == counts
    # Two hours on, the class has ended and the next is tomorrow: a drop-in class opens now.
    later = TEST_NOW + timedelta(hours=2)
    topped = _seed(db, settings, later)
    assert topped.class_added and not topped.created and topped.approved == 0
    with TestClient(create_app(settings, clock=RunningClock(later)), follow_redirects=False) as app:
        first_class = _classes_seen_by(app, next(iter(topped.join_urls.values())))[0]
        assert first_class["title"] == "Drop-in class"
        assert _parse(first_class["starts_at_iso"]) <= later


def test_serve_demo_streams_heart_rates_prints_the_newcomers_lines_last_and_cleans_up(
    tmp_path: Path,
) -> None:
    """`telecoach serve --demo` (what `make demo` runs): simulated heart rates stream into the demo
    class, the coach's sign-in and the join links are the last lines printed, and the simulator's
    device tokens are revoked when the server stops. One server for all three (slow to start)."""
    port = free_port()
    env = embedded_env(tmp_path / "var", port)
    del env["PUBLIC_BASE_URL"]  # as `make demo` runs: the links must name the port served
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [TELECOACH, "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    database = Database(f"sqlite:///{tmp_path}/var/telecoach.db")
    try:
        deadline = time.monotonic() + 60
        stored: list = []
        while time.monotonic() < deadline and not stored:
            time.sleep(0.5)
            assert server.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    stored = database.run_sync(samples)
            except httpx.TransportError:
                pass
        assert stored, log_path.read_text()
        assert {s.source for s in stored} == {"simulator"}
        assert all(25 <= s.bpm <= 250 for s in stored)
        assert "simulated heart rates stream into class occurrence" in log_path.read_text()
        time.sleep(11)  # past the simulator's first ten seconds, when it used to report progress
        lines = log_path.read_text().splitlines()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    tokens = database.run_sync(lambda s: list(s.exec(select(DeviceToken))))
    database.dispose()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    assert server.returncode == 0, log_path.read_text()
    running = next(i for i, line in enumerate(lines) if "Uvicorn running" in line)
    stopping = next((i for i, x in enumerate(lines) if "stopping: telling" in x), len(lines))
    # Between the server's start and its stop: only what is printed for the newcomer (this test's
    # own health checks aside, and the demo's own texts going out: Lucía's check-in, due when the
    # demo starts); the simulated readings' requests and progress say nothing.
    tail = [
        line
        for line in lines[running + 1 : stopping]
        if '"route": "/healthz"' not in line and '"logger": "telecoach.sms"' not in line
    ]
    assert tail[0] == (
        f"sign in at http://127.0.0.1:{port}/login as the demo coach: "
        "coach@example.org / password telecoach-demo"
    )
    links = tail[1:]
    assert len(links) == sum(not p["sms_only"] for p in DEMO_PATIENTS), "\n".join(tail)
    assert all(
        re.fullmatch(rf"join link for .+: http://127\.0\.0\.1:{port}/join/\S+", x) for x in links
    )

"""When PostgreSQL stops answering (a restart, a failover) a request gets a clear 503 with
Retry-After, as JSON for the API and as a page in the reader's language, never a bare
"Internal Server Error"; the same request sent again once the database is back is taken, once.
The database here is one of the test's own (tests/own_database.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from coach.clock import Clock, SystemClock
from coach.database import Database
from telecoach.app import create_app
from tests.conftest import make_settings
from tests.factories import build_world
from tests.heart_rate.helpers import bearer, class_with_device, now_ms, samples
from tests.own_database import OwnDatabase


@pytest.fixture
def app_and_db(
    own_database: OwnDatabase, tmp_path: Path, clock: Clock
) -> Iterator[tuple[TestClient, Database]]:
    db = Database(own_database.url)
    settings = make_settings(own_database.url, tmp_path)
    try:
        with TestClient(create_app(settings, clock=clock), follow_redirects=False) as client:
            yield client, db
    finally:
        db.dispose()


@pytest.fixture
def clock() -> Clock:
    """Readings are about the present (tests/heart_rate/conftest.py)."""
    return SystemClock()


def test_a_device_hears_503_while_the_database_is_away_and_its_resend_is_stored_once(
    app_and_db: tuple[TestClient, Database],
    own_database: OwnDatabase,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, db = app_and_db
    world = db.run_sync(build_world)
    _, token = db.run_sync(class_with_device, world.coach_a, world.patient_a)
    body = {"readings": [{"t": now_ms() - 2000, "bpm": 101}, {"t": now_ms() - 1000, "bpm": 102}]}

    own_database.close()
    try:
        with caplog.at_level(logging.WARNING):
            away = client.post("/api/v1/hr", json=body, headers=bearer(token))
    finally:
        own_database.open()
    assert away.status_code == 503, away.text
    assert away.headers["Retry-After"] == "5"
    assert away.json()["error"]["code"] == "unavailable"
    logged = [r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()]
    assert logged and all("SELECT" not in line and "hrd_" not in line for line in logged)

    again = client.post("/api/v1/hr", json=body, headers=bearer(token))  # the device resends
    assert again.status_code == 200, again.text
    assert again.json()["accepted"] == 2
    assert [s.bpm for s in db.run_sync(samples, world.patient_a)] == [101, 102]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "We cannot reach our records just now."),
        ("es", "Ahora mismo no podemos acceder a nuestros registros."),
        ("zh-Hans", "我们暂时无法读取记录。"),
    ],
)
def test_a_page_says_in_the_readers_language_to_try_again(
    app_and_db: tuple[TestClient, Database], own_database: OwnDatabase, language: str, words: str
) -> None:
    client, _ = app_and_db
    client.cookies.set("tc_session", "a-session-the-database-would-know")
    own_database.close()
    try:
        page: Any = client.get("/dashboard", headers={"Accept-Language": language})
    finally:
        own_database.open()
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert words in page.text
    assert "Internal Server Error" not in page.text

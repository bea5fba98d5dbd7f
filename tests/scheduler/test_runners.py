"""The runners as they are started: inside `serve` (the app's lifespan), `telecoach worker --once`,
and `telecoach worker` refusing to start without Redis."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from coach.clock import Clock, SystemClock
from coach.database import Database
from coach.models import utcnow
from scheduler import outbox
from scheduler.models import SENT, ScheduledMessage
from telecoach.app import create_app
from tests.conftest import World, make_settings
from tests.factories import build_world
from tests.own_database import OwnDatabase
from tests.rtc.scenes import eventually
from tests.scheduler.conftest import rows, set_patient, text_rows
from tests.scheduler.processes import TELECOACH


@pytest.fixture
def clock() -> Clock:
    """`serve` and `worker` run here as processes of their own, on the wall clock: so does the
    test's data (the world's class two hours from now, texts due now)."""
    return SystemClock()


def notes(db: Database) -> list[ScheduledMessage]:
    return rows(db, ScheduledMessage.purpose == "text.note")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def test_serve_runs_the_scheduler_in_process(
    database_url: str, tmp_path: Path, db: Database, world: World
) -> None:
    set_patient(db, world.patient_a, sms_consent=True)
    settings = make_settings(
        database_url,
        tmp_path,
        scheduler_in_serve=True,
        worker_poll_seconds=0.05,
        quiet_hours="none",
    )
    with TestClient(create_app(settings)):
        now = utcnow()
        db.run_sync(
            lambda s: outbox.put(s, text_rows([world.patient_a], 2, now), now, revive=False)
        )
        eventually(lambda: all(r.status == SENT for r in notes(db)), 20)
    assert [r.status for r in notes(db)] == [SENT, SENT]
    lines = (tmp_path / "sms_outbox.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["body"] for line in lines) == [
        "Note 0 from your coach.",
        "Note 1 from your coach.",
    ]


def test_the_in_process_scheduler_goes_on_after_the_database_was_away(
    own_database: OwnDatabase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Texts come due while PostgreSQL is away: each pass says so in a line (not a traceback a
    few times a second) and the texts go once it answers again, each once."""
    db = Database(own_database.url)
    try:
        world = db.run_sync(build_world, utcnow())
        set_patient(db, world.patient_a, sms_consent=True)
        settings = make_settings(
            own_database.url,
            tmp_path,
            scheduler_in_serve=True,
            worker_poll_seconds=0.05,
            quiet_hours="none",
        )
        with TestClient(create_app(settings)), caplog.at_level(logging.WARNING):
            now = utcnow()
            due = now + timedelta(seconds=0.3)  # while the database is away
            db.run_sync(
                lambda s: outbox.put(s, text_rows([world.patient_a], 2, due), now, revive=False)
            )
            own_database.close()

            def away() -> list[logging.LogRecord]:
                return [r for r in caplog.records if "database is not answering" in r.getMessage()]

            # Away past the texts' due time and until a pass has said so: waited for, not a fixed
            # sleep, which a loaded machine's passes can miss entirely.
            eventually(lambda: utcnow() > due and bool(away()), 20)
            assert utcnow() > due
            own_database.open()
            eventually(lambda: all(r.status == SENT for r in notes(db)), 20)
        assert [r.status for r in notes(db)] == [SENT, SENT]
        lines = (tmp_path / "sms_outbox.jsonl").read_text().splitlines()
        assert len(lines) == 2
        said = away()
        assert said and all(r.exc_info is None for r in said)
    finally:
        db.dispose()


def _cli(
    args: list[str], database_url: str, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELECOACH_VAR_DIR": str(tmp_path),
        "QUIET_HOURS": "none",
        **env,
    }
    environ.pop("REDIS_URL", None)
    return subprocess.run(
        [TELECOACH, *args], env=environ, capture_output=True, text=True, timeout=120, check=False
    )


def test_worker_once_plans_and_sends_what_is_due(
    database_url: str, tmp_path: Path, db: Database, world: World
) -> None:
    set_patient(db, world.patient_a, sms_consent=True)
    now = utcnow()
    db.run_sync(lambda s: outbox.put(s, text_rows([world.patient_a], 3, now), now, revive=False))
    done = _cli(["worker", "--once"], database_url, tmp_path)
    assert done.returncode == 0, done.stderr
    # The texts, and the day's engagement checks already due at this hour (tasks, not texts).
    checks = [r for r in rows(db) if r.kind == "task" and r.status == SENT]
    assert f"sent_or_settled={3 + len(checks)}" in done.stdout
    assert [r.status for r in notes(db)] == [SENT] * 3
    # The planning pass ran too: Ana's reminder for her class in two hours is planned.
    assert "reminder.60" in {r.purpose for r in rows(db)}
    assert len((tmp_path / "sms_outbox.jsonl").read_text().splitlines()) == 3
    again = _cli(["worker", "--once"], database_url, tmp_path)
    assert "sent_or_settled=0" in again.stdout  # nothing is sent twice


def test_worker_needs_redis(database_url: str, tmp_path: Path) -> None:
    refused = _cli(["worker"], database_url, tmp_path)
    assert refused.returncode == 2
    assert "REDIS_URL is required" in refused.stderr

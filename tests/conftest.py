"""Shared fixtures: a migrated database on SQLite and on a throwaway PostgreSQL database, the app,
and helpers to sign in as each role. Real services only: PostgreSQL and Redis on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import hypothesis
import psycopg
import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from coach.clock import Clock
from coach.database import Database
from telecoach.app import create_app
from telecoach.migrate import upgrade
from telecoach.settings import Settings
from tests.clocks import RunningClock
from tests.postgres_rows import empty_postgres

# Fixtures of their own modules, for any test: `own_redis` and `own_database`, a Redis and a
# PostgreSQL database to take away and bring back.
pytest_plugins = ["tests.redis_server", "tests.own_database"]

# Property tests draw the same examples on every run (seeded from each test's own code), so a
# counterexample fails every run of a change, not one CI run in a hundred of an unrelated one,
# and the failure printed is the one the next run meets. `HYPOTHESIS_PROFILE=hunt` draws new,
# random examples on each run, to look for what the fixed ones miss (run it a few times).
hypothesis.settings.register_profile("fixed", derandomize=True, print_blob=True)
hypothesis.settings.register_profile("hunt", derandomize=False, print_blob=True)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _redis_url() -> str:
    """The tests' Redis database: TEST_REDIS_URL (database 15 by default), or for the second and
    later workers of a parallel run (`pytest -n`, the Makefile's) databases 1, 2 and 3, so that
    one worker clearing the live-bus keys (`clear_redis`) never removes another's mid-test.
    Databases 4 to 14 belong to the faked-clock runs (scripts/test-hours) and the process tests."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    if worker == 0:
        return url
    if worker > 3:
        raise RuntimeError("the tests have Redis databases for at most 4 parallel workers")
    return f"{url.rsplit('/', 1)[0]}/{worker}"


REDIS_URL = _redis_url()
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery"
# Where a test's app starts when its subject depends on the date or the hour (tests/clocks.py):
# Tuesday 1 December 2026, 15:00 UTC: daytime in New York (10:00) and Madrid (16:00), a plain
# week months from any daylight-saving change, and before the fixed dates some tests plan for
# (January 2027). Tests build their expectations from this instant (or from the `clock`
# fixture's now), never from the wall clock.
TEST_NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
# Cheap argon2 parameters: tests hash many passwords; production uses the library's defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throwaway database per test run, dropped at the end."""
    name = f"telecoach_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_database_url(
    request: pytest.FixtureRequest, engine: str, tmp_path: Path, template: Path | None = None
) -> str:
    """A migrated database for one test: on SQLite a copy of `template` (by default the empty
    one), on PostgreSQL the suite's database emptied."""
    if engine == "sqlite":
        path = tmp_path / "telecoach.db"
        shutil.copy(template or request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return str(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database; tests using it run on both engines."""
    return fresh_database_url(request, request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """For tests whose subject does not depend on the engine."""
    path = tmp_path / "telecoach.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def make_settings(database_url: str, var_dir: Path, **overrides: object) -> Settings:
    return Settings(
        env="dev",
        var_dir=var_dir,
        database_url=database_url,
        secret_key=TEST_SECRET,
        public_base_url="http://testserver",
        # The factories' classes start two hours after "now": their rooms are open for the tests
        # that join them. tests/rtc/test_room_window.py checks the window at its default.
        room_opens_minutes_before=180,
    ).replace(**overrides)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def clock() -> Clock:
    """The clock of the `client` app (and of the fixtures that build on it): from TEST_NOW, at
    real speed, so that no expectation depends on the date or hour the suite runs at. A suite
    about the live present overrides it with the system clock (tests/heart_rate/conftest.py)."""
    return RunningClock(TEST_NOW)


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    yield database
    database.dispose()


@dataclass
class World:
    """Two coaches with one patient each, an admin, and a class per coach."""

    admin_id: int
    coach_a: int
    coach_b: int
    patient_a: int  # Ana, coach A's
    patient_b: int  # Bruno, coach B's
    class_a: int
    class_b: int
    occurrence_a: int
    occurrence_b: int


@pytest.fixture
def world(db: Database, clock: Clock) -> World:
    from tests.factories import build_world

    return db.run_sync(build_world, clock.now())


def clear_redis(url: str) -> None:
    """Remove the live-bus streams, rate-limit counts and alert keys an earlier test left in this
    Redis database: object ids repeat from test to test, so those would look like this test's."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        for pattern in ("tc:*", "telecoach:*"):
            keys = list(client.scan_iter(match=pattern))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def clean_redis() -> str:
    """REDIS_URL, cleared of what earlier tests left (`clear_redis`)."""
    clear_redis(REDIS_URL)
    return REDIS_URL


@pytest.fixture
def live_server_env() -> dict[str, str]:
    """Extra environment for the `live_server` subprocess (tests/browser/conftest.py); a test
    module overrides this fixture to set a setting of its own."""
    return {}


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave with pytest's own status as soon as pytest is done, flushing what it printed first.

    Two things went wrong after the last test, never in one: a test that leaves a non-daemon
    thread running (aiortc's decoder threads of a receiver never stopped, a client's event-loop
    portal never closed) kept the interpreter from exiting, and `scripts/test-hours` waited on it
    for ever; and one faked-clock run died after its last test without printing its summary
    (2026-12-05, CI: every test passed, exit status non-zero), as a native library's teardown at
    interpreter exit can. Neither is about the product; the tests' verdict is pytest's status.
    Stuck threads are named, so the test that left them can be found."""
    stuck = [
        t.name
        for t in threading.enumerate()
        if t.is_alive() and not t.daemon and t is not threading.main_thread()
    ]
    if stuck:
        print(f"\nthreads left running by the tests: {', '.join(stuck)}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if _EXIT_STATUS:
        os._exit(_EXIT_STATUS[-1])

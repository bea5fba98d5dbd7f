"""Heart-rate tests: async tests run on asyncio through anyio's pytest plugin.

Tests here run on SQLite unless they exercise SQL that differs between engines (batched inserts that
skip duplicates, alerts stored once): those are marked `BOTH_ENGINES` and run on PostgreSQL too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from coach.clock import Clock, SystemClock
from telecoach.app import create_app
from tests.browser.conftest import stray_loop_detached
from tests.conftest import fresh_database_url, make_settings

BOTH_ENGINES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def clock() -> Clock:
    """Live heart rate is about the present: readings are stamped with the wall clock's now, and
    what is checked is elapsed time (seconds ago, in order), never a date or an hour."""
    return SystemClock()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _async_tests_get_their_own_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("anyio") is None:
        yield
        return
    with stray_loop_detached():
        yield


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database: SQLite, or PostgreSQL when parametrized so."""
    return fresh_database_url(request, getattr(request, "param", "sqlite"), tmp_path)


@pytest.fixture
def processes(
    database_url: str, tmp_path: Path, clock: Clock, clean_redis: str
) -> Iterator[tuple[TestClient, TestClient]]:
    """Two app processes on one database and one Redis, as production runs them."""
    settings = make_settings(database_url, tmp_path, redis_url=clean_redis)
    with (
        TestClient(create_app(settings, clock=clock), follow_redirects=False) as first,
        TestClient(create_app(settings, clock=clock), follow_redirects=False) as second,
    ):
        yield first, second

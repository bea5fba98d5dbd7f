"""Heart-rate tests: async tests run on asyncio through anyio's pytest plugin.

Tests here run on SQLite unless they exercise SQL that differs between engines (batched inserts that
skip duplicates, alerts stored once): those are marked `BOTH_ENGINES` and run on PostgreSQL too.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.clock import Clock, SystemClock
from tests.browser.conftest import stray_loop_detached
from tests.conftest import _truncate_postgres

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
    if getattr(request, "param", "sqlite") == "sqlite":
        path = tmp_path / "telecoach.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("postgres_url"))
    _truncate_postgres(url)
    return url

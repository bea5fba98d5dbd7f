"""A migrated PostgreSQL database of a test's own, to close to connections and open again as an
administrator would (ALTER DATABASE ... ALLOW_CONNECTIONS, its sessions ended): what a restart or
a failover looks like to the app. The per-run database of the other tests is never touched."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from telecoach.migrate import upgrade
from tests.conftest import PG_ADMIN_URL

OWN_PREFIX = "telecoach_away_"


class AwayConnections:
    """Every connection any engine of this test process makes to a database of `OwnDatabase`'s,
    held until it is closed here (an SQLAlchemy "connect" listener for the whole session).

    A connection still open when its test ends (one the server ended but its pool never used
    again, one a logged traceback still holds, one a thread of the app made as the test ended)
    is warned of by psycopg when the garbage collector reaches it: in whichever later test that
    happens, which pytest then fails (CI runs failed tests/messaging/test_replies.py and then
    tests/messaging/test_kept_texts.py so). Held here, none can be collected while open; each
    test's are closed at its end, any made after that at the next such test's end or the session's.
    A listener per test left a window: a connection made between its removal and the database's
    drop was nobody's."""

    def __init__(self) -> None:
        self._held: list[psycopg.Connection[Any]] = []

    def track(self, dbapi_connection: Any, _record: Any) -> None:
        info = getattr(dbapi_connection, "info", None)
        if str(getattr(info, "dbname", "")).startswith(OWN_PREFIX):
            self._held.append(dbapi_connection)

    def close(self) -> None:
        """Every one held: called when no test of this process uses its database any more (the
        tests of a process run one after another)."""
        for connection in self._held:
            connection.close()
        self._held.clear()


class OwnDatabase:
    """A migrated PostgreSQL database of the test's own, to close and open again."""

    def __init__(self) -> None:
        self.name = f"{OWN_PREFIX}{uuid.uuid4().hex[:10]}"
        self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"

    def _admin(self, *statements: str) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')
        upgrade(self.url)

    def close(self) -> None:
        """New connections refused, the open ones ended: what a stopped server looks like."""
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')  # type: ignore[arg-type]
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )

    def open(self) -> None:
        self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def away_connections() -> Iterator[AwayConnections]:
    connections = AwayConnections()
    sa.event.listen(sa.Engine, "connect", connections.track)
    try:
        yield connections
    finally:
        sa.event.remove(sa.Engine, "connect", connections.track)
        connections.close()


@pytest.fixture
def own_database(away_connections: AwayConnections) -> Iterator[OwnDatabase]:
    database = OwnDatabase()
    database.create()
    try:
        yield database
    finally:
        away_connections.close()
        database.drop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on a database of its own needs the PostgreSQL server: marked so, it is left out
    where the SQLite half alone runs (scripts/test-hours)."""
    for item in items:
        if "own_database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)

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


class OwnDatabase:
    """A migrated PostgreSQL database of the test's own, to close and open again."""

    def __init__(self) -> None:
        self.name = f"telecoach_away_{uuid.uuid4().hex[:10]}"
        self.url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"
        # Held, not weakly: one deleted while open would warn in the test that happens to be
        # running then, as described in close_what_is_left.
        self._opened: list[psycopg.Connection[Any]] = []

    def track(self, dbapi_connection: Any, _record: Any) -> None:
        """Every engine's new connection (an SQLAlchemy "connect" event): ours are kept to close."""
        info = getattr(dbapi_connection, "info", None)
        if getattr(info, "dbname", None) == self.name:
            self._opened.append(dbapi_connection)

    def close_what_is_left(self) -> None:
        """A connection still open when the test ends (one the server ended but its pool never
        used again, one a logged traceback still holds) is warned of by psycopg when the garbage
        collector reaches it: in whichever later test that happens, which pytest then fails (a
        CI run failed tests/messaging/test_replies.py so). Each is closed here instead."""
        for connection in self._opened:
            connection.close()

    def _admin(self, *statements: str) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')
        upgrade(self.url)

    def close(self) -> None:
        """New connections refused, the open ones ended: what a stopped server looks like."""
        self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )

    def open(self) -> None:
        self._admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def own_database() -> Iterator[OwnDatabase]:
    database = OwnDatabase()
    database.create()
    sa.event.listen(sa.Engine, "connect", database.track)
    try:
        yield database
    finally:
        sa.event.remove(sa.Engine, "connect", database.track)
        database.close_what_is_left()
        database.drop()

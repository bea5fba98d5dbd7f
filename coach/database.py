"""The engine and a way to run synchronous storage work off the event loop."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlmodel import Session

T = TypeVar("T")
CONNECT_TIMEOUT_SECONDS = 5
# Storage work runs in at most this many threads per event loop, one pooled connection each. With
# anyio's default of 40 threads and a pool of 10 (+10 overflow), a burst of connecting sockets
# opened and closed a PostgreSQL connection per overflowing unit of work, and threads waited on
# the pool besides; 40 threads also share the GIL with the event loop.
DB_THREADS = 10
# What the database not answering looks like (refused, dropped, or no connection free in time):
# a moment's outage the callers wait out or tell their client to retry, not a bug.
NOT_ANSWERING: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.TimeoutError)


def why_not_answering(exc: Exception) -> str:
    """The kind of a NOT_ANSWERING error, for a log line: the driver's error a SQLAlchemy one
    wraps (its message can quote the statement, whose values are patient data), else its own."""
    cause = exc.orig if isinstance(exc, sa.exc.OperationalError) else exc
    return type(cause).__name__


def normalize_url(url: str) -> str:
    """Accept the common `postgresql://` spelling and use the psycopg 3 driver for it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def dialect_insert(session: Session) -> Any:
    """INSERT with ON CONFLICT DO NOTHING exists on both engines, spelled by each dialect."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def minute_of(session: Session, column: Any) -> Any:
    """The clock minute a stored time falls in, as each engine spells it (for counting the
    minutes that hold at least one row)."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.date_trunc("minute", column)
    return sa.func.strftime("%Y-%m-%d %H:%M", column)


def create_db_engine(url: str) -> sa.Engine:
    """`hide_parameters`: a failed statement's error (and so any log line or traceback holding
    it) never carries the values bound to it, which are patients' names, phones and texts."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A server that accepts the connection but never answers must not hang a request forever.
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=DB_THREADS,
        max_overflow=10,  # work run outside `Database.run` (scheduler, CLI, tests)
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
        hide_parameters=True,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """Owns the engine; `run` executes one unit of work in a worker thread and commits it."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = create_db_engine(url)
        # One limiter per event loop: a limiter's waiters belong to the loop they wait on.
        self._limiters: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, anyio.CapacityLimiter
        ] = weakref.WeakKeyDictionary()

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def run_sync(self, work: Callable[..., T], *args: Any) -> T:
        with self.session() as session:
            try:
                result = work(session, *args)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            return result

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(DB_THREADS)
        return await anyio.to_thread.run_sync(self.run_sync, work, *args, limiter=limiter)

    def ping(self) -> None:
        """One round trip; raises what the database raises (NOT_ANSWERING while it is away)."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    async def probe(self) -> None:
        """`ping` from the event loop, in the storage threads (readiness, "is it back?")."""
        await self.run(lambda _session: self.ping())

    def dispose(self) -> None:
        self.engine.dispose()

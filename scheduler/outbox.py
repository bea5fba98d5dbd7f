"""The durable outbox: putting planned rows, claiming due ones, finishing and reconciling them.

Claiming is safe with any number of runners: on PostgreSQL one statement picks due rows with
`FOR UPDATE SKIP LOCKED` (two runners never wait on or take the same row); on SQLite, which has one
writer at a time, the same statement is a conditional update (`WHERE status = 'pending'`).
Every later change to a claimed row is conditional on its claim, so a runner that lost its claim
(a reconciler took the row back) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from scheduler.models import (
    CANCELLED,
    DROPPED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    UNCONFIRMED,
    ScheduledMessage,
)

TABLE: sa.Table = ScheduledMessage.__table__  # type: ignore[attr-defined]
CHUNK = 5000  # parameter sets per executemany
COPY_FROM = 2000  # rows from which PostgreSQL gets them by COPY
ANALYZE_AFTER = 10_000  # rows added at once from which the table's statistics are refreshed


@dataclass(frozen=True)
class Planned:
    """One row to plan. `due_at=None` stores it as dropped, with `reason` (e.g. quiet hours)."""

    patient_id: int
    purpose: str
    ref: str
    planned_at: datetime
    due_at: datetime | None
    deliver_by: datetime | None = None
    kind: str = "sms"
    series_id: int | None = None
    occurrence_id: int | None = None
    urgent: bool = False
    reason: str | None = None
    body: str | None = None

    @property
    def key(self) -> tuple[int, str, str]:
        return self.patient_id, self.purpose, self.ref


def _values(row: Planned, now: datetime) -> dict[str, Any]:
    return {
        "patient_id": row.patient_id,
        "purpose": row.purpose,
        "ref": row.ref,
        "kind": row.kind,
        "series_id": row.series_id,
        "occurrence_id": row.occurrence_id,
        "planned_at": row.planned_at,
        "due_at": row.due_at or row.planned_at,
        "deliver_by": row.deliver_by,
        "urgent": row.urgent,
        "body": row.body,
        "status": PENDING if row.due_at is not None else DROPPED,
        "reason": None if row.due_at is not None else row.reason,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TABLE)


def put(session: Session, rows: Sequence[Planned], now: datetime, *, revive: bool) -> None:
    """Plan `rows`; a row whose key exists is left alone, unless `revive`: then a pending or
    cancelled one takes the new time and state (a reminder turned back on, a class moved back)."""
    if not rows:
        return
    if not revive and len(rows) >= COPY_FROM and session.get_bind().dialect.name == "postgresql":
        _put_by_copy(session, rows, now)
        return
    key = ["patient_id", "purpose", "ref"]
    insert = _insert(session)
    if revive:
        changed = (
            "planned_at",
            "due_at",
            "deliver_by",
            "status",
            "reason",
            "series_id",
            "occurrence_id",
            "updated_at",
        )
        statement = insert.on_conflict_do_update(
            index_elements=key,
            set_={name: insert.excluded[name] for name in changed},
            # Not `in_()`: an expanding parameter cannot go with executemany.
            where=sa.or_(TABLE.c.status == PENDING, TABLE.c.status == CANCELLED),
        )
    else:
        statement = insert.on_conflict_do_nothing(index_elements=key)
    # One statement, many parameter sets: the driver batches them (psycopg pipelines them).
    for start in range(0, len(rows), CHUNK):
        session.execute(statement, [_values(r, now) for r in rows[start : start + CHUNK]])


_COLUMNS = (
    "patient_id",
    "purpose",
    "ref",
    "kind",
    "series_id",
    "occurrence_id",
    "planned_at",
    "due_at",
    "deliver_by",
    "urgent",
    "body",
    "status",
    "reason",
    "attempts",
    "created_at",
    "updated_at",
)


def _put_by_copy(session: Session, rows: Sequence[Planned], now: datetime) -> None:
    """The planning pass's bulk path on PostgreSQL: COPY into a scratch table, then one
    INSERT ... ON CONFLICT DO NOTHING (tens of thousands of rows a second)."""
    names = ", ".join(_COLUMNS)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS scheduled_plan "
            "(LIKE scheduled_message INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE scheduled_plan")
        with cursor.copy(f"COPY scheduled_plan ({names}) FROM STDIN") as copy:
            for row in rows:
                values = _values(row, now)
                copy.write_row(tuple(values[name] for name in _COLUMNS))
        cursor.execute(  # column names are the constants above, no input
            f"INSERT INTO scheduled_message ({names}) SELECT {names} FROM scheduled_plan "  # noqa: S608
            "ON CONFLICT (patient_id, purpose, ref) DO NOTHING"
        )
        if cursor.rowcount >= ANALYZE_AFTER:
            # Fresh statistics now, not whenever autovacuum comes by: right after a bulk plan
            # (a first start, an import) PostgreSQL otherwise plans the runners' claim queries
            # for a nearly empty table and dispatch falls seconds behind (tests/bench/scheduler.py).
            cursor.execute("ANALYZE scheduled_message")


def cancel(session: Session, row_ids: Iterable[int], reason: str, now: datetime) -> int:
    """Cancel pending rows (a claimed one finds out when its claim is checked)."""
    ids = list(row_ids)
    if not ids:
        return 0
    result = session.execute(
        sa.update(TABLE)
        .where(TABLE.c.id.in_(ids), TABLE.c.status == PENDING)
        .values(status=CANCELLED, reason=reason, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim_due(session: Session, worker: str, now: datetime, limit: int) -> list[int]:
    """Take up to `limit` due rows for `worker` (urgent first, then oldest due); their ids."""
    pick = (
        sa.select(TABLE.c.id)
        .where(TABLE.c.status == PENDING, TABLE.c.due_at <= now)
        .order_by(TABLE.c.urgent.desc(), TABLE.c.due_at, TABLE.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # In a CTE, the pick runs once; as an `IN (subquery)` PostgreSQL may run it again for
        # each row it scans, and LIMIT stops limiting.
        pick = pick.with_for_update(skip_locked=True)
    picked = pick.cte("picked")
    statement = (
        sa.update(TABLE)
        .where(TABLE.c.id == picked.c.id, TABLE.c.status == PENDING)
        .values(
            status=SENDING,
            claimed_by=worker,
            claimed_at=now,
            attempts=TABLE.c.attempts + 1,
            updated_at=now,
        )
        .returning(TABLE.c.id)
    )
    return sorted(int(i) for i in session.execute(statement).scalars())


def owned(session: Session, row_id: int, worker: str) -> ScheduledMessage | None:
    row = session.get(ScheduledMessage, row_id)
    if row is None or row.status != SENDING or row.claimed_by != worker:
        return None
    return row


def finish(
    session: Session,
    row_id: int,
    worker: str,
    status: str,
    now: datetime,
    *,
    reason: str | None = None,
    due_at: datetime | None = None,
    not_an_attempt: bool = False,
) -> bool:
    """Leave the `sending` state (to `pending` again with a new `due_at` for a retry, or for a
    deferral that was `not_an_attempt`: quiet hours began before it could go)."""
    values: dict[str, Any] = {"status": status, "reason": reason, "updated_at": now}
    if status == PENDING:
        values.update(claimed_by=None, claimed_at=None, due_at=due_at)
    if not_an_attempt:
        values["attempts"] = TABLE.c.attempts - 1
    result = session.execute(
        sa.update(TABLE)
        .where(TABLE.c.id == row_id, TABLE.c.status == SENDING, TABLE.c.claimed_by == worker)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def link_message(session: Session, row_id: int, worker: str, message_id: int) -> bool:
    """Record the `sms_message` row about to be sent, in the transaction that stores it."""
    result = session.execute(
        sa.update(TABLE)
        .where(TABLE.c.id == row_id, TABLE.c.status == SENDING, TABLE.c.claimed_by == worker)
        .values(sms_message_id=message_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def next_due(session: Session) -> datetime | None:
    return session.exec(
        select(sa.func.min(ScheduledMessage.due_at)).where(ScheduledMessage.status == PENDING)
    ).one()


def claim_due_and_next(
    session: Session, worker: str, now: datetime, limit: int
) -> tuple[list[int], datetime | None]:
    """`claim_due`, and when the next pending row is due (one transaction for a runner's loop)."""
    return claim_due(session, worker, now, limit), next_due(session)


def stale_claims(session: Session, now: datetime, lease: timedelta) -> list[ScheduledMessage]:
    query = (
        select(ScheduledMessage)
        .where(ScheduledMessage.status == SENDING, col(ScheduledMessage.claimed_at) < now - lease)
        .order_by(col(ScheduledMessage.id))
        .limit(500)
    )
    return list(session.exec(query))


def unconfirmed(session: Session, since: datetime) -> list[ScheduledMessage]:
    query = (
        select(ScheduledMessage)
        .where(ScheduledMessage.status == UNCONFIRMED, col(ScheduledMessage.updated_at) >= since)
        .order_by(col(ScheduledMessage.id))
        .limit(500)
    )
    return list(session.exec(query))


def take_back(
    session: Session, row: ScheduledMessage, status: str, reason: str | None, now: datetime
) -> bool:
    """Reconciler: move a stale claim on, if nobody changed it meanwhile (same claim, same link)."""
    link = (
        TABLE.c.sms_message_id.is_(None)
        if row.sms_message_id is None
        else TABLE.c.sms_message_id == row.sms_message_id
    )
    values: dict[str, Any] = {"status": status, "reason": reason, "updated_at": now}
    if status == PENDING:
        values.update(claimed_by=None, claimed_at=None)
    result = session.execute(
        sa.update(TABLE)
        .where(
            TABLE.c.id == row.id,
            TABLE.c.status == row.status,
            TABLE.c.claimed_by == row.claimed_by,
            link,
        )
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


FINAL_STATUSES = (SENT, FAILED, DROPPED, CANCELLED)

"""Reading the database after a request, to check what it wrote (or that it wrote nothing)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from coach.database import Database
from telecoach.tables import METADATA


def table_counts(db: Database) -> dict[str, int]:
    """Rows per table: compare two snapshots to prove that a refused request changed nothing."""
    with db.engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        return {
            table.name: int(
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            )
            for table in METADATA.sorted_tables
            if table.name in present  # a table whose migration is still being written
        }


def all_rows(db: Database, model: Any, *where: Any) -> list[Any]:
    with Session(db.engine, expire_on_commit=False) as session:
        return list(session.exec(select(model).where(*where)))


def audit_actions(db: Database, *where: Any) -> list[tuple[str, int | None, str, str]]:
    """(action, patient_id, outcome, detail) of matching audit events, oldest first."""
    from coach.models import AuditEvent

    return [
        (e.action, e.patient_id, e.outcome, e.detail)
        for e in sorted(all_rows(db, AuditEvent, *where), key=lambda e: e.id)
    ]

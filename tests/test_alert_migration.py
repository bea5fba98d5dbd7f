"""Migration 0700 moves every SMS red flag and heart-rate alert into the one `alert` table with its
acknowledgement, and its downgrade puts them back (with those raised since), on SQLite and on
PostgreSQL, through `telecoach.migrate`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

import telecoach.tables  # noqa: F401  (every table in SQLModel.metadata)
from coach import alerts
from coach.database import Database
from telecoach.migrate import current_revision, downgrade, upgrade
from tests.conftest import PG_ADMIN_URL, TEST_NOW, World
from tests.factories import build_world

BEFORE = "0600"

PATIENT_ALERT = sa.table(
    "patient_alert",
    sa.column("id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("severity", sa.String),
    sa.column("summary", sa.String),
    sa.column("flags", sa.JSON),
    sa.column("source", sa.String),
    sa.column("source_ref", sa.String),
    sa.column("created_at", UTCDateTime()),
    sa.column("acknowledged_at", UTCDateTime()),
    sa.column("acknowledged_by", sa.Integer),
)
HEART_RATE_ALERT = sa.table(
    "heart_rate_alert",
    sa.column("id", sa.Integer),
    sa.column("occurrence_id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("started_at", UTCDateTime()),
    sa.column("raised_at", UTCDateTime()),
    sa.column("bpm", sa.Integer),
    sa.column("detail", sa.String),
    sa.column("acknowledged_at", UTCDateTime()),
    sa.column("acknowledged_by", sa.Integer),
)
T = TEST_NOW
ACKED = T + timedelta(minutes=5)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"telecoach_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def old_alerts(session: Session, world: World) -> None:
    """Two red flags and two heart-rate alerts, one of each acknowledged; the heart-rate ids
    overlap the red flags' on purpose."""
    session.execute(
        sa.insert(PATIENT_ALERT),
        [
            {
                "id": 3,
                "patient_id": world.patient_a,
                "kind": "red_flag",
                "severity": "urgent",
                "summary": "Reported by SMS: chest pain",
                "flags": ["chest_pain"],
                "source": "sms",
                "source_ref": "sms_message:12",
                "created_at": T,
                "acknowledged_at": ACKED,
                "acknowledged_by": world.coach_a,
            },
            {
                "id": 4,
                "patient_id": world.patient_b,
                "kind": "red_flag",
                "severity": "urgent",
                "summary": "Reported by SMS: fever",
                "flags": ["fever"],
                "source": "sms",
                "source_ref": "sms_message:13",
                "created_at": T + timedelta(minutes=1),
                "acknowledged_at": None,
                "acknowledged_by": None,
            },
        ],
    )
    session.execute(
        sa.insert(HEART_RATE_ALERT),
        [
            {
                "id": 3,
                "occurrence_id": world.occurrence_a,
                "patient_id": world.patient_a,
                "kind": "over_ceiling",
                "started_at": T - timedelta(seconds=40),
                "raised_at": T - timedelta(seconds=5),
                "bpm": 171,
                "detail": "171 bpm for 35 s",
                "acknowledged_at": ACKED,
                "acknowledged_by": world.coach_a,
            },
            {
                "id": 9,
                "occurrence_id": world.occurrence_a,
                "patient_id": world.patient_a,
                "kind": "no_signal",
                "started_at": T,
                "raised_at": T + timedelta(seconds=21),
                "bpm": 99,
                "detail": "no reading for 21 s",
                "acknowledged_at": None,
                "acknowledged_by": None,
            },
        ],
    )


def rows(session: Session, table: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in session.execute(sa.select(table).order_by(table.c.id))]


def _lend_newer_columns(url: str) -> list[tuple[str, str]]:
    """The world is built with today's models, which know columns that later migrations add to
    tables older than BEFORE (a staff member's language, a patient's way to join): lend those
    columns to the old schema while it is built; `_take_back` drops them before the upgrade."""
    engine = sa.create_engine(url)
    lent = []
    try:
        inspector = sa.inspect(engine)
        with engine.begin() as connection:
            for table in SQLModel.metadata.sorted_tables:
                if not inspector.has_table(table.name):
                    continue
                have = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in have:
                        kind = column.type.compile(dialect=engine.dialect)
                        connection.execute(
                            sa.text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                        )
                        lent.append((table.name, column.name))
    finally:
        engine.dispose()
    return lent


def _take_back(url: str, lent: list[tuple[str, str]]) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for table, column in lent:
                connection.execute(sa.text(f'ALTER TABLE "{table}" DROP COLUMN "{column}"'))
    finally:
        engine.dispose()


def test_every_alert_and_acknowledgement_comes_across_and_back(empty_url: str) -> None:
    upgrade(empty_url, BEFORE)
    lent = _lend_newer_columns(empty_url)
    db = Database(empty_url)
    try:
        world = db.run_sync(build_world, T)
        db.run_sync(old_alerts, world)
        _take_back(empty_url, lent)
        before = (db.run_sync(rows, PATIENT_ALERT), db.run_sync(rows, HEART_RATE_ALERT))

        upgrade(empty_url)
        moved = db.run_sync(
            lambda s: list(s.exec(select(alerts.Alert).order_by(col(alerts.Alert.id))))
        )
        red = [a for a in moved if a.kind == "red_flag"]
        assert [(a.id, a.patient_id, a.flags, a.summary, a.source_ref) for a in red] == [
            (3, world.patient_a, ["chest_pain"], "Reported by SMS: chest pain", "sms_message:12"),
            (4, world.patient_b, ["fever"], "Reported by SMS: fever", "sms_message:13"),
        ]
        assert [(a.severity, a.raised_at, a.occurrence_id) for a in red] == [
            ("urgent", T, None),
            ("urgent", T + timedelta(minutes=1), None),
        ]
        hr = [a for a in moved if a.kind != "red_flag"]
        assert [(a.kind, a.severity, a.source_ref, a.bpm, a.detail) for a in hr] == [
            ("over_ceiling", "warning", "heart_rate_alert:3", 171, "171 bpm for 35 s"),
            ("no_signal", "info", "heart_rate_alert:9", 99, "no reading for 21 s"),
        ]
        assert [(a.occurrence_id, a.started_at, a.raised_at, a.flags) for a in hr] == [
            (world.occurrence_a, T - timedelta(seconds=40), T - timedelta(seconds=5), []),
            (world.occurrence_a, T, T + timedelta(seconds=21), []),
        ]
        assert all(a.id is not None and a.id > 4 for a in hr)  # after the red flags' ids
        acks = {(a.kind, a.acknowledged_at, a.acknowledged_by) for a in moved}
        assert acks == {
            ("red_flag", ACKED, world.coach_a),
            ("red_flag", None, None),
            ("over_ceiling", ACKED, world.coach_a),
            ("no_signal", None, None),
        }
        assert [a.id for a in db.run_sync(alerts.open_alerts, [world.patient_a])] == [
            hr[1].id  # the chest pain was acknowledged; the silence was not
        ]

        def raise_new(session: Session) -> None:  # ids run on after the copied rows
            alerts.raise_alert(session, world.patient_a, "red_flag", "fall", ["fall"], "sms")
            new = alerts.raise_episode(
                session, world.patient_a, world.occurrence_a, "sudden_drop", T, T, 90, "drop"
            )
            assert new is not None and new.id == max(a.id or 0 for a in moved) + 2

        db.run_sync(raise_new)

        downgrade(empty_url, BEFORE)
        assert current_revision(empty_url) == BEFORE
        red_back, hr_back = db.run_sync(rows, PATIENT_ALERT), db.run_sync(rows, HEART_RATE_ALERT)
        assert red_back[:2] == before[0] and hr_back[:2] == before[1]
        assert [(r["kind"], r["summary"]) for r in red_back[2:]] == [("red_flag", "fall")]
        assert [(r["kind"], r["detail"], r["started_at"]) for r in hr_back[2:]] == [
            ("sudden_drop", "drop", T)
        ]
        assert hr_back[2]["id"] > 9  # clear of the ids given back
    finally:
        db.dispose()

"""alert: one table for every alert that asks a coach to act (SMS red flags and heart-rate alerts),
with every row of patient_alert and heart_rate_alert copied over, acknowledgements included

Red flags keep their ids (the audit trail's "alert N" for alert.read and alert.acknowledge). A
heart-rate alert gets a new id after them; its old one stays readable in `source_ref`
("heart_rate_alert:N", for the audit trail's heart_rate.alert.* lines), and a downgrade gives it
back. Alerts raised after the upgrade go back down by kind: those of a class to heart_rate_alert,
the others to patient_alert.

Revision ID: 0700
Revises: 0600
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0700"
down_revision: str | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_HR_REF = "heart_rate_alert:"  # source_ref of a heart-rate alert copied up: its old id follows
# The SQL below is put together from this file's constants only (S608 would have it otherwise):
# one statement per copy, the same text on both engines but for a JSON literal and a sequence.


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _restart_ids(table: str) -> None:
    """After rows went in with their ids given, PostgreSQL's sequence must start above them
    (SQLite takes the highest id plus one by itself)."""
    if _postgresql():
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("bpm", sa.Integer(), nullable=True),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("raised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["staff_user.id"]),
        sa.ForeignKeyConstraint(["occurrence_id"], ["class_occurrence.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "patient_id", "kind", "occurrence_id", "started_at", name="uq_alert_episode"
        ),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_occurrence_id"), ["occurrence_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_raised_at"), ["raised_at"], unique=False)

    op.execute(
        "INSERT INTO alert (id, patient_id, occurrence_id, kind, severity, summary, detail, flags,"
        " source, source_ref, bpm, started_at, raised_at, acknowledged_at, acknowledged_by)"
        " SELECT id, patient_id, NULL, kind, severity, summary, '', flags,"
        " source, source_ref, NULL, NULL, created_at, acknowledged_at, acknowledged_by"
        " FROM patient_alert"
    )
    _restart_ids("alert")
    # Severities as coach/alerts.py gives them: no signal is `info`, the other kinds `warning`.
    no_flags = "CAST('[]' AS JSON)" if _postgresql() else "'[]'"
    op.execute(
        "INSERT INTO alert (patient_id, occurrence_id, kind, severity, summary, detail, flags,"  # noqa: S608
        " source, source_ref, bpm, started_at, raised_at, acknowledged_at, acknowledged_by)"
        " SELECT patient_id, occurrence_id, kind,"
        " CASE kind WHEN 'no_signal' THEN 'info' ELSE 'warning' END, '', detail, "
        + no_flags
        + f", 'live', '{OLD_HR_REF}' || CAST(id AS VARCHAR(20)), bpm, started_at, raised_at,"
        " acknowledged_at, acknowledged_by"
        " FROM heart_rate_alert ORDER BY id"
    )

    with op.batch_alter_table("heart_rate_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_heart_rate_alert_patient_id"))
        batch_op.drop_index(batch_op.f("ix_heart_rate_alert_occurrence_id"))
    op.drop_table("heart_rate_alert")
    with op.batch_alter_table("patient_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_alert_patient_id"))
        batch_op.drop_index(batch_op.f("ix_patient_alert_created_at"))
    op.drop_table("patient_alert")


def downgrade() -> None:
    op.create_table(
        "patient_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["staff_user.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient_alert", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_alert_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_patient_alert_patient_id"), ["patient_id"], unique=False
        )
    op.create_table(
        "heart_rate_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("raised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("bpm", sa.Integer(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["staff_user.id"]),
        sa.ForeignKeyConstraint(["occurrence_id"], ["class_occurrence.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("occurrence_id", "patient_id", "kind", "started_at"),
    )
    with op.batch_alter_table("heart_rate_alert", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_heart_rate_alert_occurrence_id"), ["occurrence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_heart_rate_alert_patient_id"), ["patient_id"], unique=False
        )

    op.execute(
        "INSERT INTO patient_alert (id, patient_id, kind, severity, summary, flags, source,"
        " source_ref, created_at, acknowledged_at, acknowledged_by)"
        " SELECT id, patient_id, kind, severity, summary, flags, source,"
        " source_ref, raised_at, acknowledged_at, acknowledged_by"
        " FROM alert WHERE occurrence_id IS NULL"
    )
    _restart_ids("patient_alert")
    columns = (
        "occurrence_id, patient_id, kind, started_at, raised_at, bpm, detail,"
        " acknowledged_at, acknowledged_by"
    )
    values = (
        "occurrence_id, patient_id, kind, COALESCE(started_at, raised_at), raised_at, bpm,"
        " SUBSTR(detail, 1, 200), acknowledged_at, acknowledged_by"
    )
    old_id = f"CAST(SUBSTR(source_ref, {len(OLD_HR_REF) + 1}) AS INTEGER)"
    copied_up = f"source_ref LIKE '{OLD_HR_REF}%'"
    # Those that came up from heart_rate_alert first, with their old ids; then the newer ones.
    op.execute(
        f"INSERT INTO heart_rate_alert (id, {columns}) SELECT {old_id}, {values}"  # noqa: S608
        f" FROM alert WHERE occurrence_id IS NOT NULL AND {copied_up}"
    )
    _restart_ids("heart_rate_alert")
    op.execute(
        f"INSERT INTO heart_rate_alert ({columns}) SELECT {values}"  # noqa: S608
        f" FROM alert WHERE occurrence_id IS NOT NULL"
        f" AND (source_ref IS NULL OR NOT {copied_up}) ORDER BY id"
    )

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_raised_at"))
        batch_op.drop_index(batch_op.f("ix_alert_patient_id"))
        batch_op.drop_index(batch_op.f("ix_alert_occurrence_id"))
    op.drop_table("alert")

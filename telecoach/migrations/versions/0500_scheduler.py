"""Scheduler: the outbox of due work (scheduled_message), reminder settings, SMS coaching plans.

Revision ID: 0500
Revises: 0300
Create Date: 2026-11-22 02:18:28.857292
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0500"
down_revision: str | None = "0300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("offsets_minutes", sa.JSON(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(series_id IS NULL) <> (patient_id IS NULL)", name="ck_reminder_preference_owner"
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["class_series.id"],
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["staff_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", name="uq_reminder_preference_patient"),
        sa.UniqueConstraint("series_id", name="uq_reminder_preference_series"),
    )
    op.create_table(
        "coaching_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("days", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("coaching_time", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("fatigue_time", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("effort_time", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescription.id"],
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["staff_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id"),
    )
    op.create_table(
        "scheduled_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("occurrence_id", sa.Integer(), nullable=True),
        sa.Column("planned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("deliver_by", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=1600), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sms_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["class_occurrence.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["class_series.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "purpose", "ref", name="uq_scheduled_message_key"),
    )
    with op.batch_alter_table("scheduled_message", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_message_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scheduled_message_occurrence_id"), ["occurrence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scheduled_message_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scheduled_message_series_id"), ["series_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scheduled_message_sms_message_id"), ["sms_message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("scheduled_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_message_sms_message_id"))
        batch_op.drop_index(batch_op.f("ix_scheduled_message_series_id"))
        batch_op.drop_index(batch_op.f("ix_scheduled_message_patient_id"))
        batch_op.drop_index(batch_op.f("ix_scheduled_message_occurrence_id"))
        batch_op.drop_index("ix_scheduled_message_due")

    op.drop_table("scheduled_message")
    op.drop_table("coaching_plan")
    op.drop_table("reminder_preference")

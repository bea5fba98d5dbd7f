"""home_session: a session a patient runs at home from "Today's session", no class needed
(issue 20): its minutes, time in zone, cues, and the patient's RPE and symptoms at the end

Revision ID: 0800
Revises: 0710
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0800"
down_revision: str | None = "0710"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "home_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("with_strap", sa.Boolean(), nullable=False),
        sa.Column("planned_main_minutes", sa.Integer(), nullable=False),
        sa.Column("start_effort", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("main_minutes", sa.Float(), nullable=False),
        sa.Column("time_in_zone_s", sa.Float(), nullable=False),
        sa.Column("over_ceiling_s", sa.Float(), nullable=False),
        sa.Column("over_run_s", sa.Float(), nullable=False),
        sa.Column("last_t_ms", sa.BigInteger(), nullable=True),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.Column("cues", sa.Integer(), nullable=False),
        sa.Column("rpe", sa.Integer(), nullable=True),
        sa.Column("fatigue", sa.Integer(), nullable=True),
        sa.Column("symptoms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("home_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_home_session_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("home_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_home_session_patient_id"))
    op.drop_table("home_session")

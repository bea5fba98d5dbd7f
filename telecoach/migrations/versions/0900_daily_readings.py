"""daily_reading (resting heart rate, steps, temperature per patient and local day), and on alert
the evidence of a daily-data warning and the outcome the coach recorded for it

Revision ID: 0900
Revises: 0850
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0900"
down_revision: str | None = "0850"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("resting_hr", sa.Integer(), nullable=True),
        sa.Column("steps", sa.Integer(), nullable=True),
        sa.Column("temp_c", sa.Float(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "day", name="uq_daily_reading_day"),
    )
    with op.batch_alter_table("daily_reading", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_daily_reading_patient_id"), ["patient_id"], unique=False
        )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("outcome_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("outcome_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_alert_outcome_by_staff_user", "staff_user", ["outcome_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_outcome_by_staff_user", type_="foreignkey")
        batch_op.drop_column("outcome_by")
        batch_op.drop_column("outcome_at")
        batch_op.drop_column("outcome")
        batch_op.drop_column("evidence")
    with op.batch_alter_table("daily_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daily_reading_patient_id"))
    op.drop_table("daily_reading")

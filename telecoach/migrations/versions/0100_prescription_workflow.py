"""Prescription workflow: weekly progression proposals; one approved prescription per patient.

Revision ID: 0100
Revises: 0001
Create Date: 2026-11-22 02:10:41.414268
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0100"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "progression_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=False),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("proposal", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["prescription.id"],
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["staff_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["prescription.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("patient_id", "week_start"),
    )
    with op.batch_alter_table("progression_proposal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progression_proposal_patient_id"), ["patient_id"], unique=False
        )

    with op.batch_alter_table("prescription", schema=None) as batch_op:
        batch_op.create_index(
            "uq_prescription_one_approved",
            ["patient_id"],
            unique=True,
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("prescription", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_prescription_one_approved",
            sqlite_where=sa.text("status = 'approved'"),
            postgresql_where=sa.text("status = 'approved'"),
        )

    with op.batch_alter_table("progression_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progression_proposal_patient_id"))

    op.drop_table("progression_proposal")

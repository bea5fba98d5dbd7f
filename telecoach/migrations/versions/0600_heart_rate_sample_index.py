"""heart_rate_sample: drop the index on patient_id alone, which the unique (patient_id, t) covers

Revision ID: 0600
Revises: 0500
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0600"
down_revision: str | None = "0500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("heart_rate_sample", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_heart_rate_sample_patient_id"))


def downgrade() -> None:
    with op.batch_alter_table("heart_rate_sample", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_heart_rate_sample_patient_id"), ["patient_id"], unique=False
        )

"""daily_reading.infusion: a patient's infusion (treatment) days, marked by the coach or sent with
the daily data, read by the early-warning detectors

Revision ID: 0970
Revises: 0960
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0970"
down_revision: str | None = "0960"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("daily_reading") as batch:
        batch.add_column(
            sa.Column("infusion", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("daily_reading") as batch:
        batch.drop_column("infusion")

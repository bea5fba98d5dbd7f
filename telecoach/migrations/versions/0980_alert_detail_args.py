"""alert.detail_args: the numbers of a heart-rate alert's measurement ("129 bpm, above the
ceiling of 110 for 31 s"), so each reader sees the sentence in their own language; `detail` keeps
the English one, for rows written before and for logs

Revision ID: 0980
Revises: 0970
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0980"
down_revision: str | None = "0970"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("detail_args", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("detail_args")

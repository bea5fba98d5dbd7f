"""home_session.usual_rise_bpm and rise_bpm: the warm-up check (rule cue.warm_up_check) keeps the
rise from the warm-up to the main pace each session showed, and the usual one it was checked
against

Revision ID: 0990
Revises: 0980
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0990"
down_revision: str | None = "0980"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("home_session") as batch:
        batch.add_column(sa.Column("usual_rise_bpm", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rise_bpm", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("home_session") as batch:
        batch.drop_column("rise_bpm")
        batch.drop_column("usual_rise_bpm")

"""home_session.trace: the session's heart rate in 15-second means, with its phases and the zone
it was judged against, for the coach's chart on the progress report (coach/home_trace.py)

Revision ID: 1000
Revises: 0990
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1000"
down_revision: str | None = "0990"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("home_session") as batch:
        batch.add_column(sa.Column("trace", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("home_session") as batch:
        batch.drop_column("trace")

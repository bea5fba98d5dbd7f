"""patient.join_by (how a patient joins a live class: browser or phone) and voice_token.ended_by
(why the room ended a call: which goodbye the caller hears)

Revision ID: 0960
Revises: 0950
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0960"
down_revision: str | None = "0950"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.add_column(
            sa.Column(
                "join_by",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="browser",
            )
        )
    with op.batch_alter_table("voice_token") as batch:
        batch.add_column(
            sa.Column("ended_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("voice_token") as batch:
        batch.drop_column("ended_by")
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("join_by")

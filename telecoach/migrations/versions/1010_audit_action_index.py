"""audit_event (action, at): a class's room events over a span of time (coach/room_events.py) are
found without reading every other audit row written in that span

Revision ID: 1010
Revises: 1000
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "1010"
down_revision: str | None = "1000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_event_action_at", "audit_event", ["action", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_event_action_at", table_name="audit_event")

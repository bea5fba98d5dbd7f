"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory

from telecoach.migrate import alembic_config, current_revision


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    config = alembic_config(database_url)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert current_revision(database_url) == head
    command.check(config)  # raises when the models need a migration nobody wrote


def test_migrations_form_one_line(database_url: str) -> None:
    heads = ScriptDirectory.from_config(alembic_config(database_url)).get_heads()
    assert len(heads) == 1, f"migration branches need merging: {heads}"

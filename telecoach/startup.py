"""What every `telecoach` command starts with: the settings (or a clear refusal) and a database
brought up to date, closed when the command ends."""

from __future__ import annotations

import sys

import click

from coach.database import Database
from telecoach.migrate import upgrade
from telecoach.settings import Settings, SettingsError


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        click.echo("telecoach: refusing to start:", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(2)


def open_database() -> tuple[Settings, Database]:
    """The settings and their database; SQLite is migrated first (the embedded default has no
    separate `db upgrade` step). The pool closes when the command ends, however it ends."""
    settings = load_settings()
    if settings.is_sqlite:
        upgrade(settings.database_url)
    database = Database(settings.database_url)
    click.get_current_context().call_on_close(database.dispose)
    return settings, database

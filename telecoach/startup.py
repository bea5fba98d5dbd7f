"""What every `telecoach` command starts with: the settings (or a clear refusal) and a database
brought up to date, closed when the command ends."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace

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


def served_here(settings: Settings, host: str, port: int, environ: Mapping[str, str]) -> Settings:
    """In dev mode with no PUBLIC_BASE_URL set, the public URL is where this process serves, so
    `serve --port 8001` prints sign-in and join links that open (not the default's port 8000) and
    the page's socket origin check agrees. Production always names its public URL."""
    if settings.production or environ.get("PUBLIC_BASE_URL", "").strip():
        return settings
    return replace(settings, public_base_url=local_url(host, port))


def local_url(host: str, port: int) -> str:
    """Where this machine reaches a server listening on `host`: loopback for all addresses."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (listening on all; we reach it on loopback)
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

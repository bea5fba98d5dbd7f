"""`telecoach serve --demo` streams simulated heart rates into the demo class, so the coach's tiles
move without a sensor: `telecoach simulate-hr` runs beside the server as a child process while a
demo class is on (from 30 minutes before it starts to 30 minutes after it ends)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

import click
from sqlmodel import col, select

from coach.database import Database
from coach.models import ClassOccurrence, utcnow
from rtc.heart_rate.ingest import OCCURRENCE_SLACK
from telecoach.startup import local_url


def occurrence_on_now(database_url: str) -> int | None:
    """The class occurrence readings may be sent for now, if any (the earliest)."""
    database = Database(database_url)
    now = utcnow()
    try:
        found: int | None = database.run_sync(
            lambda session: session.exec(
                select(ClassOccurrence.id)
                .where(col(ClassOccurrence.starts_at) <= now + OCCURRENCE_SLACK)
                .where(col(ClassOccurrence.ends_at) >= now - OCCURRENCE_SLACK)
                .where(ClassOccurrence.status != "cancelled")
                .order_by(col(ClassOccurrence.starts_at))
            ).first()
        )
        return found
    finally:
        database.dispose()


@contextlib.contextmanager
def simulated_heart_rates(database_url: str, host: str, port: int) -> Iterator[None]:
    occurrence_id = occurrence_on_now(database_url)
    if occurrence_id is None:
        click.echo(
            "no class is on now: no simulated heart rates (during one, run "
            "`telecoach simulate-hr --occurrence <id>`)"
        )
        yield
        return
    click.echo(f"simulated heart rates stream into class occurrence {occurrence_id}")
    # It retries until the server answers, so it may start before the server is listening.
    child = subprocess.Popen(  # noqa: S603 (our own command, arguments built here)
        [
            sys.executable,
            "-m",
            "telecoach.cli",
            "simulate-hr",
            "--occurrence",
            str(occurrence_id),
            "--url",
            local_url(host, port),
            "--quiet",  # the server's own log is the one to read; the sign-in stays last
        ]
    )
    try:
        yield
    finally:
        child.terminate()  # it revokes the device tokens it issued on the way out
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()

"""The demo data on a real server, for browser tests: its join links, its first class's roster,
and the coach's console on it."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlmodel import col, select

from coach.database import Database
from coach.models import ClassOccurrence, Enrollment, Patient
from tests.browser.conftest import LiveServer


def seed_demo(server: LiveServer) -> dict[str, str]:
    """Seeds the demo; each patient's join link by name."""
    seeded = server.cli("demo").stdout
    return dict(
        line.removeprefix("join link for ").split(": ", 1)
        for line in seeded.splitlines()
        if line.startswith("join link for ")
    )


def demo_class(server: LiveServer) -> tuple[int, list[tuple[str, int, str]]]:
    """The first demo occurrence and its enrolled patients: (name, id, language), by id."""
    database = Database(f"sqlite:///{server.env['TELECOACH_VAR_DIR']}/telecoach.db")

    def load(session):  # type: ignore[no-untyped-def]
        occurrence = session.exec(
            select(ClassOccurrence).order_by(col(ClassOccurrence.starts_at))
        ).first()
        enrolled = session.exec(
            select(Patient.name, Patient.id, Patient.language)
            .join(Enrollment, col(Enrollment.patient_id) == col(Patient.id))
            .where(Enrollment.series_id == occurrence.series_id)
            .order_by(col(Patient.id))
        ).all()
        return occurrence.id, [tuple(row) for row in enrolled]

    try:
        return database.run_sync(load)
    finally:
        database.dispose()


def open_console(console: Page, server: LiveServer, occurrence: int) -> None:
    """The demo coach signs in and opens the class's console, its heart rates live."""
    console.goto(f"{server.url}/login")
    console.get_by_label("Email").fill("coach@example.org")
    console.get_by_label("Password").fill("telecoach-demo")
    console.get_by_role("button", name="Sign in").click()
    expect(console.get_by_role("heading", name="Dashboard")).to_be_visible()
    console.goto(f"{server.url}/classes/occurrences/{occurrence}/console")
    expect(console.locator("#hr-status")).to_have_text("Live.")

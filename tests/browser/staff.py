"""The coach every browser test starts from: created with `telecoach create-user` on the live
server, and signed in through the real login form; and the plan such a coach approves."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Page
from sqlmodel import Session

from coach import prescriptions
from coach.demo_profiles import DEMO_PATIENTS
from coach.engine import prescribe
from coach.profile import parse_profile
from coach.rules import load_rules
from tests.browser.conftest import LiveServer

COACH_EMAIL = "coach@example.org"
COACH_NAME = "Dana Rivera"
COACH_PASSWORD = "a long demo password"


def create_coach(
    server: LiveServer,
    *,
    name: str | None = COACH_NAME,
    time_zone: str | None = None,
    language: str | None = None,
    password: str = COACH_PASSWORD,
) -> None:
    """The coach, through the CLI a clinic uses; only the options given are passed."""
    options = ["--email", COACH_EMAIL, "--role", "coach"]
    for flag, value in (("--name", name), ("--time-zone", time_zone), ("--language", language)):
        if value is not None:
            options += [flag, value]
    server.cli("create-user", *options, "--password-stdin", stdin=password + "\n")


def sign_in(page: Page, password: str = COACH_PASSWORD) -> None:
    """Fill the login form the page shows (after a redirect to it, or on /login itself)."""
    page.get_by_label("Email").fill(COACH_EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def choose_language(page: Page, language: str, base_url: str = "") -> None:
    """The signed-in staff member's page language, set on "My settings" (`base_url` where the
    page's context has none)."""
    page.goto(f"{base_url}/account/settings")
    page.select_option("#f-language", language)
    page.locator('main form[action="/account/settings"] button[type=submit]').click()
    page.wait_for_url("**/account/settings?**")


# The demo's Ada: an approved 30-minute walk in a 107-127 zone.
ADA = next(p for p in DEMO_PATIENTS if p["key"] == "ada_post_treatment")


def approve_ada_plan(server: LiveServer, patient_id: int) -> None:
    """Ada's prescription, approved for `patient_id` in the live server's database, so that
    today's session at home has a plan to show."""
    data = prescribe(parse_profile(ADA["profile"]), load_rules(None)).to_json()

    def approve(session: Session) -> None:
        prescriptions.create_approved(
            session, patient_id, data, ADA["profile"], None, datetime.now().astimezone()
        )

    server.run_sync(approve)

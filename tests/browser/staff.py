"""The coach every browser test starts from: created with `telecoach create-user` on the live
server, and signed in through the real login form."""

from __future__ import annotations

from playwright.sync_api import Page

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

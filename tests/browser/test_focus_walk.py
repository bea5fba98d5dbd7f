"""Tab through the whole of the demo's main pages, staff and patient, in headless Chromium: at
every stop the focus shows, is not covered and is not cut off (WCAG 2.4.7, 2.4.11), and the walk
reaches the end of the page (no trap, 2.1.2). The live class pages have their own journey
(tests/rtc/test_browser_keyboard.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.keyboard import FOCUS_STOP
from tests.heart_rate.demo_pages import demo_class, open_console, seed_demo

pytestmark = pytest.mark.browser
MOST_STOPS = 200


def _walk(page: Page, url: str) -> int:
    """Tab from the top to the end of the page at `url`; the number of stops."""
    page.goto(url)
    for count in range(MOST_STOPS):
        page.keyboard.press("Tab")
        found = page.evaluate(FOCUS_STOP)
        if found["problem"] == "nothing has focus":
            return count  # past the last stop
        assert not found["problem"], f"{url}, stop {count + 1}: {found}"
    raise AssertionError(f"{url}: still going after {MOST_STOPS} stops")


def test_every_stop_on_the_main_pages_shows_its_focus(
    live_server: LiveServer, browser: Browser
) -> None:
    links = seed_demo(live_server)
    occurrence, roster = demo_class(live_server)
    patient_id = roster[0][1]
    coach = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = coach.new_page()
        open_console(page, live_server, occurrence)
        for path in (
            "/dashboard",
            "/classes",
            "/classes/new",
            "/patients/new",
            "/patients/import",
            f"/patients/{patient_id}",
            f"/patients/{patient_id}/daily",
            f"/classes/occurrences/{occurrence}/monitor",
            "/account/settings",
            "/account/tokens",
        ):
            assert _walk(page, live_server.url + path) > 3, path
    finally:
        coach.close()
    patient = browser.new_context(viewport={"width": 360, "height": 640})
    try:
        page = patient.new_page()
        name = roster[0][0]
        page.goto(links[name])
        expect(page.locator("h1")).to_contain_text(name)
        for path in (
            "/me",
            "/me/session",
            f"/me/classes/{occurrence}",
            f"/me/heart-rate/{occurrence}",
        ):
            assert _walk(page, live_server.url + path) > 3, path
    finally:
        patient.close()

"""In headless Chromium against a real server with the demo data: the class console carries the
heart-rate tiles and urgent alerts; the patient's class room shows their own rate and target band.
A reading sent from the patient's room shows on the coach's tile, and a red-flag text from the
simulated phone appears in the console at once and is acknowledged there; a class's minor alerts,
repeats folded, go in one click."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from coach import alerts
from coach.database import Database
from coach.models import utcnow
from tests.browser.conftest import ARTIFACTS, LiveServer, browser, live_server  # noqa: F401
from tests.heart_rate.demo_pages import demo_class, open_console, seed_demo

pytestmark = pytest.mark.browser


def _raise_in_server(
    server: LiveServer, occurrence: int, patient_id: int, kinds: list[str]
) -> None:
    """Episodes stored as the server's monitor stores them, one minute apart."""
    database = Database(f"sqlite:///{server.env['TELECOACH_VAR_DIR']}/telecoach.db")
    began = utcnow() - timedelta(minutes=10)

    def store(session):  # type: ignore[no-untyped-def]
        for n, kind in enumerate(kinds):
            at = began + timedelta(minutes=n)
            alerts.raise_episode(session, patient_id, occurrence, kind, at, at, 80, kind)

    try:
        database.run_sync(store)
    finally:
        database.dispose()


def test_console_shows_heart_rate_and_an_urgent_text_the_coach_acknowledges(
    live_server: LiveServer,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    links = seed_demo(live_server)
    occurrence, roster = demo_class(live_server)
    enrolled = {name: patient_id for name, patient_id, _ in roster}
    name, join_url = next((n, url) for n, url in links.items() if n in enrolled)
    patient_id = enrolled[name]

    coach = browser.new_context()
    console = coach.new_page()
    open_console(console, live_server, occurrence)
    expect(console.locator(".hr-tile")).to_have_count(len(enrolled))
    tile = console.locator(f'.hr-tile[data-patient="{patient_id}"]')
    expect(tile.locator(".hr-name")).to_have_text(name)

    patient_context = browser.new_context()
    room = patient_context.new_page()
    room.goto(join_url)
    room.goto(f"{live_server.url}/me/classes/{occurrence}")
    expect(room.locator("#hr-me .hr-target")).to_be_visible()  # the band, before joining video
    room.wait_for_function("() => window.hrSender && window.hrSender.socket?.readyState === 1")
    room.evaluate("() => window.hrSender.send(104, [577])")
    expect(room.locator("#hr-own-bpm")).to_have_text("104")
    expect(tile.locator(".hr-bpm")).to_have_text("104 bpm")

    phone = coach.new_page()  # the simulated phone, in demo mode, replying as the patient
    phone.goto(f"{live_server.url}/dev/phone/{patient_id}")
    phone.get_by_label(f"Reply as {name}").fill("I have chest pain, stopping")
    phone.get_by_role("button", name="Send").click()
    urgent = console.locator(".hr-alert.urgent.open")
    expect(urgent).to_have_count(1)
    expect(urgent).to_contain_text(f"Urgent · {name}")
    expect(urgent).to_contain_text("chest pain")
    expect(urgent.get_by_role("link", name="Messages")).to_have_attribute(
        "href", f"/inbox/{patient_id}"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    console.screenshot(path=str(ARTIFACTS / "console-urgent-alert.png"), full_page=True)
    urgent.get_by_role("button", name="Acknowledge").click()
    expect(console.locator(".hr-alert.urgent.acknowledged")).to_contain_text("acknowledged")

    console.reload()  # acknowledged alerts do not come back
    expect(console.locator("#hr-status")).to_have_text("Live.")
    expect(console.locator(".hr-alert.urgent")).to_have_count(0)

    # Minor alerts of the class (two silences of one patient fold into one) go in one click.
    _raise_in_server(live_server, occurrence, patient_id, ["no_signal", "no_signal", "sudden_drop"])
    console.reload()
    minor = console.locator('.hr-alert.open:is([data-kind="no_signal"], [data-kind="sudden_drop"])')
    expect(minor).to_have_count(2)
    expect(console.locator('.hr-alert[data-kind="no_signal"]')).to_contain_text("2 times")
    console.screenshot(path=str(ARTIFACTS / "console-minor-alerts.png"), full_page=True)
    console.get_by_role("button", name="Acknowledge all but urgent").click()
    expect(console.locator(".hr-alert.acknowledged")).to_have_count(2)
    # A warning from daily data (the demo's Grace, drifting away) is not the class's to clear.
    expect(console.locator('.hr-alert.open[data-kind="disengagement"]')).to_have_count(1)
    expect(console.get_by_role("button", name="Acknowledge all but urgent")).to_be_hidden()
    coach.close()
    patient_context.close()

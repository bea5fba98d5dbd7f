"""In a real browser against a real server: the compose box counts segments as the coach types, a
message goes out, and the phone simulator shows it and answers a reply."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, browser, live_server  # noqa: F401 (fixtures)
from tests.browser.staff import create_coach, sign_in

pytestmark = pytest.mark.browser

CSV = """name,phone,time_zone,coach_email,language,sms_only,sms_consent
Rosa Morales,+15555550111,America/Chicago,coach@example.org,es,true,true
"""
PASSWORD = "a long demo password"


def _sign_in(server: LiveServer, page: Page) -> None:
    page.goto(f"{server.url}/login")
    sign_in(page, PASSWORD)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def _signed_in_with_rosa(server: LiveServer, chromium: Browser, tmp_path: Path) -> Page:
    """A coach with one SMS-only patient, Rosa, signed in on a new page."""
    create_coach(server, name=None, password=PASSWORD)
    (tmp_path / "p.csv").write_text(CSV)
    server.cli("import-patients", str(tmp_path / "p.csv"))
    page = chromium.new_page()
    _sign_in(server, page)
    return page


def test_compose_count_send_and_reply_from_the_simulated_phone(
    live_server: LiveServer,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    page = _signed_in_with_rosa(live_server, browser, tmp_path)
    try:
        page.get_by_role("navigation").get_by_role("link", name="SMS inbox").click()  # the header's
        page.get_by_role("link", name="Rosa Morales").click()
        box = page.get_by_label("Write a message")
        counter = page.locator("#sms-segments")
        box.fill("a" * 161)
        expect(counter).to_have_text("161 characters · 2 segments (GSM-7)")
        box.fill("¿Cómo te fue hoy? 💪")
        expect(counter).to_have_text("19 characters · 1 segment (UCS-2)")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator(".sms-out .sms-body")).to_have_text("¿Cómo te fue hoy? 💪")
        # Or later: the picker starts at the patient's next morning, which one click takes.
        later = page.get_by_label("Day and time, in the patient's time (America/Chicago)")
        expect(later).to_have_value(re.compile(r"\d{4}-\d{2}-\d{2}T09:30"))
        box.fill("Mañana caminamos juntas")
        page.get_by_role("button", name="Send at this time").click()
        planned = page.locator("section.planned li")
        expect(planned).to_have_count(1)
        expect(planned).to_contain_text("Mañana caminamos juntas")
        expect(page.locator(".sms-out .sms-body")).to_have_count(1)  # not sent now

        page.goto(f"{live_server.url}/dev/phone")
        page.get_by_role("link", name="Rosa Morales").click()
        page.get_by_label("Reply as Rosa Morales").fill("me siento mareada")
        page.get_by_role("button", name="Send", exact=True).click()
        bubbles = page.locator(".bubble")
        expect(bubbles).to_have_count(3)
        expect(bubbles.nth(2)).to_contain_text("Deje de hacer ejercicio ahora")
        page.goto(f"{live_server.url}/dashboard")
        expect(page.get_by_role("alert")).to_contain_text("Reported by SMS: dizziness")

        # The counter speaks the coach's language too (its words come with the page).
        page.goto(f"{live_server.url}/account/settings")
        page.locator("select[name=language]").select_option("es")
        page.get_by_role("button", name="Save").click()
        page.goto(f"{live_server.url}/inbox")
        page.get_by_role("link", name="Rosa Morales").click()
        counter = page.locator("#sms-segments")
        page.locator("#sms-body").fill("a" * 161)
        expect(counter).to_have_text("161 caracteres · 2 segmentos (GSM-7)")
        page.locator("#sms-body").fill("¿Cómo te fue hoy? 💪")
        expect(counter).to_have_text("19 caracteres · 1 segmento (UCS-2)")
    finally:
        page.close()


def test_a_refused_message_comes_back_counted(
    live_server: LiveServer,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A message naming a treatment is refused and sent back in the box: its count is shown at once,
    not "0 characters" until the coach types again."""
    page = _signed_in_with_rosa(live_server, browser, tmp_path)
    try:
        page.goto(f"{live_server.url}/inbox")
        page.get_by_role("link", name="Rosa Morales").click()
        page.get_by_label("Write a message").fill("How did the chemo go?")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#sms-error")).to_be_visible()
        expect(page.get_by_label("Write a message")).to_have_value("How did the chemo go?")
        expect(page.locator("#sms-segments")).to_have_text("21 characters · 1 segment (GSM-7)")
    finally:
        page.close()

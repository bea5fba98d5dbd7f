"""The check-in card on a browser patient's /me page after a warning, on a phone-sized screen
(390x844) in English and Spanish; answering it thanks the patient and stores the temperature.
Screenshots go to test-artifacts/daily/."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import select

from coach.database import Database
from coach.models import Patient
from tests.browser.conftest import ARTIFACTS, LiveServer, browser, live_server
from tests.daily.helpers import readings, steady_then_sick

pytestmark = pytest.mark.browser
__all__ = ["browser", "live_server"]
SHOTS = ARTIFACTS / "daily"


def test_a_warned_patient_answers_the_checkin_card(
    live_server: LiveServer, browser: Browser
) -> None:
    seeded = live_server.cli("demo").stdout
    links = dict(
        line.removeprefix("join link for ").split(": ", 1)
        for line in seeded.splitlines()
        if line.startswith("join link for ")
    )
    database = Database(f"sqlite:///{live_server.env['TELECOACH_VAR_DIR']}/telecoach.db")
    try:
        ada = database.run_sync(
            lambda s: s.exec(select(Patient).where(Patient.name == "Ada Whitfield")).one()
        )
        token = live_server.cli("create-device-token", "--patient-id", str(ada.id)).stdout
        token = next(w for w in token.split() if w.startswith("hrd_"))
        today = datetime.now(ZoneInfo(ada.time_zone)).date()
        answer = httpx.post(
            f"{live_server.url}/api/v1/daily",
            json={"days": steady_then_sick(today)},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.json()["alerts"] >= 1, answer.text

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        page.goto(links["Ada Whitfield"])
        page.goto(f"{live_server.url}/me")
        card = page.locator("#checkin")
        expect(card).to_contain_text("How are you feeling today?")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "checkin-en.png"))
        page.goto(f"{live_server.url}/me?lang=es")
        expect(page.locator("#checkin")).to_contain_text("¿Cómo se siente hoy?")
        page.screenshot(path=str(SHOTS / "checkin-es.png"))
        page.goto(f"{live_server.url}/me")
        page.get_by_label("Temperature (°C)").fill("36,9")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#checkin")).to_have_text("Thank you. Your coach will see it.")
        assert database.run_sync(readings, ada.id)[-1].temp_c == 36.9
        phone.close()
    finally:
        database.dispose()

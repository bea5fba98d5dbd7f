"""A coach signs in, opens a patient, and signs out, in headless Chromium against a real server."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.staff import create_coach, sign_in

CSV = """name,phone,time_zone,coach_email,language,sms_only
Rosa Morales,+15555550111,America/Chicago,coach@example.org,es,false
Tom Baker,+15555550112,America/New_York,coach@example.org,en,true
"""


def test_coach_signs_in_opens_a_patient_and_signs_out(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    create_coach(live_server)
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(CSV)
    assert "imported 2" in live_server.cli("import-patients", str(csv_file)).stdout

    page = browser.new_page()
    page.goto(f"{live_server.url}/dashboard")
    expect(page).to_have_url(f"{live_server.url}/login?next=/dashboard")
    sign_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("link", name="Rosa Morales").click()
    expect(page.get_by_role("heading", name="Rosa Morales")).to_be_visible()
    expect(page.get_by_text("+15555550111", exact=True)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "patient-detail.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()
    page.goto(f"{live_server.url}/dashboard")
    expect(page).to_have_url(f"{live_server.url}/login?next=/dashboard")
    page.close()

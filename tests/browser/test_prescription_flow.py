"""A coach edits a clinical profile, generates a draft, overrides a value with a reason and
approves it, in headless Chromium against a real server."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, FloatRect, Locator, expect

from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.staff import create_coach, sign_in

CSV = """name,phone,time_zone,coach_email,language,sms_only
Rosa Morales,+15555550111,America/Chicago,coach@example.org,es,false
"""


def test_coach_edits_profile_overrides_and_approves(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    create_coach(live_server)
    csv_file = tmp_path / "patients.csv"
    csv_file.write_text(CSV)
    live_server.cli("import-patients", str(csv_file))

    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/login")
    sign_in(page)
    page.get_by_role("link", name="Rosa Morales").click()
    page.get_by_role("link", name="Edit clinical profile").click()

    page.locator("#f-age").fill("58")
    page.locator("#f-sex").select_option("female")
    page.locator("#f-treatment-phase").select_option("active")
    page.locator("#f-treatment-days_since_last_infusion").fill("1")
    page.get_by_role("checkbox", name="bone (spine)").check()
    page.locator("#f-vitals-resting_hr").fill("72")
    page.get_by_role("checkbox", name="cycling", exact=True).check()
    page.locator("#f-labs-platelets_10e9_l").fill("-1")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(page.locator("#f-labs-platelets_10e9_l-error")).to_contain_text("at least 0")
    page.locator("#f-labs-platelets_10e9_l").fill("210")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("heading", name="Rosa Morales", exact=True)).to_be_visible()
    # The profile's facts: a pair a row on a phone, two pairs a row on the coach's screen.
    age, sex = (
        page.locator("#profile-words dt").filter(has_text=re.compile(f"^{label}$"))
        for label in ("Age", "Sex")
    )
    assert _box(sex)["y"] > _box(age)["y"] + 5
    page.set_viewport_size({"width": 1366, "height": 768})
    assert abs(_box(sex)["y"] - _box(age)["y"]) < 2 and _box(sex)["x"] > _box(age)["x"] + 300
    page.set_viewport_size({"width": 390, "height": 844})

    page.get_by_role("link", name="Prescription, overrides and versions").click()
    page.get_by_role("button", name="Generate a draft").click()
    rules = page.locator("table.rules").first
    expect(rules).to_contain_text("adj.post_infusion")
    expect(rules).to_contain_text("Campbell 2022")

    page.locator("#o-aerobic-minutes_per_session").fill("15")
    page.get_by_label("Reason for the change (required)").fill("short breaks at work")
    page.get_by_role("button", name="Save overrides").click()
    expect(page.locator("table.overrides")).to_contain_text("short breaks at work")

    page.locator("#o-aerobic-minutes_per_session").fill("30")
    page.get_by_label("Reason for the change (required)").fill("cleared by the oncologist")
    page.get_by_role("button", name="Save overrides").click()
    expect(page.locator("#unsafe-warning")).to_contain_text("above the 21 the engine allowed")
    page.get_by_label("I confirm these changes past a safety rule").check()
    page.get_by_role("button", name="Save overrides").click()
    expect(page.locator("table.overrides").first).to_contain_text("past a safety rule, confirmed")

    page.get_by_role("button", name="Approve version 1").click()
    approved = page.locator("section[aria-labelledby=approved]")
    expect(approved).to_contain_text("Version 1, approved by Dana Rivera")
    expect(approved).to_contain_text("30 min a session")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "prescription-approved.png"), full_page=True)
    page.close()


def _box(element: Locator) -> FloatRect:
    box = element.bounding_box()
    assert box is not None, element
    return box

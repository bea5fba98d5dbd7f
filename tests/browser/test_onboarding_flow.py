"""A coach onboards a patient and plans a class from the screens alone, in headless Chromium
against a real server: adds the patient (after one refused try), copies and texts a join link
(the text reaches the phone simulator), creates a weekly class, enrols the patient, moves one
class. Screenshots at 1366x768 go to test-artifacts/.

The server runs on the wall clock, so the class is planned a week ahead of today in the coach's
zone, and what the page shows is worked out from the same date."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.staff import create_coach, sign_in

ZONE = ZoneInfo("America/Chicago")
VIEWPORT = {"width": 1366, "height": 768}


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _sign_in(live_server: LiveServer, page: Page) -> None:
    create_coach(live_server, time_zone="America/Chicago")
    page.goto(f"{live_server.url}/login")
    sign_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_coach_onboards_a_patient_texts_a_link_and_plans_a_weekly_class(
    live_server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    _sign_in(live_server, page)

    # Add a patient; the first try has a phone without its country code.
    page.locator("#main").get_by_role("link", name="Add a patient").click()  # the dashboard's
    expect(page.get_by_role("heading", name="Add a patient")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("America/Chicago")  # the coach's
    page.get_by_label("Name").fill("Rosa Morales")
    page.get_by_label("Mobile phone").fill("555 0150")
    page.get_by_label("Language for pages and texts").select_option("es")
    page.get_by_label("The patient agreed to receive texts").check()
    page.get_by_role("button", name="Add patient").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Nothing was saved")
    expect(page.locator("#f-phone-error")).to_have_text(
        "Enter a mobile number with its country code, for example +1 555 555 0101."
    )
    expect(page.get_by_label("Name")).to_have_value("Rosa Morales")  # the typing is kept
    expect(page.get_by_label("Language for pages and texts")).to_have_value("es")
    expect(page.get_by_label("The patient agreed to receive texts")).to_be_checked()
    _shot(page, "onboarding-patient-refused.png")
    page.get_by_label("Mobile phone").fill("+1 555 555 0150")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", name="Rosa Morales")).to_be_visible()
    expect(page.locator("#page-notice")).to_have_text(
        "Patient added. Next: issue a join link or text one."
    )

    # Issue a link and copy it.
    page.get_by_role("button", name="Issue a join link").click()
    link = page.locator("#new-link").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/join/\S+", link), link
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#new-link-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    _shot(page, "onboarding-link-copied.png")

    # Text a new link: it reaches the phone simulator, in Spanish, with no word of why.
    page.get_by_role("button", name="Text a new join link to +15555550150").click()
    expect(page.locator("#page-notice")).to_have_text("A new join link was texted to the patient.")
    page.goto(f"{live_server.url}/dev/phone")
    page.get_by_role("link", name="Rosa Morales").click()
    texted = page.get_by_text(re.compile(r"este es su enlace a las clases de ejercicio: http"))
    expect(texted).to_be_visible()
    _shot(page, "onboarding-link-on-phone.png")

    # A weekly class a week from today, 10:00 in the coach's zone, four times.
    first_day = datetime.now(ZONE).date() + timedelta(days=7)
    page.goto(f"{live_server.url}/dashboard")
    page.get_by_role("navigation").get_by_role("link", name="Classes", exact=True).click()
    page.get_by_role("link", name="Create a class").click()
    page.get_by_label("Name of the class").fill("Strength and balance")
    page.get_by_label("Date of the first class").fill(first_day.isoformat())
    page.get_by_label("Start time").fill("10:00")
    expect(page.get_by_label("Time zone of the class")).to_have_value("America/Chicago")
    page.get_by_label("Places").fill("8")
    page.get_by_label("Every week").check()
    page.get_by_label("Number of classes in all (optional)").fill("4")
    _shot(page, "onboarding-class-form.png")
    page.get_by_role("button", name="Create class").click()
    expect(page.get_by_role("heading", name="Strength and balance")).to_be_visible()
    expect(page.locator("#page-notice")).to_have_text("Class created.")
    rows = page.locator("table.occurrences tbody tr")
    expect(rows).to_have_count(4)
    first = datetime.combine(first_day, datetime.min.time().replace(hour=10), ZONE)
    expect(rows.nth(0).locator("td").nth(0)).to_have_text(first.strftime("%a %d %b %Y, %H:%M %Z"))
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("Planned")
    expect(page.get_by_text("Times in America/Chicago.")).to_be_visible()

    # Enrol Rosa.
    page.get_by_label("Patient", exact=True).select_option(label="Rosa Morales")
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator("#page-notice")).to_have_text(
        "Enrolled. Reminders follow the class's settings."
    )
    expect(page.locator("ul.enrolled")).to_contain_text("Rosa Morales")
    expect(page.locator("table.occurrences")).to_be_visible()

    # Move the second class to the next day, 11:30.
    second = rows.nth(1)
    second.locator("summary", has_text="Move").click()
    new_day = first_day + timedelta(days=8)
    second.get_by_label("New date").fill(new_day.isoformat())
    second.get_by_label("New time").fill("11:30")
    second.get_by_role("button", name="Move this class").click()
    expect(page.locator("#page-notice")).to_contain_text("The class was moved.")
    moved = datetime.combine(new_day, datetime.min.time().replace(hour=11, minute=30), ZONE)
    expect(rows.nth(1).locator("td").nth(0)).to_have_text(moved.strftime("%a %d %b %Y, %H:%M %Z"))
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("Planned · moved from its usual time")
    _shot(page, "onboarding-class-moved.png")

    # Reminders for this class: one hour before only.
    page.get_by_label("These reminders:").check()
    page.get_by_role("checkbox", name="1 day before").uncheck()
    expect(page.get_by_role("checkbox", name="1 hour before")).to_be_checked()  # as it was
    page.get_by_role("button", name="Save reminders").click()
    expect(page.locator("#page-notice")).to_contain_text("Reminders saved.")
    expect(page.get_by_role("checkbox", name="1 hour before")).to_be_checked()
    expect(page.get_by_role("checkbox", name="1 day before")).not_to_be_checked()
    expect(page.get_by_label("These reminders:")).to_be_checked()
    _shot(page, "onboarding-class-reminders.png")
    context.close()


def test_coach_imports_a_spreadsheet_after_fixing_the_lines_it_names(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    _sign_in(live_server, page)
    page.locator("#main").get_by_role("link", name="Import patients").click()
    bad = tmp_path / "patients.csv"
    bad.write_text(
        "name,phone,time_zone,language\n"
        "Rosa Morales,+15555550111,America/Chicago,es\n"
        "Tom Baker,555-0112,America/New_York,en\n"
        "Lena Ortiz,+15555550111,Europe/Madrid,fr\n"
    )
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    problems = page.locator("ul.import-problems li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_have_text(
        "Line 3: phone: Enter a mobile number with its country code, for example +1 555 555 0101."
    )
    expect(problems.nth(1)).to_have_text("Line 4: language: Choose a language from the list.")
    _shot(page, "onboarding-import-refused.png")
    page.goto(f"{live_server.url}/dashboard")
    expect(page.get_by_text("No patients yet.")).to_be_visible()  # nothing half-imported

    bad.write_text(
        "name,phone,time_zone,language\n"
        "Rosa Morales,+15555550111,America/Chicago,es\n"
        "Tom Baker,+1 555-555-0112,America/New_York,en\n"
        "Lena Ortiz,+34612345678,Europe/Madrid,es\n"
    )
    page.goto(f"{live_server.url}/patients/import")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-done")).to_contain_text("3 patients imported.")
    page.goto(f"{live_server.url}/dashboard")
    for name in ("Rosa Morales", "Tom Baker", "Lena Ortiz"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    context.close()

"""Signing in asks for no puzzle (WCAG 3.3.8), and a patient finds help in the same place on
every page (3.2.6): in headless Chromium against a real server.

Staff sign in with an email and a password that a password manager can fill (`username`,
`current-password`) and that can be pasted; patients need only their link, and at most one
press of Continue. Every patient page ends with the same Help section, after the page's own
content: the care team's number, as a link that calls it."""

from __future__ import annotations

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from telecoach.settings import DEV_CLINIC_PHONE
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.keyboard import focus_stop, tab_to
from tests.browser.staff import COACH_EMAIL, COACH_PASSWORD, create_coach
from tests.rtc.live_class import class_with_patient

pytestmark = pytest.mark.browser

# The page's form fields a person could type in, and anything that may hold a puzzle.
FIELDS = """() => ({
  fields: [...document.querySelectorAll("input:not([type=hidden]), textarea, select")].map(
    (e) => ({id: e.id, type: e.type, autocomplete: e.getAttribute("autocomplete"),
             blocks: ["onpaste", "oncopy", "ondrop"].filter((a) => e.hasAttribute(a))})),
  puzzles: document.querySelectorAll("main iframe, main canvas, main img, main audio").length,
  formOff: [...document.forms].some((f) => f.getAttribute("autocomplete") === "off"),
})"""

# The landmarks of the page in order, and where the help's link falls among what Tab reaches.
LAYOUT = """() => {
  const landmarks = [...document.body.children]
    .filter((e) => ["HEADER", "MAIN", "FOOTER"].includes(e.tagName))
    .map((e) => e.id || e.tagName.toLowerCase());
  const focusable = "a[href], button, input, select, textarea, summary";
  const reachable = [...document.querySelectorAll(focusable)]
    .filter((e) => !e.disabled && e.type !== "hidden" && e.checkVisibility());
  const help = document.querySelector("#help a[href^='tel:']");
  const helpVisible = !!help && help.checkVisibility();
  return {landmarks, helpIsLast: reachable.at(-1) === help, helpVisible};
}"""


def test_staff_sign_in_takes_a_pasted_password_and_no_puzzle(
    live_server: LiveServer, browser: Browser
) -> None:
    create_coach(live_server)
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login")
        form = page.evaluate(FIELDS)
        assert form["fields"] == [
            {"id": "email", "type": "email", "autocomplete": "username", "blocks": []},
            {
                "id": "password",
                "type": "password",
                "autocomplete": "current-password",
                "blocks": [],
            },
        ]
        assert form["puzzles"] == 0 and not form["formOff"]

        # The skip link is the first stop, and takes the keyboard past the header.
        tab_to(page, "Skip to content", limit=1)
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert focus_stop(page)["id"] == "email"

        # Both pasted, as from a password manager or a note: the page takes them as they are.
        for field, value in (("Email", COACH_EMAIL), ("Password", COACH_PASSWORD)):
            if focus_stop(page)["name"] != field:
                tab_to(page, field)
            page.evaluate("(text) => navigator.clipboard.writeText(text)", value)
            page.keyboard.press("Control+V")
        expect(page.locator("#password")).to_have_value(COACH_PASSWORD)
        expect(page.locator("#email")).to_have_value(COACH_EMAIL)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        assert page.locator("#help").count() == 0  # the patients' help, not the staff's
    finally:
        context.close()


def test_a_patient_needs_only_her_link_and_finds_help_at_the_foot_of_every_page(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    occurrence, link = class_with_patient(live_server, tmp_path, patient="Ann Lee", language="en")
    (tmp_path / "q.csv").write_text(
        "name,phone,time_zone,coach_email,language\n"
        f"Tom Baker,+15555550112,America/Chicago,{COACH_EMAIL},en\n"
    )
    live_server.cli("import-patients", str(tmp_path / "q.csv"))
    token = live_server.cli("create-token", "--email", COACH_EMAIL).stdout.strip()
    with httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        tom = next(
            p for p in api.get("/api/v1/patients").json()["patients"] if p["name"] == "Tom Baker"
        )
        tom_link = api.post(f"/api/v1/patients/{tom['id']}/join-links").json()["url"]
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    try:
        page.goto(link)  # her link alone signs her in: nothing to type, nothing to solve
        expect(page.get_by_role("heading", name="Hello, Ann Lee")).to_be_visible()
        assert page.evaluate(FIELDS)["fields"] == []
        pages = {
            "home": "/me",
            "class": f"/me/classes/{occurrence}",
            "heart rate": f"/me/heart-rate/{occurrence}",
            "session at home": "/me/session",
            "not found": "/me/classes/999999",
        }
        for what, path in pages.items():
            page.goto(live_server.url + path)
            layout = page.evaluate(LAYOUT)
            assert layout == {
                "landmarks": ["header", "main", "help"],
                "helpIsLast": True,
                "helpVisible": True,
            }, what
            help_box = page.locator("#help")
            expect(help_box.get_by_role("heading", name="Help")).to_be_visible()
            expect(help_box.get_by_role("link", name=DEV_CLINIC_PHONE)).to_have_attribute(
                "href", f"tel:{DEV_CLINIC_PHONE}"
            )
            if what == "class":
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "help-class-page-360.png"), full_page=True)
        _help_by_keyboard(page)

        # Another patient's link on her phone: one press of Continue, by keyboard, is all.
        page.goto(tom_link)
        expect(page.get_by_role("heading", name="Open your class page?")).to_be_visible()
        assert page.evaluate(FIELDS)["fields"] == []
        tab_to(page, "Continue")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Hello, Tom Baker")).to_be_visible()
    finally:
        context.close()


def _help_by_keyboard(page: Page) -> None:
    """The help's link is reached with Tab like everything else, and shows its focus."""
    page.goto(page.url.split("/me")[0] + "/me")
    tab_to(page, DEV_CLINIC_PHONE)
    assert focus_stop(page)["name"] == DEV_CLINIC_PHONE

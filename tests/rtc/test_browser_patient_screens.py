"""A patient on a 390x844 phone through a whole class, in English and in Spanish, against a real
`telecoach serve` with a coach's console in another browser: her own heart rate and target stay
in view beside the coach's playing video, her self-view is small and moves out of the way; she
leaves, is offered "join again" and is back; when the coach ends the class the page says so with
no controls left, and the class leaves her list."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.staff import sign_in
from tests.rtc.live_class import class_with_patient, wait_playing

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
PATIENTS = {"en": "Ruth Miller", "es": "Rosa Morales"}
LOCALES = Path(__file__).resolve().parents[2] / "web" / "locales"
KEYS = {
    "live_now": "me_schedule.live_now",
    "join_link": "me.join",
    "check": "device_test.button",
    "join": "room.join",
    "leave": "room.leave",
    "left": "room.status_left",
    "rejoin": "room.rejoin",
    "ended": "room.status_ended",
    "back": "me.back",
    "mute": "room.mute",
    "camera": "room.camera_off",
    "move": "patient_room.self_move",
    "hide": "patient_room.self_hide",
    "show": "patient_room.self_show",
    "in_zone": "hr.in",
}


def _words(lang: str) -> dict[str, str]:
    """What the page says, from the catalogue (the wording may change; the behaviour may not)."""
    catalogue = tomllib.loads((LOCALES / f"{lang}.toml").read_text())
    words = {}
    for name, key in KEYS.items():
        section, entry = key.split(".")
        words[name] = catalogue[section][entry]
    return words


def _class(server: LiveServer, tmp_path, lang: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """Her class, with a profile so that she has a target zone."""
    return class_with_patient(
        server, tmp_path, patient=PATIENTS[lang], language=lang, with_profile=True
    )


def _inside_viewport(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (selector, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] + 0.5, (selector, box)
    return box


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _admit_when_waiting(coach: Page, patient: Page, name: str) -> None:
    """The coach lets her in if she waits in the lobby (a re-join may be let in by itself)."""
    admit = coach.get_by_role("button", name=f"Admit {name}")
    deadline = time.monotonic() + 20
    while patient.locator("#room").get_attribute("data-status") != "status_live":
        if admit.is_visible():
            admit.click()
        assert time.monotonic() < deadline, patient.locator("#room").get_attribute("data-status")
        time.sleep(0.2)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_patient_on_a_phone_through_a_class(
    live_server: LiveServer, browser: Browser, tmp_path, lang: str
) -> None:
    words = _words(lang)
    occurrence, join_url = _class(live_server, tmp_path, lang)
    coach_context = browser.new_context()
    patient_context = browser.new_context(viewport=PHONE)
    coach, patient = coach_context.new_page(), patient_context.new_page()
    try:
        coach.goto(f"{live_server.url}/classes/occurrences/{occurrence}/console")
        sign_in(coach)
        coach.get_by_role("button", name="Start class").click()
        expect(coach.locator("#console")).to_have_attribute("data-status", "live", timeout=15_000)

        # Her home page puts the class that is on now first: it begins in ten minutes, and
        # with its coach in the room it is live now.
        patient.goto(join_url)
        live = patient.locator(f"#live-{occurrence}")
        expect(live.locator(".live-tag")).to_have_text(words["live_now"])
        _shot(patient, f"patient-phone-home-{lang}.png")
        live.get_by_role("link", name=words["join_link"]).click()
        patient.get_by_role("button", name=words["check"]).click()
        expect(patient.locator("#room")).to_have_attribute("data-status", "check_ok")
        patient.get_by_role("button", name=words["join"], exact=True).click()
        _admit_when_waiting(coach, patient, PATIENTS[lang])
        wait_playing(patient, "#coach-video")
        expect(patient.locator("#room")).to_have_attribute("data-status", "status_live")

        # A reading from her sensor (the page's own sender, as the sensor would): in view, with
        # her target, together with the coach's video, without scrolling.
        patient.wait_for_function("() => window.hrSender?.socket?.readyState === 1")
        patient.evaluate("() => window.hrSender.send(115, [520])")
        expect(patient.locator("#hr-own-bpm")).to_have_text("115")
        expect(patient.locator("#hr-own-band")).to_have_text(words["in_zone"])
        assert patient.evaluate("() => window.scrollY") == 0
        video = _inside_viewport(patient, "#coach-video")
        _inside_viewport(patient, "#hr-own-bpm")
        _inside_viewport(patient, "#hr-own-band")
        target = patient.locator(".hr-target")
        expect(target).to_contain_text("109\u2013126")
        _inside_viewport(patient, ".hr-target")
        _inside_viewport(patient, "#leave")
        wait_playing(patient, "#coach-video")  # still playing with all of that in view

        # Her own picture is small, in a corner of the coach's, and she can move it or hide it.
        own = _inside_viewport(patient, "#self-tile")
        assert own["width"] < video["width"] * 0.35
        patient.get_by_role("button", name=words["move"]).click()
        moved = _inside_viewport(patient, "#self-tile")
        assert moved["y"] > own["y"] + 40, (own, moved)  # from the top corner to the bottom
        _shot(patient, f"patient-phone-live-{lang}.png")
        patient.get_by_role("button", name=words["hide"]).click()
        expect(patient.locator("#self-tile")).to_be_hidden()
        patient.get_by_role("button", name=words["show"]).click()
        expect(patient.locator("#self-tile")).to_be_visible()
        patient.set_viewport_size({"width": 1280, "height": 800})  # a computer: rate beside
        _shot(patient, f"patient-desktop-live-{lang}.png")
        patient.set_viewport_size(PHONE)

        # She leaves: the page says so, offers to join again, and shows no dead controls.
        patient.get_by_role("button", name=words["leave"]).click()
        expect(patient.locator("#status")).to_have_text(words["left"])
        expect(patient.get_by_role("button", name=words["mute"])).to_be_hidden()
        expect(patient.locator("#coach-video")).to_be_hidden()
        _shot(patient, f"patient-phone-left-{lang}.png")
        patient.get_by_role("button", name=words["rejoin"]).click()
        _admit_when_waiting(coach, patient, PATIENTS[lang])
        expect(patient.locator("#room")).to_have_attribute(
            "data-status", "status_live", timeout=15_000
        )
        wait_playing(patient, "#coach-video")
        expect(patient.get_by_role("button", name=words["mute"])).to_be_visible()
        _inside_viewport(patient, "#hr-own-bpm")

        # The coach ends the class.
        coach.once("dialog", lambda dialog: dialog.accept())
        coach.locator("#end").click()
        expect(patient.locator("#status")).to_have_text(words["ended"], timeout=10_000)
        for control in ("mute", "camera", "leave", "rejoin"):
            expect(patient.get_by_role("button", name=words[control])).to_be_hidden()
        expect(patient.locator("#coach-video")).to_be_hidden()
        expect(patient.locator("#self-video")).to_be_hidden()
        back = patient.get_by_role("link", name=words["back"])
        expect(back).to_be_visible()
        _inside_viewport(patient, "#after-back")
        _shot(patient, f"patient-phone-ended-{lang}.png")

        # And the ended class has left her list.
        back.click()
        expect(patient.locator(".live-tag")).to_have_count(0)
        expect(patient.locator(f'a[href="/me/classes/{occurrence}"]')).to_have_count(0)

        # Opened again from an old tab: the server's refusal is said in her language.
        patient.goto(f"{live_server.url}/me/classes/{occurrence}")
        patient.get_by_role("button", name=words["join"], exact=True).click()
        expect(patient.locator("#status")).to_have_text(words["ended"], timeout=10_000)
        expect(patient.locator("#room")).not_to_contain_text("this class has ended")
        expect(patient.get_by_role("button", name=words["mute"])).to_be_hidden()
    finally:
        coach_context.close()
        patient_context.close()

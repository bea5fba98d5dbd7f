"""The patient's pages on a small 360x640 phone, in every language of the catalogue, against a
real `telecoach serve`: each screen's one main action is its first button, big, full width and
in view without scrolling, in large type; "Test my camera and sound" says in words that Chromium's
fake camera and microphone work (its fake microphone plays a tone, so the meter moves), and what
to do when the browser blocks them or the patient does not hear the test sound. Screenshots of
the class page (device check, lobby, in class) are kept per language in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.staff import sign_in
from tests.browser.test_home_session import FAKES as STRAP
from tests.browser.test_home_session import _patient_with_plan as patient_with_plan
from tests.rtc.live_class import class_with_patient, wait_playing
from web.i18n import Catalogues

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 640}
CATALOGUES = Catalogues()
LANGUAGES = CATALOGUES.languages
PATIENT = "Ruth Miller"
# The browser refuses the camera and microphone, as when the patient pressed "Block".
BLOCKED = """
navigator.mediaDevices.getUserMedia = async () => {
  throw new DOMException("Permission denied", "NotAllowedError");
};
"""


def _words(lang: str) -> dict[str, dict[str, str]]:
    """The page's words, as the page finds them (a word missing in a language is English)."""
    t = CATALOGUES.translator(lang)
    return {section: t.section(section) for section in ("device_test", "room")}


# No camera in this computer, and a microphone that gives silence (muted at the headset).
NO_CAMERA_SILENT_MIC = """
const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {
  if (constraints.video) throw new DOMException("Requested device not found", "NotFoundError");
  const stream = await open(constraints);
  for (const track of stream.getAudioTracks()) track.enabled = false;
  return stream;
};
"""


def _main_action(page: Page, selector: str) -> None:
    """`selector` is the first button in the page's main part, in view without scrolling, full
    width, at least 44 px tall, in type of at least 20 px; the body's type is at least 18 px."""
    action = page.locator(selector)
    expect(action).to_be_visible()
    first = page.locator("main button:visible, main a.button:visible").first
    assert first.evaluate("(a, b) => a === b", action.element_handle()), (
        selector,
        first.evaluate("e => e.outerHTML"),
    )
    box = action.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (selector, box)
    assert box["height"] >= 44 and box["width"] >= PHONE["width"] * 0.75, (selector, box)
    assert page.evaluate("() => window.scrollY") == 0
    assert _font_px(action) >= 20, selector
    assert _font_px(page.locator("main p:visible").first) >= 18


def _in_view(page: Page, selector: str, min_height: float = 44) -> None:
    """In view without scrolling, at least `min_height` px tall."""
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (selector, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] + 0.5, (selector, box)
    assert box["height"] >= min_height, (selector, box)


def _font_px(locator: Locator) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def _no_sideways_scroll(page: Page) -> None:
    """Not at 360 px, nor on a narrower 320 px phone."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size({"width": 320, "height": PHONE["height"]})
    try:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    finally:
        page.set_viewport_size(PHONE)


def _shot(page: Page, lang: str, state: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"patient-class-360-{lang}-{state}.png"))


def _result(page: Page, row: str) -> Locator:
    return page.locator(f"#{row} .result")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_patients_class_on_a_small_phone(
    live_server: LiveServer, browser: Browser, tmp_path: Path, lang: str
) -> None:
    words = _words(lang)
    test = words["device_test"]
    occurrence, join_url = class_with_patient(
        live_server, tmp_path, patient=PATIENT, language=lang, with_profile=True
    )
    coach_context = browser.new_context()
    patient_context = browser.new_context(viewport=PHONE)
    coach, patient = coach_context.new_page(), patient_context.new_page()
    try:
        coach.goto(f"{live_server.url}/classes/occurrences/{occurrence}/console")
        sign_in(coach)
        coach.get_by_role("button", name="Start class").click()

        # Her page of classes: "Join class" for the class on now comes first.
        patient.goto(join_url)
        _main_action(patient, f"#live-{occurrence} .join-live")
        _no_sideways_scroll(patient)
        patient.screenshot(path=str(ARTIFACTS / f"patient-me-360-{lang}.png"))
        patient.locator(f"#live-{occurrence} .join-live").click()

        # The class page: "Join the class" first; the test of camera and sound in view under it.
        _main_action(patient, "#join")
        _in_view(patient, "#check-devices")
        expect(patient.locator("#check-devices")).to_have_text(test["button"])
        patient.locator("#check-devices").click()
        for row in ("test-camera", "test-mic", "test-sound"):  # each result is announced
            expect(patient.locator(f"#{row} .said")).to_have_attribute("aria-live", "polite")
        assert not patient.locator("#mic-level").evaluate("m => !!m.closest('[aria-live]')")
        expect(_result(patient, "test-camera")).to_have_text(test["camera_ok"], timeout=15_000)
        expect(_result(patient, "test-mic")).to_have_text(test["mic_ok"], timeout=15_000)
        expect(patient.locator("#test-camera")).to_have_attribute("data-result", "ok")
        expect(patient.locator("#test-mic")).to_have_attribute("data-result", "ok")
        assert float(patient.locator("#mic-level").evaluate("m => m.value")) > 0
        expect(patient.locator("#status")).to_have_text(words["room"]["check_ok"])
        # The test sound, heard.
        expect(_result(patient, "test-sound")).to_have_text(test["sound_wait"])
        patient.locator("#play-sound").click()
        expect(patient.locator("#sound-question legend")).to_have_text(test["sound_question"])
        patient.locator("#heard-yes").click()
        expect(_result(patient, "test-sound")).to_have_text(test["sound_ok"])
        patient.evaluate("() => window.scrollTo(0, 0)")
        _main_action(patient, "#join")  # the results come after it: still first and in view
        _no_sideways_scroll(patient)
        _shot(patient, lang, "check")
        patient.screenshot(
            path=str(ARTIFACTS / f"patient-class-360-{lang}-check-full.png"), full_page=True
        )

        # The lobby: what is happening, large, and the way out in view.
        patient.locator("#join").click()
        expect(patient.locator("#room")).to_have_attribute("data-status", "status_lobby")
        expect(patient.locator("#status")).to_have_text(words["room"]["status_lobby"])
        _shot(patient, lang, "lobby")
        _in_view(patient, "#status")
        _in_view(patient, "#leave")
        _in_view(patient, "#mute")
        _no_sideways_scroll(patient)

        # In class: the coach's video, her heart rate and the controls in one screen.
        coach.get_by_role("button", name=f"Admit {PATIENT}").click()
        expect(patient.locator("#room")).to_have_attribute(
            "data-status", "status_live", timeout=20_000
        )
        wait_playing(patient, "#coach-video")
        patient.wait_for_function("() => window.hrSender?.socket?.readyState === 1")
        patient.evaluate("() => window.hrSender.send(115, [520])")
        expect(patient.locator("#hr-own-bpm")).to_have_text("115")
        assert patient.evaluate("() => window.scrollY") == 0
        _shot(patient, lang, "class")
        for selector in ("#coach-video", "#mute", "#leave"):
            _in_view(patient, selector)
        _in_view(patient, "#hr-own-bpm", min_height=0)
        for control in ("#mute", "#camera", "#leave"):
            assert _font_px(patient.locator(control)) >= 17, control
        _no_sideways_scroll(patient)
    finally:
        coach_context.close()
        patient_context.close()


def test_the_test_says_what_to_do_when_the_browser_blocks_the_camera_and_the_sound_is_not_heard(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    test = _words("en")["device_test"]
    room = _words("en")["room"]
    occurrence, join_url = class_with_patient(live_server, tmp_path, patient=PATIENT, language="en")
    context = browser.new_context(viewport=PHONE)
    patient = context.new_page()
    patient.add_init_script(BLOCKED)
    try:
        patient.goto(join_url)
        patient.locator(f"#live-{occurrence} .join-live, #next-class .button").first.click()
        patient.locator("#check-devices").click()
        # What to do, in words: allow them in the browser; and that she can still join.
        expect(_result(patient, "test-camera")).to_have_text(test["blocked"])
        expect(_result(patient, "test-mic")).to_have_text(test["still_join"])
        for row in ("test-camera", "test-mic"):
            expect(patient.locator(f"#{row}")).to_have_attribute("data-result", "problem")
            expect(patient.locator(f"#{row} .mark")).to_have_text("! ")
        expect(patient.locator("#status")).to_have_text(room["check_failed"])
        expect(patient.locator("#check-devices")).to_have_text(test["again"])

        # The test sound, not heard: turn up the volume and play it again.
        patient.locator("#play-sound").click()
        patient.locator("#heard-no").click()
        expect(_result(patient, "test-sound")).to_have_text(test["sound_none"])
        expect(patient.locator("#test-sound")).to_have_attribute("data-result", "problem")
        expect(patient.locator("#play-sound")).to_be_visible()  # to try again
        patient.screenshot(
            path=str(ARTIFACTS / "patient-class-360-en-check-blocked.png"), full_page=True
        )

        # She can still join, to watch and listen.
        patient.evaluate("() => window.scrollTo(0, 0)")
        _main_action(patient, "#join")
        patient.locator("#join").click()
        expect(patient.locator("#stage")).to_be_visible()
    finally:
        context.close()


def test_the_patients_other_pages_on_a_small_phone(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    """The join link's question, her heart-rate page and "today's session" without a plan."""
    occurrence, join_url = class_with_patient(live_server, tmp_path, patient=PATIENT, language="en")
    context = browser.new_context(viewport=PHONE)
    patient = context.new_page()
    try:
        # Sent from another site, the join link asks first: "Continue" is the one thing to do.
        patient.goto(live_server.url.replace("127.0.0.1", "localhost") + "/healthz")
        with patient.expect_navigation():
            patient.evaluate("url => { location.href = url; }", join_url)
        patient.screenshot(path=str(ARTIFACTS / "patient-join-confirm-360-en.png"))
        _main_action(patient, "form.join-confirm button")
        patient.locator("form.join-confirm button").click()
        expect(patient.locator(f"#live-{occurrence}")).to_be_visible()

        # Her heart-rate page: without Bluetooth it says so and shows no button that cannot work;
        # with it, connecting the sensor is in view.
        patient.goto(f"{live_server.url}/me/heart-rate/{occurrence}")
        expect(patient.locator("#hr-sensor-status")).to_have_text(
            CATALOGUES.translator("en")("hr.unsupported")
        )
        expect(patient.locator("#hr-connect")).to_be_hidden()
        strap = context.new_page()
        strap.add_init_script(STRAP)
        strap.goto(f"{live_server.url}/me/heart-rate/{occurrence}")
        expect(strap.locator("#hr-connect")).to_be_enabled()
        strap.screenshot(path=str(ARTIFACTS / "patient-heart-rate-360-en.png"))
        _in_view(strap, "#hr-connect")
        _no_sideways_scroll(strap)

        patient.goto(f"{live_server.url}/me/session")
        patient.screenshot(path=str(ARTIFACTS / "patient-home-session-refused-360-en.png"))
        _main_action(patient, "main a.button")
        _no_sideways_scroll(patient)
    finally:
        context.close()


def test_todays_session_at_home_on_a_small_phone(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    """With a plan: connecting the strap is the first big button, starting without one is in
    view under it; in a browser without Bluetooth, starting without a strap is the one action."""
    _, link, _ = patient_with_plan(live_server, tmp_path, "en")
    context = browser.new_context(viewport=PHONE)
    patient = context.new_page()
    try:
        patient.goto(link)
        _main_action(patient, "#home-card .button")  # no class today: the session at home
        patient.locator("#home-card .button").click()
        expect(patient.locator("#home-phases")).to_be_visible()
        patient.screenshot(path=str(ARTIFACTS / "patient-home-session-360-en-no-bluetooth.png"))
        _main_action(patient, "#home-start-no-strap")
        expect(patient.locator("#home-connect")).to_be_hidden()
        _no_sideways_scroll(patient)

        strap = context.new_page()
        strap.add_init_script(STRAP)
        strap.goto(f"{live_server.url}/me/session")
        expect(strap.locator("#home-phases")).to_be_visible()
        strap.screenshot(path=str(ARTIFACTS / "patient-home-session-360-en.png"))
        _main_action(strap, "#home-connect")
        _in_view(strap, "#home-start-no-strap")
        strap.locator("#home-connect").click()
        _in_view(strap, "#home-start")
        _no_sideways_scroll(strap)
    finally:
        context.close()


def test_the_test_says_when_there_is_no_camera_and_the_microphone_is_silent(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    words = _words("en")
    test = words["device_test"]
    occurrence, join_url = class_with_patient(live_server, tmp_path, patient=PATIENT, language="en")
    context = browser.new_context(viewport=PHONE)
    patient = context.new_page()
    patient.add_init_script(NO_CAMERA_SILENT_MIC)
    try:
        patient.goto(join_url)
        patient.locator(f"#live-{occurrence} .join-live").click()
        patient.locator("#check-devices").click()
        expect(_result(patient, "test-camera")).to_have_text(test["camera_none"])
        expect(patient.locator("#test-camera")).to_have_attribute("data-result", "problem")
        expect(patient.locator("#status")).to_have_text(words["room"]["check_failed"])
        expect(_result(patient, "test-mic")).to_have_text(test["mic_wait"])
        # Ten seconds of silence: check that the microphone is not muted or unplugged.
        expect(_result(patient, "test-mic")).to_have_text(test["mic_silent"], timeout=20_000)
        expect(patient.locator("#test-mic")).to_have_attribute("data-result", "problem")
        expect(patient.locator("#mic-level")).to_be_visible()
        patient.screenshot(
            path=str(ARTIFACTS / "patient-class-360-en-check-no-camera.png"), full_page=True
        )
    finally:
        context.close()

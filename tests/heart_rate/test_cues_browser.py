"""In headless Chromium against a real server with the demo data: a patient's simulated readings go
above their zone; the cue appears large on their class page, in an aria-live region, and is
spoken (speechSynthesis stubbed to record) in their language; the coach's tile shows it; the
coach mutes the patient's cues and sends their own words, which the patient sees and hears. In
English and in Spanish, with screenshots of both screens."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, LiveServer, browser, live_server  # noqa: F401
from tests.heart_rate.demo_pages import demo_class, open_console, seed_demo
from web.i18n import Catalogues

# Simplified Chinese: the words of its page catalogue (English until that catalogue has them), the
# voice tag of coach/languages/zh-Hans.toml.
_ZH = Catalogues().translator("zh-Hans")

pytestmark = pytest.mark.browser

# Records what the page asks to say instead of saying it (headless Chromium has no voices).
SPEECH_STUB = """
window.__spoken = [];
Object.defineProperty(window, "speechSynthesis", {
  configurable: true,
  value: {
    speak(utterance) { window.__spoken.push({ text: utterance.text, lang: utterance.lang }); },
    cancel() {},
    getVoices() { return []; },
  },
});
"""
WORDS = {
    "en": {
        "ease_off": "Ease off a little.",
        "waiting": "Your cues will show here.",
        "coach": "From your coach: slow down, {name}",
        "speech": "en-US",
        "speech_off": "Spoken cues: off",
    },
    "es": {
        "ease_off": "Baje un poco el ritmo.",
        "waiting": "Sus indicaciones aparecerán aquí.",
        "coach": "De su entrenador: slow down, {name}",
        "speech": "es-ES",
        "speech_off": "Indicaciones habladas: desactivadas",
    },
    "zh-Hans": {
        "ease_off": _ZH("cue.ease_off"),
        "waiting": _ZH("cue.waiting"),
        "coach": _ZH("cue.coach") + " slow down, {name}",
        "speech": "zh-CN",
        "speech_off": _ZH("cue.speech_off"),
    },
}


@pytest.mark.parametrize("language", ["en", "es", "zh-Hans"])
def test_a_cue_is_shown_spoken_and_steered_by_the_coach(
    live_server: LiveServer,  # noqa: F811
    browser: Browser,  # noqa: F811
    language: str,
) -> None:
    links = seed_demo(live_server)
    occurrence, enrolled = demo_class(live_server)
    words = WORDS[language]

    coach = browser.new_context(viewport={"width": 1366, "height": 768})
    console = coach.new_page()
    open_console(console, live_server, occurrence)

    patient_context = browser.new_context(viewport={"width": 390, "height": 844})
    patient_context.add_init_script(SPEECH_STUB)
    room = patient_context.new_page()
    # The first patient in this language whose page shows a heart-rate target.
    for name, patient_id, patient_language in enrolled:  # noqa: B007 (used after the loop)
        if patient_language != language or name not in links:
            continue
        room.goto(links[name])
        room.goto(f"{live_server.url}/me/classes/{occurrence}")
        if room.locator("#hr-me .hr-target").count():
            break
        patient_context.clear_cookies()
    else:
        pytest.fail(f"no demo patient in {language} with a heart-rate zone in the class")
    first_name = name.split()[0]

    try:
        cue = room.locator("#hr-cue-text")
        expect(cue).to_have_attribute("aria-live", "assertive")
        expect(cue).to_have_text(words["waiting"])
        room.wait_for_function("() => window.hrSender && window.hrSender.socket?.readyState === 1")
        room.evaluate("() => window.hrSender.send(175, [343])")  # far above a moderate zone
        expect(cue).to_have_text(words["ease_off"])
        room.wait_for_function("() => window.__spoken.length > 0")
        spoken = room.evaluate("() => window.__spoken")
        assert spoken == [{"text": words["ease_off"], "lang": words["speech"]}]

        tile = console.locator(f'.hr-tile[data-patient="{patient_id}"]')
        expect(tile.locator(".hr-cue-word")).to_have_text("↓ Ease off")
        expect(tile.locator(".hr-cue-word")).to_have_attribute("data-cue", "ease_off")
        ARTIFACTS.mkdir(exist_ok=True)
        console.screenshot(path=str(ARTIFACTS / f"class-cue-console-{language}.png"))
        room.screenshot(path=str(ARTIFACTS / f"class-cue-patient-{language}.png"), full_page=True)

        # The coach mutes her cues: the page clears them, and says nothing more.
        tile.get_by_text("Cues", exact=True).click()
        console.screenshot(path=str(ARTIFACTS / f"class-cue-console-tools-{language}.png"))
        tile.get_by_role("button", name="Mute cues").click()
        expect(tile.locator(".hr-cue-word")).to_have_text("Cues muted")
        expect(tile.get_by_role("button", name="Unmute cues")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(cue).to_have_text(words["waiting"])
        room.evaluate("() => window.hrSender.send(180, [333])")
        room.wait_for_timeout(1500)
        assert len(room.evaluate("() => window.__spoken")) == 1

        # The coach's own words: seen and heard instead.
        tile.get_by_label(f"Your own cue for {name}").fill(f"slow down, {first_name}")
        tile.get_by_role("button", name="Send cue").click()
        expected = words["coach"].format(name=first_name)
        expect(cue).to_have_text(expected)
        room.wait_for_function("() => window.__spoken.length > 1")
        assert room.evaluate("() => window.__spoken")[-1] == {
            "text": expected,
            "lang": words["speech"],
        }
        expect(tile.locator(".hr-cue-word")).to_contain_text(f"slow down, {first_name}")
        console.screenshot(path=str(ARTIFACTS / f"class-cue-console-own-{language}.png"))
        room.screenshot(
            path=str(ARTIFACTS / f"class-cue-patient-own-{language}.png"), full_page=True
        )

        # Speech off, remembered across a reload.
        room.locator("#hr-cue-speech").click()
        expect(room.locator("#hr-cue-speech .label")).to_have_text(words["speech_off"])
        expect(room.locator("#hr-cue-speech")).to_have_attribute("aria-pressed", "false")
        room.reload()
        expect(room.locator("#hr-cue-speech")).to_have_attribute("aria-pressed", "false")
        expect(cue).to_have_text(expected)  # what she was last told, back after the reload
    finally:
        coach.close()
        patient_context.close()

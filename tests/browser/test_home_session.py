"""Today's session at home in headless Chromium on a 390x844 phone, in English and in Spanish,
against a real `telecoach serve`: a simulated heart-rate strap (a stand-in for Web Bluetooth,
sending the standard 0x2A37 notification once a second) drives the session; the page's clock is
Playwright's, so forty minutes of phases pass in seconds. The phases and timer advance, a cue
from the server's cue engine appears in the aria-live region and `speechSynthesis.speak` is
called with the patient's language, the end check (RPE, symptoms) is stored, and the progress
report counts the session."""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlmodel import Session, select

from coach import languages
from coach.home_sessions import HomeSession
from coach.week_review import monday_of
from tests.browser.conftest import (
    ARTIFACTS,
    LiveServer,
    browser,
    coach_and_patient,
    live_server,
)
from tests.browser.staff import approve_ada_plan

pytestmark = pytest.mark.browser
__all__ = ["browser", "live_server"]
PHONE = {"width": 390, "height": 844}
PATIENTS = {"en": "Ruth Miller", "es": "Rosa Morales"}
LOCALES = Path(__file__).resolve().parents[2] / "web" / "locales"

# A heart-rate strap and the speech engine, before any page script runs. The strap notifies
# once a second (on the page's clock) with flags 0x06 (contact supported and detected) and
# the rate the test sets in window.__strap.bpm.
FAKES = """
window.__strap = { bpm: 100 };
window.__spoken = [];
const listeners = [];
const characteristic = {
  addEventListener(type, fn) { if (type === "characteristicvaluechanged") listeners.push(fn); },
  async startNotifications() {
    setInterval(() => {
      const value = new DataView(Uint8Array.of(0x06, window.__strap.bpm).buffer);
      for (const fn of listeners) fn({ target: { value } });
    }, 1000);
  },
};
const service = { async getCharacteristic() { return characteristic; } };
const device = {
  name: "Test strap",
  addEventListener() {},
  gatt: { async connect() { return { async getPrimaryService() { return service; } }; } },
};
Object.defineProperty(navigator, "bluetooth", {
  configurable: true,
  value: { async requestDevice() { return device; } },
});
Object.defineProperty(window, "speechSynthesis", {
  configurable: true,
  value: {
    speak(u) { window.__spoken.push({ text: u.text, lang: u.lang }); },
    cancel() {},
  },
});
"""


def _words(lang: str) -> dict[str, str]:
    catalogue = tomllib.loads((LOCALES / f"{lang}.toml").read_text())
    return dict(catalogue["home_session"]) | {"open": catalogue["home_session"]["open"]}


def _patient_with_plan(server: LiveServer, tmp_path: Path, lang: str) -> tuple[int, str, str]:
    """A coach, a patient speaking `lang` with an approved prescription (a 30-minute walk in a
    107-127 zone), her join link, and the coach's API token."""
    token = coach_and_patient(server, tmp_path, PATIENTS[lang], lang)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api:
        patient_id = api.get("/api/v1/patients").json()["patients"][0]["id"]
        link = api.post(f"/api/v1/patients/{patient_id}/join-links").json()["url"]
    approve_ada_plan(server, patient_id)
    return patient_id, link, token


def _todays_session(
    browser: Browser, link: str, words: dict[str, str]
) -> tuple[BrowserContext, Page]:
    """A phone signed in by the patient's join link, on "Today's session", with the fake strap
    and speech engine and the page's clock in the test's hands."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.add_init_script(FAKES)
    page.clock.install(time=datetime.now().astimezone())
    page.goto(link)
    page.get_by_role("link", name=words["open"]).click()
    return context, page


def _advance(page: Page, seconds: int, step: int = 20) -> None:
    """Move the page's clock on, a step at a time, letting each batch of readings reach the
    server and its cues come back before the next step."""
    for _ in range(0, seconds, step):
        page.clock.run_for(step * 1000)
        page.wait_for_function("() => window.homeSession.idle()", timeout=15_000)


def _advance_until(page: Page, ready: Callable[[], bool], most_s: int = 200) -> None:
    """Move the page's clock on 5 s at a time until `ready()` (at most `most_s`): where a phase
    begins depends on when the page's timer started, not on the test."""
    for _ in range(0, most_s, 5):
        if ready():
            return
        _advance(page, 5, step=5)


def _start_with_strap(page: Page, words: dict[str, str]) -> None:
    """Connect the strap and start; back once the server has answered and the timer runs (the
    page's clock moved on before that would pass with no timer to move)."""
    page.locator("#home-connect").click()
    expect(page.locator("#home-sensor-status")).to_have_text(words["sensor_connected"])
    page.locator("#home-start").click()
    expect(page.locator("#home-running")).to_be_visible()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _stored(server: LiveServer, patient_id: int) -> HomeSession:
    return server.run_sync(
        lambda s: s.exec(select(HomeSession).where(HomeSession.patient_id == patient_id)).one()
    )


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_home_session_with_a_strap_on_a_phone(
    browser: Browser, live_server: LiveServer, tmp_path: Path, lang: str
) -> None:
    words = _words(lang)
    patient_id, link, token = _patient_with_plan(live_server, tmp_path, lang)
    context, page = _todays_session(browser, link, words)
    expect(page.locator("h1")).to_have_text(words["title"])
    _start_with_strap(page, words)

    # Warm-up: the timer counts down its five minutes.
    expect(page.locator("#home-phase")).to_have_text(words["phase_warm_up"])
    _advance(page, 60)
    expect(page.locator("#home-timer")).to_have_text("04:00")
    expect(page.locator("#home-bpm")).to_have_text("100")
    _advance(page, 250)
    expect(page.locator("#home-phase")).to_have_text(words["phase_main"])
    expect(page.locator("#home-phase-step")).to_have_text("2/3")

    # Main part: well above her zone for a few seconds past the engine's sustain: "ease off".
    page.evaluate("() => { window.__strap.bpm = 135; }")
    _advance(page, 20, step=5)
    cue = page.locator("#home-cue")
    expect(cue).to_have_attribute("aria-live", "assertive")
    expect(cue).to_have_text(words["cue_ease_off"])
    expect(page.locator("#home-band")).to_have_text(words["band_above"])
    spoken = page.evaluate("() => window.__spoken")
    # spoken with the voice tag of the language's file (en-US, es-ES, zh-CN)
    assert {"text": words["cue_ease_off"], "lang": languages.language(lang).speech} in spoken
    for box in (page.locator("#home-timer"), cue, page.locator("#home-stop")):
        found = box.bounding_box()
        assert found and found["y"] + found["height"] <= PHONE["height"], found
    _shot(page, f"home-session-cue-{lang}.png")

    # Back in the zone for the rest of the main part and the cool-down.
    page.evaluate("() => { window.__strap.bpm = 118; }")
    _advance(page, 30 * 60 - 20 + 5 * 60, step=60)
    page.clock.run_for(2000)
    end = page.locator("#home-end")
    expect(end).to_be_visible()
    page.locator("input[name=rpe][value='13']").check()
    page.locator("input[name=symptoms][value='sore_muscles']").check()
    _shot(page, f"home-session-end-{lang}.png")
    page.locator("#home-save").click()
    expect(page.locator("#home-saved")).to_have_text(words["saved"])
    _shot(page, f"home-session-saved-{lang}.png")
    context.close()

    row = _stored(live_server, patient_id)
    assert (row.status, row.rpe, row.symptoms) == ("done", 13, ["sore_muscles"])
    assert 29.5 <= row.main_minutes <= 30.5 and row.cues >= 1
    assert row.time_in_zone_s >= 25 * 60  # the few seconds above and the climb back aside
    # The coach's progress report counts it in that week.
    answer = httpx.get(
        f"{live_server.url}/patients/{patient_id}/progress.csv",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    week = monday_of(row.day).isoformat()
    (adherence,) = [r for r in csv.reader(io.StringIO(answer.text)) if r[:2] == ["adherence", week]]
    assert int(adherence[3]) == 1
    assert timedelta(0) <= row.ended_at - row.started_at < timedelta(minutes=5)  # type: ignore[operator]


def _earlier_rises(server: LiveServer, patient_id: int, rises: list[float]) -> None:
    """Sessions done before today that each showed `rise` bpm from the warm-up to the main pace
    (what a session stores once its main part's first two minutes have passed)."""
    now = datetime.now().astimezone()

    def add(session: Session) -> None:
        for days_ago, rise in enumerate(reversed(rises), start=1):
            started = now - timedelta(days=days_ago)
            row = HomeSession(
                patient_id=patient_id,
                day=started.date(),
                started_at=started,
                ended_at=started + timedelta(minutes=40),
                status="done",
                with_strap=True,
                planned_main_minutes=30,
                main_minutes=30.0,
                rise_bpm=rise,
            )
            session.add(row)

    server.run_sync(add)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_warm_up_check_says_why_the_main_part_starts_gentler(
    browser: Browser, live_server: LiveServer, tmp_path: Path, lang: str
) -> None:
    """Rule cue.warm_up_check on the page: two earlier sessions rose 30 bpm from the warm-up, so
    a warm-up at 100 foretells 130, over her 107-127 zone (a step is 15 bpm: 0.9 of one above
    its middle): the main part's first reading brings the check's ease-off, shown, announced and
    spoken in her language with why."""
    words = _words(lang)
    patient_id, link, _ = _patient_with_plan(live_server, tmp_path, lang)
    _earlier_rises(live_server, patient_id, [30.0, 30.0])
    context, page = _todays_session(browser, link, words)
    _start_with_strap(page, words)
    _advance(page, 240)
    phase = page.locator("#home-phase")
    _advance_until(page, lambda: phase.text_content() == words["phase_main"])
    expect(phase).to_have_text(words["phase_main"])
    _advance(page, 10, step=5)  # its first readings sent, their cue back
    cue = page.locator("#home-cue")
    expect(cue).to_have_text(words["cue_warm_up_high"])
    expect(cue).to_have_attribute("aria-live", "assertive")
    expect(cue).to_have_attribute("data-kind", "ease_off")
    spoken = page.evaluate("() => window.__spoken")
    assert {"text": words["cue_warm_up_high"], "lang": languages.language(lang).speech} in spoken
    found = cue.bounding_box()
    assert found and found["y"] + found["height"] <= PHONE["height"], found
    _shot(page, f"home-session-warm-up-check-{lang}.png")
    context.close()


def test_an_answer_to_how_hard_it_feels_reaches_the_cue_engine(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    """Without a strap the session goes by feel: a minute into the main part the page asks "how
    hard does this feel?"; tapping 19 (far above her band) brings the engine's ease-off back
    (rule cue.rpe_answer), shown, announced and spoken."""
    words = _words("en")
    _, link, _ = _patient_with_plan(live_server, tmp_path, "en")
    context, page = _todays_session(browser, link, words)
    page.locator("#home-start-no-strap").click()
    expect(page.locator("#home-cue")).to_have_text(words["cue_talk_test"])
    _advance(page, 240)
    prompt = page.locator("#home-rpe-prompt")
    _advance_until(page, prompt.is_visible)  # the main part's first minute
    expect(prompt).to_be_visible()
    expect(page.locator("#home-cue")).to_have_text(words["cue_rpe_prompt"])
    prompt.locator("button[data-rpe='19']").click()
    cue = page.locator("#home-cue")
    expect(cue).to_have_text(words["cue_ease_off"])
    expect(cue).to_have_attribute("data-kind", "ease_off")
    expect(prompt).to_be_hidden()
    spoken = page.evaluate("() => window.__spoken")
    assert {"text": words["cue_ease_off"], "lang": languages.language("en").speech} in spoken
    _shot(page, "home-session-rpe-answer-en.png")
    context.close()

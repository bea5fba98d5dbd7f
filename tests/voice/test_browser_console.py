"""A caller in the coach's console, in headless Chromium at 1366x768: the lobby and the tile show
the phone badge and the caller's name, the tile says there is no heart rate, and the caller's
440 Hz tone is what the coach's browser receives (WebAudio, at the tile's media)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS
from tests.conftest import World
from tests.rtc.conftest import RoomServer
from tests.voice.calls import call_in
from tests.voice.twilio_caller import TwilioCaller

pytestmark = pytest.mark.browser
T = TypeVar("T")
VIEWPORT = {"width": 1366, "height": 768}
# The strongest bins of what the tile's media holds, after a second and a half of listening.
LISTEN = """async (id) => {
  const video = document.querySelector(`#tiles [data-participant="${id}"] video`);
  const context = new AudioContext();
  await context.resume();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  context.createMediaStreamSource(video.srcObject).connect(analyser);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const data = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(data);
  const hz = context.sampleRate / analyser.fftSize;
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i] > data[best]) best = i;
  const at = (f) => data[Math.round(f / hz)];
  return {peak_hz: best * hz, at440: at(440), at1000: at(1000)};
}"""


class Line:
    """The caller on an event loop of its own, beside Playwright's synchronous one."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.caller: TwilioCaller | None = None

    def call(self, work: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def close(self) -> None:
        if self.caller is not None:
            self.call(self.caller.hang_up())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def line() -> Iterator[Line]:
    phone = Line()
    try:
        yield phone
    finally:
        phone.close()


def test_the_coachs_console_shows_the_caller_and_hears_their_tone(
    voice_server: RoomServer, voice_world: World, browser: Browser, line: Line
) -> None:
    ana = f"p{voice_world.patient_a}"
    context = browser.new_context(viewport=VIEWPORT)
    context.add_cookies(
        [
            {
                "name": "tc_session",
                "value": voice_server.staff_cookie(voice_world.coach_a),
                "url": voice_server.url,
            }
        ]
    )
    console = context.new_page()
    try:
        console.goto(f"{voice_server.url}/classes/occurrences/{voice_world.occurrence_a}/console")
        console.get_by_role("button", name="Start class").click()
        expect(console.locator("#console")).to_have_attribute("data-status", "live", timeout=15_000)

        async def dial() -> None:
            line.caller = await call_in(voice_server, "+15555550101")
            line.caller.play_tone(440)

        line.call(dial())
        waiting = console.locator(f'#lobby [data-participant="{ana}"]')
        expect(waiting).to_contain_text("Phone")
        expect(waiting).to_contain_text("Ana Secretname")
        console.get_by_role("button", name="Admit Ana Secretname").click()
        tile = console.locator(f'#tiles [data-participant="{ana}"]')
        expect(tile.locator(".tag.phone")).to_be_visible()
        expect(tile.locator(".name")).to_have_text("Ana Secretname")
        expect(tile.locator(".hr-phone")).to_have_text("No heart rate (phone)")
        expect(tile.locator(".hr-phone")).to_be_visible()
        expect(tile.locator(".tag.audio-only")).to_be_hidden()
        expect(tile.locator(".placeholder-why")).to_have_text("On the phone")
        expect(tile.get_by_role("button", name="Mute Ana Secretname")).to_be_visible()
        expect(tile.get_by_role("button", name="Remove Ana Secretname")).to_be_visible()
        console.wait_for_function(
            f"""() => {{
              const v = document.querySelector('#tiles [data-participant="{ana}"] video');
              return v && v.srcObject && v.srcObject.getAudioTracks().length > 0;
            }}""",
            timeout=15_000,
        )
        heard = console.evaluate(LISTEN, ana)
        assert abs(heard["peak_hz"] - 440) < 12, heard
        assert heard["at440"] > heard["at1000"] + 30, heard
        console.screenshot(path=str(ARTIFACTS / "console-phone-caller.png"))
        console.once("dialog", lambda dialog: dialog.accept())  # "Remove this patient...?"
        tile.get_by_role("button", name="Remove Ana Secretname").click()
        expect(tile).to_have_count(0)
        assert line.caller is not None
        assert line.call(line.caller.wait_closed()) == 1000
    finally:
        context.close()


@pytest.mark.parametrize(("who", "words"), [("a", "Join by phone"), ("b", "Únase por teléfono")])
def test_the_patients_page_shows_how_to_call_in_on_a_phone_screen(
    voice_server: RoomServer, voice_world: World, browser: Browser, who: str, words: str
) -> None:
    from coach import dial_in

    patient = getattr(voice_world, f"patient_{who}")
    occurrence = getattr(voice_world, f"occurrence_{who}")
    pin = voice_server.db.run_sync(dial_in.pin_for, occurrence)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies(
        [
            {
                "name": "tc_session",
                "value": voice_server.patient_cookie(patient),
                "url": voice_server.url,
            }
        ]
    )
    page = context.new_page()
    try:
        page.goto(f"{voice_server.url}/me")
        dial = page.locator(".class-live .dial-in")
        expect(dial).to_be_visible()
        expect(dial).to_contain_text(words)
        expect(dial).to_contain_text(pin)
        expect(dial).to_contain_text("+15555550188")
        page.screenshot(path=str(ARTIFACTS / f"me-dial-in-{who}.png"), full_page=True)
    finally:
        context.close()

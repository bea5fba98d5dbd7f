"""In headless Chromium against a real server on a Redis of the test's own: a patient who opens
her class page while Redis is away is told, in her language, that her cues are paused and her
heart rate still saved; once Redis is back the page says where her cues will show again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, LiveServer, browser, live_server  # noqa: F401
from tests.heart_rate.demo_pages import demo_class, seed_demo
from tests.redis_server import RedisServer
from web.i18n import Catalogues

pytestmark = pytest.mark.browser
LIVE_VIEW_WAIT_MS = 15_000  # the page's live view is tried again every 5 s


@pytest.fixture
def live_server_env(own_redis: RedisServer) -> dict[str, str]:
    return {"REDIS_URL": own_redis.url}


@pytest.mark.parametrize("language", ["en", "es", "zh-Hans"])
def test_a_page_opened_while_redis_is_away_says_its_cues_are_paused(
    live_server: LiveServer,  # noqa: F811
    browser: Browser,  # noqa: F811
    own_redis: RedisServer,
    language: str,
) -> None:
    words = Catalogues().translator(language)
    links = seed_demo(live_server)
    occurrence, enrolled = demo_class(live_server)
    name = next(n for n, _, lang in enrolled if lang == language and n in links)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    room = context.new_page()
    room.goto(links[name])

    own_redis.stop()
    room.goto(f"{live_server.url}/me/classes/{occurrence}")
    cue = room.locator("#hr-cue-text")
    expect(cue).to_have_text(words("cue.paused"))
    expect(cue).to_have_attribute("aria-live", "assertive")
    room.evaluate("() => window.hrSender.send(120, [500])")  # a reading while paused: stored
    room.wait_for_function("() => window.hrSender.unacked.size === 0")
    ARTIFACTS.mkdir(exist_ok=True)
    room.screenshot(path=str(ARTIFACTS / f"class-cues-paused-{language}.png"), full_page=True)

    own_redis.start()
    expect(cue).to_have_text(words("cue.waiting"), timeout=LIVE_VIEW_WAIT_MS)
    context.close()

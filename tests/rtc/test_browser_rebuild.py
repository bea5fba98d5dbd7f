"""The patient's page rebuilds its media connection by itself when it fails while the websocket
stays up (aiortc has no ICE restart): here the server's peer dies under it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import World
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer
from tests.rtc.live_class import wait_playing
from tests.rtc.scenes import publishing
from tests.rtc.test_room_flow import _set_class

pytestmark = pytest.mark.browser
# Records every status the page shows (a brief one could fall between two polls).
WATCH_STATUS = """() => {
  window.statusesSeen = [];
  const room = document.getElementById("room");
  new MutationObserver(() => window.statusesSeen.push(room.dataset.status))
    .observe(room, {attributes: true, attributeFilter: ["data-status"]});
}"""


@pytest.fixture
def side_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop on its own thread, for a Python participant beside the browser."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_a_failed_media_connection_is_rebuilt_by_the_page(
    room_server: RoomServer,
    room_world: World,
    browser: Browser,
    side_loop: asyncio.AbstractEventLoop,
) -> None:
    _set_class(room_server, room_world.class_a, auto_admit=True)
    coach = RoomClient(
        room_server.url,
        room_world.occurrence_a,
        room_server.staff_cookie(room_world.coach_a),
        **publishing(),
    )

    async def coach_in() -> None:
        await coach.connect()
        await coach.expect("welcome")
        await coach.join()
        await coach.expect("admitted")

    asyncio.run_coroutine_threadsafe(coach_in(), side_loop).result(10)
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": "tc_session",
                "url": room_server.url,
                "value": room_server.patient_cookie(room_world.patient_a),
            }
        ]
    )
    page = context.new_page()
    try:
        page.goto(f"{room_server.url}/me/classes/{room_world.occurrence_a}")
        page.get_by_role("button", name="Test my camera and sound").click()
        page.get_by_role("button", name="Join the class").click()
        first = wait_playing(page, "#coach-video")
        expect(page.locator("#room")).to_have_attribute("data-status", "status_live")

        async def kill_server_peer() -> int:
            connection = next(
                s
                for s in room_server.rooms._connections
                if s.identity.id == f"p{room_world.patient_a}"
            )
            assert connection.peer is not None
            generation = connection.peer.generation
            await connection.peer.pc.close()  # no word to the page: its connection just fails
            return generation

        page.evaluate(WATCH_STATUS)
        dead = room_server.call(kill_server_peer)
        deadline = time.monotonic() + 20  # what the patient reads meanwhile:
        while "status_reconnecting" not in page.evaluate("() => window.statusesSeen"):
            assert time.monotonic() < deadline, page.evaluate("() => window.statusesSeen")
            page.wait_for_timeout(100)
        expect(page.locator("#room")).to_have_attribute(
            "data-status", "status_live", timeout=15_000
        )
        again = wait_playing(page, "#coach-video")
        assert again["id"] != first["id"]

        async def generation_now() -> int:
            connection = next(
                s
                for s in room_server.rooms._connections
                if s.identity.id == f"p{room_world.patient_a}"
            )
            assert connection.peer is not None
            return connection.peer.generation

        assert room_server.call(generation_now) > dead  # a new server peer, not a repair
    finally:
        context.close()
        asyncio.run_coroutine_threadsafe(coach.close(), side_loop).result(10)

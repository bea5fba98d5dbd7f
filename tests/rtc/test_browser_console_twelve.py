"""A class of twelve on the coach's console, in headless Chromium at 1366x768 against a real
`telecoach serve`: twelve aiortc patients (lighter than twelve browsers) in the room, simulated
heart rates streaming through the API, and every tile shows its patient's video and heart rate
on the one screen with nothing to scroll; a spotlit tile is larger; a patient with the camera off
and one with no camera show a placeholder with their name and heart rate."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.a11y_layout import contrast, moving, reflow_shots
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.staff import create_coach, sign_in
from tests.rtc.client import RoomClient
from tests.rtc.live_class import simulated_heart_rates
from tests.rtc.media import EncodedAudioTrack, EncodedVideoTrack, opus_frames, vp8_frames

pytestmark = pytest.mark.browser
T = TypeVar("T")
VIEWPORT = {"width": 1366, "height": 768}
NAMES = [
    "Ana Torres",
    "Bea Lindqvist",
    "Carmen Ruiz",
    "Dolores Park",
    "Elena Novak",
    "Fatima Haddad",
    "Grace O'Neill",
    "Hana Sato",
    "Irene Costa",
    "Julia Mendes",
    "Karin Berg",  # camera off
    "Lucía Vega",  # no camera: sound only
]
CAMERA_OFF, NO_CAMERA = NAMES[10], NAMES[11]
PROFILE = {"age": 58, "sex": "female"}


@pytest.fixture
def live_server_env() -> dict[str, str]:
    return {}


class Patients:
    """aiortc patients on an event loop of their own, beside Playwright's synchronous one."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients: list[RoomClient] = []

    def call(self, work: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    async def join(self, url: str, occurrence: int, cookie: str, name: str) -> RoomClient:
        tracks: dict[str, Any] = {"audio": EncodedAudioTrack(opus_frames())}
        if name != NO_CAMERA:
            tracks = {"video": EncodedVideoTrack(vp8_frames(), fps=10)}
        client = RoomClient(url, occurrence, cookie, estimate_bandwidth=False, **tracks)
        self.clients.append(client)
        await client.connect()
        await client.expect("welcome")
        await client.join(audio_only=name == NO_CAMERA)
        await client.expect("admitted", timeout=20)
        if name == CAMERA_OFF:
            await client.send({"type": "mute", "kind": "video", "muted": True})
        return client

    def close(self) -> None:
        async def leave() -> None:
            await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)

        try:
            self.call(leave())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@pytest.fixture
def patients() -> Iterator[Patients]:
    crowd = Patients()
    try:
        yield crowd
    finally:
        crowd.close()


def _class_of_twelve(server: LiveServer, tmp_path) -> tuple[int, dict[str, tuple[int, str]]]:  # type: ignore[no-untyped-def]
    """A coach, twelve patients enrolled in a class that admits them straight in, and for each
    patient a signed-in session (from their join link)."""
    create_coach(server)
    rows = [f"{name},+1555555{n:04d},UTC,coach@example.org,en" for n, name in enumerate(NAMES)]
    csv = "name,phone,time_zone,coach_email,language\n" + "\n".join(rows) + "\n"
    (tmp_path / "p.csv").write_text(csv)
    server.cli("import-patients", str(tmp_path / "p.csv"))
    token = server.cli("create-token", "--email", "coach@example.org").stdout.strip()
    start = (datetime.now(UTC) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    sessions: dict[str, tuple[int, str]] = {}
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api:
        series = api.post(
            "/api/v1/classes",
            json={
                "title": "Strong Together",
                "time_zone": "UTC",
                "first_start_local": start,
                "capacity": 12,
                "auto_admit": True,
            },
        ).json()
        occurrence = api.get(f"/api/v1/classes/{series['id']}").json()["occurrences"][0]["id"]
        for patient in api.get("/api/v1/patients").json()["patients"]:
            enrolled = api.post(
                f"/api/v1/classes/{series['id']}/enrollments", json={"patient_id": patient["id"]}
            )
            assert enrolled.status_code == 201, enrolled.text
            # An age gives an age-predicted zone, so the tiles have zones to colour.
            profile = api.put(f"/api/v1/patients/{patient['id']}/profile", json=PROFILE)
            assert profile.status_code == 200, profile.text
            link = api.post(f"/api/v1/patients/{patient['id']}/join-links").json()["url"]
            entered = httpx.get(link, follow_redirects=False)
            assert entered.status_code == 303, entered.text
            sessions[patient["name"]] = (patient["id"], entered.cookies["tc_session"])
    assert sorted(sessions) == sorted(NAMES)
    return occurrence, sessions


def _inside(box: dict[str, float] | None, what: str) -> None:
    assert box is not None, f"{what} is not shown"
    assert box["x"] >= 0 and box["y"] >= 0, f"{what} starts off screen: {box}"
    assert box["x"] + box["width"] <= VIEWPORT["width"] + 0.5, f"{what} is cut on the right: {box}"
    assert box["y"] + box["height"] <= VIEWPORT["height"] + 0.5, f"{what} is cut below: {box}"


def _area(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["width"] * box["height"]


def _all_inside(console: Page, ids: dict[str, int]) -> None:
    for name, patient_id in ids.items():
        tile = console.locator(f'#tiles [data-participant="p{patient_id}"]')
        _inside(tile.bounding_box(), f"{name}'s tile")
        _inside(tile.locator(".tile-picture").bounding_box(), f"{name}'s picture")
        _inside(tile.locator(".hr-bpm").bounding_box(), f"{name}'s heart rate")


def test_a_class_of_twelve_fits_one_screen_with_video_and_heart_rate_on_every_tile(
    live_server: LiveServer, browser: Browser, patients: Patients, tmp_path
) -> None:
    occurrence, sessions = _class_of_twelve(live_server, tmp_path)
    ids = {name: patient_id for name, (patient_id, _) in sessions.items()}
    simulator = simulated_heart_rates(live_server, occurrence)
    context = browser.new_context(viewport=VIEWPORT)
    console = context.new_page()
    try:
        console.goto(f"{live_server.url}/classes/occurrences/{occurrence}/console")
        sign_in(console)
        expect(console.locator("#hr-status")).to_have_text("Live.")
        console.get_by_role("button", name="Start class").click()
        expect(console.locator("#console")).to_have_attribute("data-status", "live", timeout=15_000)
        # Nobody in the room yet: the rates stream in, and they take the empty stage rather than
        # the side column under the alerts.
        on_stage = console.locator("#live #hr-tiles .hr-tile")
        expect(on_stage).to_have_count(12, timeout=20_000)
        _inside(on_stage.first.bounding_box(), "the first rate on the stage")
        assert on_stage.first.bounding_box()["width"] > 230  # type: ignore[index]
        ARTIFACTS.mkdir(exist_ok=True)
        console.screenshot(path=str(ARTIFACTS / "console-rates-on-stage.png"))

        async def everyone() -> list[RoomClient]:
            return await asyncio.gather(
                *(
                    patients.join(live_server.url, occurrence, cookie, name)
                    for name, (_, cookie) in sessions.items()
                )
            )

        patients.call(everyone(), timeout=60)
        tiles = console.locator("#tiles [data-participant]")
        expect(tiles).to_have_count(12, timeout=20_000)
        # Every patient's heart rate is in their own tile, none left in the side list.
        for name, patient_id in ids.items():
            tile = console.locator(f'#tiles [data-participant="p{patient_id}"]')
            expect(tile.locator(".name")).to_have_text(name)
            expect(tile.locator(".hr-bpm")).to_have_text(re.compile(r"^\d+ bpm$"), timeout=20_000)
            expect(tile.locator(".hr-meta")).to_have_text(re.compile(r"zone|waiting"))
            expect(tile.locator(".hr-time")).to_have_text(re.compile(r"^In zone \d+:\d\d"))
        expect(console.locator("#hr-tiles .hr-tile")).to_have_count(0)
        expect(console.locator(".console-side #hr-elsewhere")).to_have_count(1)  # back aside

        # Ten pictures play; the camera-off and the no-camera patient show who they are instead.
        for name, patient_id in ids.items():
            tile = console.locator(f'#tiles [data-participant="p{patient_id}"]')
            if name in (CAMERA_OFF, NO_CAMERA):
                placeholder = tile.locator(".placeholder")
                expect(placeholder).to_be_visible(timeout=15_000)
                expect(placeholder).to_contain_text(name)
                why = "Camera off" if name == CAMERA_OFF else "No video"
                expect(placeholder).to_contain_text(why)
                expect(tile.locator(".hr-bpm")).to_be_visible()
            else:
                expect(tile).to_have_attribute("data-picture", "yes", timeout=20_000)
                expect(tile.locator(".placeholder")).to_be_hidden()
        no_camera = console.locator(f'#tiles [data-participant="p{ids[NO_CAMERA]}"]')
        expect(no_camera.locator(".audio-only")).to_have_text("Sound only")

        _all_inside(console, ids)
        controls = console.locator("#controls")
        for control in ("Mute", "Turn camera off", "End class"):
            _inside(controls.get_by_role("button", name=control).bounding_box(), control)
        _inside(console.get_by_label("Patients see each other").bounding_box(), "the option")
        _inside(console.get_by_role("heading", name="Alerts").bounding_box(), "the alerts")
        scroll = console.evaluate(
            "() => [document.scrollingElement.scrollHeight, document.scrollingElement.scrollWidth]"
        )
        assert scroll[0] <= VIEWPORT["height"] and scroll[1] <= VIEWPORT["width"], scroll
        ARTIFACTS.mkdir(exist_ok=True)
        console.screenshot(path=str(ARTIFACTS / "console-twelve.png"))

        # Spotlight one patient: her tile grows, and everyone still fits.
        spotlit = console.locator(f'#tiles [data-participant="p{ids[NAMES[4]]}"]')
        other = console.locator(f'#tiles [data-participant="p{ids[NAMES[0]]}"]')
        before = _area(spotlit)
        spotlit.get_by_role("button", name="Spotlight").click()
        expect(spotlit).to_have_class(re.compile(r"\bspotlit\b"))
        expect(spotlit.get_by_role("button", name="End spotlight")).to_be_visible()
        console.wait_for_timeout(300)  # the grid settles on its new columns
        assert _area(spotlit) > 2 * before
        assert _area(spotlit) > 2 * _area(other)
        _all_inside(console, ids)
        console.screenshot(path=str(ARTIFACTS / "console-twelve-spotlight.png"))

        # "Patients see each other" still reaches the patients from its new place.
        console.get_by_label("Patients see each other").check()
        seen = patients.call(
            patients.clients[0].wait_for(
                lambda m: m["type"] == "state" and m["options"]["patients_see_each_other"]
            )
        )
        assert len([p for p in seen["participants"] if p["role"] == "patient"]) == 12

        # On a small screen the class scrolls in two columns instead, every tile whole.
        console.set_viewport_size({"width": 820, "height": 1000})
        console.wait_for_timeout(300)
        boxes = [tiles.nth(n).bounding_box() for n in range(12)]
        assert all(b is not None and b["width"] > 300 and b["height"] > 150 for b in boxes), boxes
        console.screenshot(path=str(ARTIFACTS / "console-twelve-narrow.png"), full_page=True)

        # At 320 CSS px and at 200% text nothing scrolls sideways or is cut (WCAG 1.4.10); with
        # less motion asked for, the tiles' actions appear without a transition (2.3.3).
        console.set_viewport_size(VIEWPORT)
        # Every tile, in whatever zone its simulated rate is: text at 4.5:1, its border at 3:1.
        for name, patient_id in ids.items():
            figure = contrast(console, f'#tiles [data-participant="p{patient_id}"]')
            assert figure["text"]["ratio"] >= 4.5 and figure["border"]["ratio"] >= 3, (name, figure)
        assert any("tile-actions" in m for m in moving(console))  # the check sees transitions
        console.emulate_media(reduced_motion="reduce")
        assert moving(console) == []
        spotlit.locator("summary").click()  # a tile's cue tools open, to be measured too
        problems = reflow_shots(console, "a11y-console-twelve-live")
        assert not problems, "\n".join(problems)
    finally:
        context.close()
        simulator.terminate()
        simulator.wait(timeout=15)

"""A coach and a patient in one live class, each in headless Chromium with a fake camera and
microphone, against a real `telecoach serve`: each sees the other's video playing, the server's
/metrics count the room, its two participants and the streams it forwards, and the patient's
page comes back by itself after its connection drops."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect
from prometheus_client.parser import text_string_to_metric_families

from tests.browser.conftest import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser
METRICS_TOKEN = "metrics-token-for-the-class-test"


@pytest.fixture
def live_server_env() -> dict[str, str]:
    return {"METRICS_TOKEN": METRICS_TOKEN}


def _gauges(server: LiveServer) -> dict[str, float]:
    answer = httpx.get(
        f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if not sample.labels
    }


CSV = (
    "name,phone,time_zone,coach_email,language\n"
    "Rosa Morales,+15555550111,America/Chicago,coach@example.org,es\n"
)
PLAYING = """async (video) => {
  const first = video.currentTime;
  await new Promise((resolve) => setTimeout(resolve, 700));
  return {width: video.videoWidth, advanced: video.currentTime > first, id: video.srcObject &&
          video.srcObject.getVideoTracks().map((t) => t.id).join()};
}"""


def _class_with_patient(server: LiveServer, tmp_path, minutes_ahead: int = 10) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A coach, a Spanish-speaking patient enrolled in a class, and her join link."""
    server.cli(
        "create-user",
        "--email",
        "coach@example.org",
        "--role",
        "coach",
        "--name",
        "Dana Rivera",
        "--password-stdin",
        stdin="a long demo password\n",
    )
    (tmp_path / "p.csv").write_text(CSV)
    server.cli("import-patients", str(tmp_path / "p.csv"))
    token = server.cli("create-token", "--email", "coach@example.org").stdout.strip()
    start = (datetime.now(UTC) + timedelta(minutes=minutes_ahead)).strftime("%Y-%m-%dT%H:%M")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api:
        series = api.post(
            "/api/v1/classes",
            json={"title": "Gentle Strength", "time_zone": "UTC", "first_start_local": start},
        ).json()
        patient_id = api.get("/api/v1/patients").json()["patients"][0]["id"]
        enrolled = api.post(
            f"/api/v1/classes/{series['id']}/enrollments", json={"patient_id": patient_id}
        )
        assert enrolled.status_code == 201
        occurrence = api.get(f"/api/v1/classes/{series['id']}").json()["occurrences"][0]["id"]
        link = api.post(f"/api/v1/patients/{patient_id}/join-links").json()["url"]
    return occurrence, link


def _playing(video_page: Page, selector: str) -> dict[str, object]:
    result: dict[str, object] = video_page.locator(selector).evaluate(PLAYING)
    return result


def _wait_playing(video_page: Page, selector: str, timeout: float = 15.0) -> dict[str, object]:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while True:
        result = _playing(video_page, selector)
        if result["width"] and result["advanced"]:
            return result
        if datetime.now(UTC) > deadline:
            raise AssertionError(f"{selector} is not playing: {json.dumps(result)}")


def test_coach_and_patient_see_each_other_and_the_patient_comes_back(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    occurrence, join_url = _class_with_patient(live_server, tmp_path)
    coach_context, patient_context = browser.new_context(), browser.new_context()
    coach, patient = coach_context.new_page(), patient_context.new_page()
    try:
        _sign_in_and_start(coach, live_server, occurrence)
        expect(coach.locator("#lobby-empty")).to_be_visible()

        sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        patient.route_web_socket(
            "**/ws/rooms/**", lambda route: sockets.append((route, route.connect_to_server()))
        )
        _patient_joins(patient, join_url)
        expect(patient.locator("#room")).to_have_attribute("data-status", "status_lobby")

        coach.get_by_role("button", name="Admit Rosa Morales").click()
        tile = coach.locator("#tiles [data-participant] video")
        seen_by_coach = _wait_playing(coach, "#tiles [data-participant] video")
        seen_by_patient = _wait_playing(patient, "#coach-video")
        expect(patient.locator("#room")).to_have_attribute("data-status", "status_live")
        assert tile.count() == 1
        gauges = _gauges(live_server)
        deadline = time.monotonic() + 10  # the audio tracks may be a moment behind the video
        while gauges["telecoach_forwarded_streams"] < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
            gauges = _gauges(live_server)
        assert gauges["telecoach_rooms_open"] == 1
        assert gauges["telecoach_room_participants"] == 2
        # Coach's audio and video to the patient, the patient's to the coach.
        assert gauges["telecoach_forwarded_streams"] == 4
        ARTIFACTS.mkdir(exist_ok=True)
        coach.screenshot(path=str(ARTIFACTS / "class-console.png"), full_page=True)
        patient.screenshot(path=str(ARTIFACTS / "class-room-patient.png"), full_page=True)

        # The patient's connection drops: the page says so, then rebuilds everything by itself.
        page_side, server_side = sockets[-1]
        server_side.close(code=1001)
        page_side.close(code=4000, reason="dropped")
        expect(patient.locator("#room")).to_have_attribute(
            "data-status", "status_reconnecting", timeout=10_000
        )
        expect(patient.locator("#room")).to_have_attribute(
            "data-status", "status_live", timeout=20_000
        )
        again = _wait_playing(patient, "#coach-video")
        assert again["id"] != seen_by_patient["id"], "the page should run a new connection"
        back = _wait_playing(coach, "#tiles [data-participant] video")
        assert back["width"] and seen_by_coach["width"]
    finally:
        coach_context.close()
        patient_context.close()


def _sign_in_and_start(coach: Page, server: LiveServer, occurrence: int) -> None:
    coach.goto(f"{server.url}/classes/occurrences/{occurrence}/console")
    coach.get_by_label("Email").fill("coach@example.org")
    coach.get_by_label("Password").fill("a long demo password")
    coach.get_by_role("button", name="Sign in").click()
    coach.get_by_role("button", name="Start class").click()


def _patient_joins(patient: Page, join_url: str) -> None:
    patient.goto(join_url)
    patient.get_by_role("link", name="Entrar a la clase").click()
    expect(patient.get_by_role("heading", name="Antes de entrar")).to_be_visible()
    patient.get_by_role("button", name="Probar cámara y micrófono").click()
    expect(patient.locator("#status")).to_have_text("Su cámara y su micrófono funcionan.")
    patient.get_by_role("button", name="Entrar a la clase").click()


def test_a_patient_who_vanishes_stays_on_the_coachs_screen_as_lost(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    occurrence, join_url = _class_with_patient(live_server, tmp_path)
    coach_context, patient_context = browser.new_context(), browser.new_context()
    coach = coach_context.new_page()
    coach.set_viewport_size({"width": 1366, "height": 768})
    try:
        _sign_in_and_start(coach, live_server, occurrence)
        patient = patient_context.new_page()
        _patient_joins(patient, join_url)
        expect(patient.locator("#room")).to_have_attribute("data-status", "status_lobby")
        coach.get_by_role("button", name="Admit Rosa Morales").click()
        _wait_playing(coach, "#tiles [data-participant] video")
        tile = coach.locator("#tiles [data-participant]")
        expect(tile.locator(".link")).to_be_hidden()

        patient_context.close()  # her tab is gone: no goodbye
        expect(tile).to_have_attribute("data-connection", "lost", timeout=10_000)
        expect(tile.locator(".link")).to_have_text(re.compile(r"^Lost at \d\d:\d\d"))
        expect(tile.get_by_role("button", name="Spotlight")).to_be_hidden()
        expect(coach.locator("#lobby-empty")).to_be_visible()  # not offered for admission
        ARTIFACTS.mkdir(exist_ok=True)
        coach.screenshot(path=str(ARTIFACTS / "class-console-lost.png"))

        # The coach takes her off the screen.
        coach.once("dialog", lambda dialog: dialog.accept())
        tile.get_by_role("button", name="Remove").click()
        expect(coach.locator("#tiles-empty")).to_be_visible()
    finally:
        coach_context.close()


def test_a_patient_early_for_class_is_told_when_it_opens(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    _, join_url = _class_with_patient(live_server, tmp_path, minutes_ahead=40)
    context = browser.new_context()
    patient = context.new_page()
    patient.set_viewport_size({"width": 390, "height": 844})
    try:
        _patient_joins(patient, join_url)
        room = patient.locator("#room")
        expect(room).to_have_attribute("data-status", "status_not_open")
        opens = room.get_attribute("data-opens-local")
        assert opens
        expect(patient.locator("#status")).to_have_text(
            f"Esta clase se abre: {opens}. Deje esta página abierta: le dejará entrar entonces."
        )
        patient.wait_for_timeout(1500)  # no reconnect loop: it waits for the opening time
        expect(room).to_have_attribute("data-status", "status_not_open")
        ARTIFACTS.mkdir(exist_ok=True)
        patient.screenshot(path=str(ARTIFACTS / "class-room-not-open-es.png"))
    finally:
        context.close()

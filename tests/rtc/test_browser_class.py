"""A coach and a patient in one live class, each in headless Chromium with a fake camera and
microphone, against a real `telecoach serve`: each sees the other's video playing, the server's
/metrics count the room, its two participants and the streams it forwards, and the patient's
page comes back by itself after its connection drops."""

from __future__ import annotations

import re
import time

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect
from prometheus_client.parser import text_string_to_metric_families

from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.staff import sign_in
from tests.rtc.live_class import class_with_patient, spanish_patient_joins, wait_playing

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


def test_coach_and_patient_see_each_other_and_the_patient_comes_back(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    occurrence, join_url = class_with_patient(live_server, tmp_path)
    coach_context, patient_context = browser.new_context(), browser.new_context()
    coach, patient = coach_context.new_page(), patient_context.new_page()
    try:
        _sign_in_and_start(coach, live_server, occurrence)
        expect(coach.locator("#lobby-empty")).to_be_visible()

        sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        patient.route_web_socket(
            "**/ws/rooms/**", lambda route: sockets.append((route, route.connect_to_server()))
        )
        spanish_patient_joins(patient, join_url)
        expect(patient.locator("#room")).to_have_attribute("data-status", "status_lobby")

        coach.get_by_role("button", name="Admit Rosa Morales").click()
        tile = coach.locator("#tiles [data-participant] video")
        seen_by_coach = wait_playing(coach, "#tiles [data-participant] video")
        seen_by_patient = wait_playing(patient, "#coach-video")
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
        again = wait_playing(patient, "#coach-video")
        assert again["id"] != seen_by_patient["id"], "the page should run a new connection"
        back = wait_playing(coach, "#tiles [data-participant] video")
        assert back["width"] and seen_by_coach["width"]
    finally:
        coach_context.close()
        patient_context.close()


def _sign_in_and_start(coach: Page, server: LiveServer, occurrence: int) -> None:
    coach.goto(f"{server.url}/classes/occurrences/{occurrence}/console")
    sign_in(coach)
    coach.get_by_role("button", name="Start class").click()


def test_a_patient_who_vanishes_stays_on_the_coachs_screen_as_lost(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    occurrence, join_url = class_with_patient(live_server, tmp_path)
    coach_context, patient_context = browser.new_context(), browser.new_context()
    coach = coach_context.new_page()
    coach.set_viewport_size({"width": 1366, "height": 768})
    try:
        _sign_in_and_start(coach, live_server, occurrence)
        patient = patient_context.new_page()
        spanish_patient_joins(patient, join_url)
        expect(patient.locator("#room")).to_have_attribute("data-status", "status_lobby")
        coach.get_by_role("button", name="Admit Rosa Morales").click()
        wait_playing(coach, "#tiles [data-participant] video")
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
    _, join_url = class_with_patient(live_server, tmp_path, minutes_ahead=40)
    context = browser.new_context()
    patient = context.new_page()
    patient.set_viewport_size({"width": 390, "height": 844})
    try:
        spanish_patient_joins(patient, join_url)
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

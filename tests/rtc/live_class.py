"""A class with one enrolled patient on a live server, and waiting for a video to play: shared by
the browser tests of a class (tests/rtc/test_browser_*.py)."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
from playwright.sync_api import Page, expect

from coach.database import Database
from tests.browser.conftest import TELECOACH, LiveServer
from tests.browser.staff import COACH_EMAIL, create_coach
from tests.heart_rate.helpers import give_profile

# Whether a <video> shows frames: its size, and whether its clock moves in 0.7 s.
PLAYING = """async (video) => {
  const first = video.currentTime;
  await new Promise((resolve) => setTimeout(resolve, 700));
  return {width: video.videoWidth, advanced: video.currentTime > first, id: video.srcObject &&
          video.srcObject.getVideoTracks().map((t) => t.id).join()};
}"""


# Simulated heart rates for a class, fast, for two minutes at the most (stop it when done).
SIMULATE = ["--seconds", "120", "--speed", "30", "--quiet"]


def simulated_heart_rates(server: LiveServer, occurrence: int) -> subprocess.Popen[bytes]:
    """`telecoach simulate-hr` streaming every enrolled patient's heart rate through the API."""
    return subprocess.Popen(
        [TELECOACH, "simulate-hr", "--occurrence", str(occurrence), *SIMULATE],
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def spanish_patient_joins(patient: Page, join_url: str) -> None:
    """Through her join link, her test of camera and sound, into the class (or its lobby)."""
    patient.goto(join_url)
    patient.get_by_role("link", name="Entrar a la clase").click()
    expect(patient.get_by_role("heading", name="Pruebe su cámara y su sonido")).to_be_visible()
    patient.get_by_role("button", name="Probar mi cámara y mi sonido").click()
    expect(patient.locator("#status")).to_have_text("Su cámara y su micrófono funcionan.")
    patient.get_by_role("button", name="Entrar a la clase").click()


def wait_playing(page: Page, selector: str, timeout: float = 20.0) -> dict[str, object]:
    """The video's state once it plays; an AssertionError saying what it did if it does not."""
    deadline = time.monotonic() + timeout
    while True:
        result: dict[str, object] = page.locator(selector).evaluate(PLAYING)
        if result["width"] and result["advanced"]:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} is not playing: {json.dumps(result)}")


def class_with_patient(
    server: LiveServer,
    tmp_path: Path,
    *,
    patient: str = "Rosa Morales",
    language: str = "es",
    minutes_ahead: int = 10,
    with_profile: bool = False,
    coach_language: str | None = None,
    coach_zone: str | None = None,
) -> tuple[int, str]:
    """A coach and a patient speaking `language` enrolled in a class starting `minutes_ahead`
    from now (ten: its room is open); with a profile, she has a target zone (age 60, resting
    70: 109-126). The coach's language and zone are create-user's defaults unless given. The
    class's first occurrence and her join link."""
    create_coach(server, language=coach_language, time_zone=coach_zone)
    (tmp_path / "p.csv").write_text(
        "name,phone,time_zone,coach_email,language\n"
        f"{patient},+15555550111,America/Chicago,{COACH_EMAIL},{language}\n"
    )
    server.cli("import-patients", str(tmp_path / "p.csv"))
    token = server.cli("create-token", "--email", COACH_EMAIL).stdout.strip()
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
    if with_profile:
        database = Database(f"sqlite:///{server.env['TELECOACH_VAR_DIR']}/telecoach.db")
        try:
            database.run_sync(give_profile, patient_id)
        finally:
            database.dispose()
    return int(occurrence), str(link)

"""In headless Chromium: the page's 0x2A37 parser against the same byte vectors as the Python one,
and the coach's monitor page showing a simulated patient's tile change zone colour."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import col, select

from coach.database import Database
from coach.hr_models import DeviceToken
from coach.models import ClassOccurrence
from tests.browser.conftest import (
    ARTIFACTS,
    TELECOACH,
    LiveServer,
    browser,
    live_server,
)
from tests.http_servers import serving

pytestmark = pytest.mark.browser
__all__ = ["browser", "live_server"]  # the fixtures shared with tests/browser
STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
VECTORS = json.loads((Path(__file__).parent / "ble_vectors.json").read_text())


@pytest.fixture
def static_server() -> Iterator[str]:
    """The static files alone, served plainly: enough to import the module in a page."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(STATIC))
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url


def test_the_browser_parser_agrees_with_the_byte_vectors(
    browser: Browser, static_server: str
) -> None:
    page = browser.new_page()
    page.goto(f"{static_server}/hr.css")
    results = page.evaluate(
        """async (vectors) => {
            const m = await import("/js/heart-rate-sensor.js");
            const bytes = (hex) => Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
            const valid = vectors.valid.map((v) => m.parseHeartRateMeasurement(bytes(v.hex)));
            const invalid = vectors.invalid.map((v) => {
                const view = new DataView(bytes(v.hex).buffer);
                try { m.parseHeartRateMeasurement(view); return "parsed"; }
                catch (e) { return "error"; }
            });
            return {valid, invalid};
        }""",
        VECTORS,
    )
    for vector, parsed in zip(VECTORS["valid"], results["valid"], strict=True):
        expected = {
            "bpm": vector["bpm"],
            "contact": vector["contact"],
            "energyKj": vector["energy_kj"],
            "rrMs": vector["rr_ms"],
        }
        assert parsed == expected, vector["name"]
    assert results["invalid"] == ["error"] * len(VECTORS["invalid"])
    page.close()


def _changed_colour(history: list[str]) -> bool:
    """The tile showed a rate in one zone colour, then in another (e.g. below, then in zone)."""
    coloured = [z for z in history if z in ("below", "in", "above", "over")]
    return len(coloured) >= 2 and coloured[0] != coloured[1]


def _demo_occurrence(server: LiveServer) -> int:
    database = Database(f"sqlite:///{server.env['TELECOACH_VAR_DIR']}/telecoach.db")
    try:
        return database.run_sync(
            lambda s: s.exec(
                select(ClassOccurrence.id).order_by(col(ClassOccurrence.starts_at))
            ).first()
        )
    finally:
        database.dispose()


def test_monitor_tile_changes_zone_colour_as_a_simulated_patient_warms_up(
    live_server: LiveServer, browser: Browser
) -> None:
    seeded = live_server.cli("demo").stdout
    join_url = next(line.split(": ", 1)[1] for line in seeded.splitlines() if "join link" in line)
    occurrence = _demo_occurrence(live_server)
    page = browser.new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("coach@example.org")
    page.get_by_label("Password").fill("telecoach-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(f"{live_server.url}/classes/occurrences/{occurrence}/monitor")
    expect(page.locator("#hr-status")).to_have_text("Live.")
    tiles = page.locator(".hr-tile")
    expect(tiles.first).to_be_visible()

    # A patient's page streams a reading (as the sensor would); it is stored, acknowledged, and
    # shows on the coach's tile.
    patient = browser.new_context().new_page()
    patient.goto(join_url)
    patient.goto(f"{live_server.url}/me/heart-rate/{occurrence}")
    patient.wait_for_function("() => window.hrSender && window.hrSender.socket?.readyState === 1")
    patient.evaluate("() => window.hrSender.send(101, [590])")
    patient.wait_for_function("() => window.hrSender.unacked.size === 0")
    expect(patient.locator("#hr-own-bpm")).to_have_text("101")
    expect(page.locator(".hr-tile", has_text="101 bpm")).to_have_count(1)
    patient.context.close()

    simulator = subprocess.Popen(
        [
            TELECOACH,
            "simulate-hr",
            "--occurrence",
            str(occurrence),
            "--url",
            live_server.url,
            "--seconds",
            "30",
            "--speed",
            "40",
            "--seed",
            "1",
        ],
        env=live_server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    seen: dict[str, list[str]] = {}
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            zones = page.evaluate(
                "() => [...document.querySelectorAll('.hr-tile')].map("
                "t => [t.dataset.patient, t.dataset.zone, t.className])"
            )
            for patient, zone, classes in zones:
                assert f"zone-{zone}" in classes  # the colour follows the zone
                history = seen.setdefault(patient, [])
                if not history or history[-1] != zone:
                    history.append(zone)
            if any(_changed_colour(h) for h in seen.values()):
                break
            time.sleep(0.2)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hr-monitor.png"), full_page=True)
    finally:
        simulator.terminate()
        output = simulator.communicate(timeout=20)[0].decode()
    assert any(_changed_colour(h) for h in seen.values()), (seen, output)
    assert "readings stored" in output
    page.close()
    database = Database(f"sqlite:///{live_server.env['TELECOACH_VAR_DIR']}/telecoach.db")
    try:  # the simulator's device tokens were revoked when it stopped
        tokens = database.run_sync(lambda s: s.exec(select(DeviceToken)).all())
    finally:
        database.dispose()
    assert tokens and all(t.revoked_at is not None for t in tokens)

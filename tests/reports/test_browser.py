"""In headless Chromium: a coach signs in to the demo clinic after a class, opens each report,
sees charts with content, and each page prints to a PDF. Screenshots go to
test-artifacts/reports/ for a person to look at."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, select

from coach.alerts import raise_episode
from coach.database import Database
from coach.home_sessions import HomeSession
from coach.models import ClassOccurrence, Patient, utcnow
from tests.browser.conftest import ARTIFACTS, LiveServer, browser, live_server
from tests.browser.staff import choose_language

pytestmark = pytest.mark.browser
__all__ = ["browser", "live_server"]  # the fixtures shared with tests/browser
SHOTS = ARTIFACTS / "reports"


def _ids(server: LiveServer) -> tuple[int, int]:
    database = Database(f"sqlite:///{server.env['TELECOACH_VAR_DIR']}/telecoach.db")

    def load(session: Session) -> tuple[int, int]:
        ada = session.exec(select(Patient).where(Patient.name == "Ada Whitfield")).one()
        occurrence = session.exec(
            select(ClassOccurrence).order_by(col(ClassOccurrence.starts_at))
        ).first()
        assert ada.id is not None and occurrence is not None and occurrence.id is not None
        now = utcnow()
        raise_episode(  # the live monitor raises these asynchronously; this one is made here
            session,
            ada.id,
            occurrence.id,
            "over_ceiling",
            started_at=now - timedelta(seconds=50),
            raised_at=now - timedelta(seconds=10),
            bpm=150,
            detail="150 bpm for 40 s",
        )
        return ada.id, occurrence.id

    try:
        return database.run_sync(load)
    finally:
        database.dispose()


def _trace(main_minutes: float) -> dict:
    """A stored heart-rate trace as a session at home keeps it (coach/home_trace.py): 15-second
    means climbing through the warm-up, a main part that drifts over the zone and is eased back,
    and the cool-down."""
    bins, index = [], 0
    for phase, count, first, last in (
        ("warm_up", 20, 88, 104),
        ("main", int(main_minutes * 4), 110, 130),
        ("cool_down", 20, 112, 92),
    ):
        for i in range(count):
            bpm = first + (last - first) * i / max(count - 1, 1)
            if phase == "main" and i > count * 2 // 3:
                bpm = 121  # eased back into the zone after a cue
            bins.append([index, phase, round(bpm) * 15, 15])
            index += 1
    return {"active_ms": index * 15_000, "last_t_ms": None, "zone": [107, 127], "bins": bins}


def _sessions_at_home(server: LiveServer, ada: int) -> None:
    """Three of Ada's sessions at home, the week before last (before her prescription's weeks,
    so the adherence figures stay the class's): done in her zone, done by feel, stopped early."""
    database = Database(f"sqlite:///{server.env['TELECOACH_VAR_DIR']}/telecoach.db")
    started = utcnow() - timedelta(days=10)

    def add(session: Session) -> None:
        for back, (strap, status, minutes, in_zone_s, rpe, symptoms, effort) in enumerate(
            [
                (True, "done", 30.0, 1560.0, 13, ["sore_muscles"], "same"),
                (False, "done", 24.0, 0.0, 12, [], "gentler"),
                (True, "stopped", 6.5, 200.0, 16, ["dizziness"], "same"),
            ]
        ):
            at = started - timedelta(days=2 * back)
            session.add(
                HomeSession(
                    patient_id=ada, day=at.date(), started_at=at, ended_at=at + timedelta(hours=1),
                    status=status, with_strap=strap, planned_main_minutes=30, start_effort=effort,
                    main_minutes=minutes, time_in_zone_s=in_zone_s, cues=3, rpe=rpe,
                    symptoms=symptoms, trace=_trace(minutes) if strap else None,
                )
            )  # fmt: skip

    try:
        database.run_sync(add)
    finally:
        database.dispose()


def _post_readings(server: LiveServer, ada: int, occurrence: int) -> None:
    output = server.cli("create-device-token", "--patient-id", str(ada), "--name", "strap").stdout
    token = re.search(r"hrd_\S+", output)
    assert token is not None, output
    start = int(utcnow().timestamp() * 1000) - 240_000
    readings = [{"t": start + i * 2000, "bpm": 90 + (i % 60)} for i in range(120)]
    answer = httpx.post(
        f"{server.url}/api/v1/hr",
        json={"occurrence_id": occurrence, "readings": readings},
        headers={"Authorization": f"Bearer {token.group(0)}"},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["accepted"] == 120, answer.text


def _record(page: Page, server: LiveServer, ada: int, kind: str, value: str, on: date) -> None:
    page.goto(f"{server.url}/patients/{ada}/assessments")
    page.get_by_label("Test").select_option(kind)
    page.get_by_label("Result").fill(value)
    page.get_by_label("Date measured").fill(on.isoformat())
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("heading", name="Record an assessment")).to_be_visible()


def _shoot_and_print(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    # In print, the links and buttons are gone and the charts stay.
    page.emulate_media(media="print")
    expect(page.locator(".report-actions")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("svg").first).to_be_visible()
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000, name
    (SHOTS / f"{name}.pdf").write_bytes(pdf)
    page.emulate_media(media="null")  # back to the page's own (screen) media


def _points(page: Page, selector: str) -> int:
    return int(
        page.evaluate(
            "(s) => Math.max(0, ...[...document.querySelectorAll(s)]"
            ".map(l => l.getAttribute('points').trim().split(/\\s+/).length))",
            selector,
        )
    )


# The table's right edge against its column's, the page's sideways scroll, and the table box's.
_WIDTHS_JS = """() => {
  const box = document.querySelector('#home-sessions .table-scroll');
  const main = document.querySelector('main');
  const pad = parseFloat(getComputedStyle(main).paddingRight);
  return {
    table: document.querySelector('#home-session-list').getBoundingClientRect().right,
    column: main.getBoundingClientRect().right - pad,
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    box: box.scrollWidth - box.clientWidth,
  };
}"""


def _home_table_fits(page: Page, base: str, report: str) -> None:
    """Spanish, the longest headers: at the coach's 1366 px the sessions at home fit the report's
    column; on a phone the table scrolls in its own box (which a keyboard can reach), not the
    page, so no column is out of reach."""
    choose_language(page, "es", base)
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(report)
        box = page.get_by_role("region", name="Tabla de sesiones en casa")
        expect(box).to_have_attribute("tabindex", "0")
        page.screenshot(path=str(SHOTS / f"patient-progress-es-{width}.png"), full_page=True)
        sizes = page.evaluate(_WIDTHS_JS)
        assert sizes["page"] == 0, (width, sizes)
        if width == 1366:
            assert sizes["table"] <= sizes["column"] + 0.5 and sizes["box"] == 0, sizes
        else:  # all of it in the column, or the rest a scroll of its box away
            assert sizes["table"] <= sizes["column"] + 0.5 or sizes["box"] > 0, sizes
    page.set_viewport_size({"width": 1100, "height": 900})
    choose_language(page, "en", base)


_LEGENDS_JS = """() => [...document.querySelectorAll('svg.report-chart')].map(svg => {
  const texts = [...svg.querySelectorAll('text')];
  const bottom = Math.max(...texts.map(t => +t.getAttribute('y')));
  const first = texts.find(t => +t.getAttribute('y') === bottom);
  const mark = [...svg.querySelectorAll('line')].find(l => +l.getAttribute('y1') === bottom - 4);
  if (!first || !mark) return null;
  const box = first.getBBox();
  return [box.x + box.width, mark.getBBox().x];
}).filter(pair => pair !== null)"""


def _legends_apart(page: Page, base: str, report: str) -> None:
    """In Chinese, whose characters are twice a Latin letter's width, each chart's two legend
    labels still stand apart (the second used to be drawn over the first's end)."""
    choose_language(page, "zh-Hans", base)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(report)
    legends = page.evaluate(_LEGENDS_JS)  # [end of the first label, start of the second's mark]
    assert legends, "no chart with two legend labels"
    assert all(first_end < second_starts for first_end, second_starts in legends), legends
    page.locator("#chart-adherence").screenshot(path=str(SHOTS / "chart-legend-zh.png"))
    choose_language(page, "en", base)


def test_each_report_shows_charts_and_prints(live_server: LiveServer, browser: Browser) -> None:
    live_server.cli("demo", "--no-history")  # Ada's weeks hold only this test's sessions
    ada, occurrence = _ids(live_server)
    _post_readings(live_server, ada, occurrence)
    _sessions_at_home(live_server, ada)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("coach@example.org")
    page.get_by_label("Password").fill("telecoach-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    # The coach approves a new version of Ada's prescription (the demo approved the first);
    # Ada texts that she did her session.
    page.goto(f"{live_server.url}/patients/{ada}/prescriptions")
    page.get_by_role("button", name="Generate a draft").click()
    page.get_by_role("button", name="Approve version 2").click()
    expect(page.locator("section[aria-labelledby=approved]")).to_contain_text("Version 2")
    page.goto(f"{live_server.url}/dev/phone/{ada}")
    page.locator("textarea[name=body], input[name=body]").fill("DONE 30 min RPE 13")
    page.get_by_role("button", name="Send").click()
    today = utcnow().date() - timedelta(days=1)  # yesterday: "today" in every time zone
    for kind, first, last in (
        ("six_minute_walk_m", "480", "545"),
        ("grip_strength_kg", "26", "28"),
    ):
        _record(page, live_server, ada, kind, first, today - timedelta(days=42))
        _record(page, live_server, ada, kind, last, today)

    # The class report, reached from the dashboard's link.
    page.goto(f"{live_server.url}/dashboard")
    page.locator(f'a[href="/classes/occurrences/{occurrence}/report"]').first.click()
    expect(page.get_by_role("heading", name=re.compile("class report"))).to_be_visible()
    ada_chart = page.locator(f'article.hr-report[data-patient="{ada}"] svg.hr-chart')
    expect(ada_chart.locator("rect.band")).to_have_count(1)
    assert _points(page, f'article.hr-report[data-patient="{ada}"] polyline.hr-line') == 120
    expect(page.locator("#hr-alerts")).to_contain_text("150 bpm for 40 s")
    expect(page.locator(f'#attendance tr[data-patient="{ada}"]')).to_contain_text("heart rate")
    expect(page.locator(f'article.hr-report[data-patient="{ada}"]')).to_contain_text(
        "approved prescription"
    )
    _shoot_and_print(page, "class-report")

    # The patient's progress, from the patient page.
    page.goto(f"{live_server.url}/patients/{ada}")
    page.locator("#progress-report-link").click()
    expect(page.get_by_role("heading", name="Progress: Ada Whitfield")).to_be_visible()
    assert _points(page, "#trend-six_minute_walk_m svg.trend polyline") == 2
    expect(page.locator("#trend-six_minute_walk_m .change")).to_have_text("+65 m (+13.5%)")
    expect(page.locator("#overall-adherence")).to_contain_text("(1 of 3)")
    bars = page.evaluate(
        "() => [...document.querySelectorAll('#chart-adherence rect.bar')]"
        ".map(r => parseFloat(r.getAttribute('height')))"
    )
    assert bars and bars[-1] > 0  # this week's session
    expect(page.locator("#chart-adherence rect.marker")).to_have_count(1)
    home = page.locator("#home-session-list tbody tr")
    expect(home).to_have_count(3)
    expect(home.first).to_contain_text("26 min (87%)")
    expect(home.locator("svg.home-hr")).to_have_count(2)  # the two with a strap
    expect(home.first.locator("svg.home-hr polyline")).to_have_count(1)
    expect(home.nth(1)).to_contain_text("by feel (no strap)")
    expect(home.nth(2)).to_contain_text("stopped early · too short to count")
    _shoot_and_print(page, "patient-progress")
    _home_table_fits(page, live_server.url, f"{live_server.url}/patients/{ada}/progress")
    _legends_apart(page, live_server.url, f"{live_server.url}/patients/{ada}/progress")

    # The program dashboard, from the dashboard.
    page.goto(f"{live_server.url}/dashboard")
    page.locator("#program-report-link").click()
    expect(page.get_by_role("heading", name="Program dashboard")).to_be_visible()
    for chart in ("reach", "adherence", "retention", "alerts"):
        expect(page.locator(f"#chart-{chart}")).to_be_visible()
    heights = page.evaluate(
        "() => [...document.querySelectorAll('#chart-reach rect.bar')]"
        ".map(r => parseFloat(r.getAttribute('height')))"
    )
    assert heights and heights[-1] > 0  # this week's enrolled patients
    expect(page.locator("#fig-referred")).to_contain_text("8")
    _shoot_and_print(page, "program-dashboard")

    # Each CSV link downloads a file.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download patients (CSV)").click()
    assert download.value.suggested_filename == "program-patients.csv"
    page.close()

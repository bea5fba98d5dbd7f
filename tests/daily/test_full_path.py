"""The whole path on a real server (embedded default, demo data) in headless Chromium: a week of
wearable data posted for an SMS patient in the class on now -> one early-warning alert in the
coach's list and pushed at once to the open class console -> the check-in text in the SMS outbox ->
a fever answer from the patient's phone raises the hold -> the coach records the outcome -> the
program report counts it. Screenshots of the alert with its chart (1366x768, English and Spanish)
go to test-artifacts/daily/ for a person to look at."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, select

from coach import classes
from coach.database import Database
from coach.holds import PatientHold
from coach.models import ClassOccurrence, ClassSeries, Patient, utcnow
from tests.browser.conftest import ARTIFACTS, LiveServer, browser, live_server
from tests.daily.helpers import steady_then_sick

pytestmark = pytest.mark.browser
__all__ = ["browser", "live_server"]
SHOTS = ARTIFACTS / "daily"


@pytest.fixture
def live_server_env() -> dict[str, str]:
    return {"QUIET_HOURS": "none"}  # the check-in goes at once whatever the hour the suite runs


def _database(server: LiveServer) -> Database:
    return Database(f"sqlite:///{server.env['TELECOACH_VAR_DIR']}/telecoach.db")


def _walt_in_the_class(server: LiveServer) -> tuple[int, int, date]:
    """Walt (SMS only) enrolled in the demo class on now, as a coach's enrolment would; his id,
    the occurrence and his local today."""
    database = _database(server)

    def work(session: Session) -> tuple[int, int, date]:
        walt = session.exec(select(Patient).where(Patient.name == "Walt Okafor")).one()
        occurrence = session.exec(
            select(ClassOccurrence).order_by(col(ClassOccurrence.starts_at))
        ).first()
        assert occurrence is not None and walt.id is not None and occurrence.id is not None
        series = session.get(ClassSeries, occurrence.series_id)
        classes.enroll(session, series, walt, utcnow())
        today = datetime.now(ZoneInfo(walt.time_zone)).date()
        return walt.id, occurrence.id, today

    try:
        return database.run_sync(work)
    finally:
        database.dispose()


def _holds(server: LiveServer, patient_id: int) -> list[str]:
    database = _database(server)
    try:
        return database.run_sync(
            lambda s: [
                h.rule_id
                for h in s.exec(select(PatientHold).where(PatientHold.patient_id == patient_id))
            ]
        )
    finally:
        database.dispose()


def _outbox(server: LiveServer, phone_digits: str, words: str, timeout: float = 15) -> dict:
    path = Path(server.env["TELECOACH_VAR_DIR"]) / "sms_outbox.jsonl"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text().splitlines():
                sent = json.loads(line)
                if phone_digits in json.dumps(sent) and words in json.dumps(sent):
                    return sent
        time.sleep(0.3)
    raise AssertionError(f"no text with {words!r} in the outbox: {path.read_text()[-2000:]}")


def _sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill("coach@example.org")
    page.get_by_label("Password").fill("telecoach-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_daily_data_to_alert_checkin_fever_hold_outcome_and_report(
    live_server: LiveServer, browser: Browser
) -> None:
    live_server.cli("demo", "--no-history")  # Walt's warning is the only one: counted below
    walt, occurrence, today = _walt_in_the_class(live_server)
    token = live_server.cli("create-device-token", "--patient-id", str(walt)).stdout
    token = next(w for w in token.split() if w.startswith("hrd_"))

    coach = browser.new_context(viewport={"width": 1366, "height": 768})
    console = coach.new_page()
    _sign_in(console, live_server)
    console.goto(f"{live_server.url}/classes/occurrences/{occurrence}/console")
    expect(console.locator("#hr-status")).to_have_text("Live.")

    days = steady_then_sick(today)
    api = f"{live_server.url}/api/v1/daily"
    auth = {"Authorization": f"Bearer {token}"}
    quiet = httpx.post(api, json={"days": days[:-2]}, headers=auth, timeout=10)
    assert quiet.status_code == 200 and quiet.json()["alerts"] == 0, quiet.text
    # Wrong token, another patient's subject: refused on the real server too.
    assert httpx.post(api, json={"days": days[-2:]}, timeout=10).status_code == 401
    sick = httpx.post(api, json={"days": days[-2:]}, headers=auth, timeout=10)
    assert sick.json() == {"accepted": 2, "rejected": [], "alerts": 1}, sick.text

    # Pushed to the open console at once, about Walt.
    pushed = console.locator('.hr-alert[data-kind="early_warning"]')
    expect(pushed).to_have_count(1)
    expect(pushed).to_contain_text("Walt Okafor")

    # In the coach's list, with its chart and a suggested action.
    board = coach.new_page()
    board.goto(f"{live_server.url}/dashboard")
    item = board.locator('li[data-kind="early_warning"]')
    expect(item).to_have_count(1)
    expect(item.locator("svg.ew-chart polyline.ew-rhr")).to_have_count(1)
    expect(item.locator("svg.ew-chart line.ew-baseline")).to_have_count(2)
    expect(item).to_contain_text("call the patient today")
    SHOTS.mkdir(parents=True, exist_ok=True)
    item.scroll_into_view_if_needed()
    board.screenshot(path=str(SHOTS / "alert-en.png"))
    board.goto(f"{live_server.url}/dashboard?lang=es")
    expect(board.locator('li[data-kind="early_warning"]')).to_contain_text("llame hoy")
    board.locator('li[data-kind="early_warning"]').scroll_into_view_if_needed()
    board.screenshot(path=str(SHOTS / "alert-es.png"))

    # The check-in text goes to Walt by SMS; no diagnosis words, just the question.
    checkin = _outbox(live_server, "5550103", "how are you feeling today")
    assert "temperature" in json.dumps(checkin)
    assert _holds(live_server, walt) == ["hold.early_warning"]

    # Walt answers with a fever from his phone: the red flag and its hold, as any fever text.
    phone = coach.new_page()
    phone.goto(f"{live_server.url}/dev/phone/{walt}")
    phone.get_by_label("Reply as Walt Okafor").fill("38.6")
    phone.get_by_role("button", name="Send").click()
    assert "hold.red_flag" in _holds(live_server, walt)
    board.goto(f"{live_server.url}/dashboard")
    expect(board.locator('li[data-kind="red_flag"]')).to_contain_text("Exercise is on hold today")

    # The coach records what it was; the program report counts it.
    board.locator('li[data-kind="early_warning"]').get_by_role(
        "button", name="Confirmed event"
    ).click()
    expect(board.locator('li[data-kind="early_warning"]')).to_have_count(0)
    assert "hold.early_warning" in _holds(live_server, walt)  # released: ended, not deleted
    board.goto(f"{live_server.url}/reports/program")
    row = board.locator('#warning-figures tr[data-kind="early_warning"]')
    expect(row.locator(".raised")).to_have_text("1")
    expect(row.locator(".confirmed")).to_have_text("100 %")
    assert float(row.locator(".per-month").inner_text()) > 0
    coach.close()

"""The patient's own page lists her latest sessions at home (issue 20: a session at home "counts
for adherence and reports"; she sees how her last ones went, not only the coach): the newest three
of the last four weeks, newest first, each with its day in her language and time zone, the main
part's minutes against the plan's, and the time in her target with a strap, "by feel" without,
or that she stopped. The demo clinic; the clock is set to each past day a session is run on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from tests.clocks import ManualClock
from tests.conftest import TEST_NOW
from tests.daily.helpers import today_of
from tests.prescribing.workflow import text_of
from tests.reports.conftest import ADA, ROSA, Demo
from tests.reports.home_session_client import patient_client, run_session


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(TEST_NOW)


def _items(html: str) -> list[str]:
    found = re.search(r'<ul class="home-last" id="home-last"[^>]*>(.*?)</ul>', html, re.S)
    assert found is not None, "no list of sessions"
    return [text_of(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)]


def test_her_page_lists_her_last_three_sessions_newest_first_in_her_language(
    client: TestClient, db: Database, demo: Demo, clock: ManualClock
) -> None:
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    assert 'id="home-last"' not in guest.get("/me").text  # nothing done yet: no list
    runs = [
        (40, {"bpm": 115}),  # five weeks ago: outside the four weeks, never listed
        (9, {"bpm": 115}),  # older than the newest three
        (5, {"bpm": 115}),  # with her strap, in her zone
        (3, {"bpm": None}),  # without a strap: by feel
        (1, {"bpm": 115, "status": "stopped"}),
    ]
    for back, how in runs:
        clock.at(TEST_NOW - timedelta(days=back))
        run_session(guest, 20 if "status" not in how else 6, **how)  # type: ignore[arg-type]
    clock.at(TEST_NOW)
    days = [db.run_sync(today_of, ada, TEST_NOW - timedelta(days=back)) for back in (1, 3, 5)]
    named = [day.strftime("%a %d %b") for day in days]  # "Tue 01 Dec", as her page writes days

    page = guest.get("/me")
    assert page.status_code == 200 and "Your last sessions at home" in page.text
    assert _items(page.text) == [
        f"{named[0]}: stopped at minute 6 of the main part.",
        f"{named[1]}: 20 of 30 minutes, by feel.",
        f"{named[2]}: 20 of 30 minutes, 100% of the time in your target.",
    ]
    assert re.search(r'<li data-day="' + days[0].isoformat(), page.text)

    spanish = _items(guest.get("/me?lang=es").text)
    assert re.fullmatch(
        r"\w+ \d{1,2} \w{3}: se detuvo en el minuto 6 de la parte principal\.", spanish[0]
    ), spanish
    assert spanish[2].endswith("20 de 30 minutos, el 100% del tiempo en su objetivo.")
    chinese = _items(guest.get("/me?lang=zh-Hans").text)
    assert chinese[1].startswith(f"{days[1].month}月{days[1].day}日 星期")
    assert chinese[1].endswith("完成 20 / 30 分钟，按自我感觉进行。")

    # Another patient's page shows her own sessions only: none.
    rosa = patient_client(client, db, demo.patients[ROSA])
    assert 'id="home-last"' not in rosa.get("/me").text


def test_a_session_stopped_in_the_warm_up_says_so_not_zero_minutes(
    client: TestClient, db: Database, demo: Demo, clock: ManualClock
) -> None:
    grace = demo.patients["Grace Nakamura"]
    guest = patient_client(client, db, grace)
    run_session(guest, 0, status="stopped")  # the warm-up, then stop: no main part at all
    day = db.run_sync(today_of, grace, TEST_NOW)
    assert _items(guest.get("/me").text) == [
        f"{day.strftime('%a %d %b')}: stopped before the main part."
    ]
    assert _items(guest.get("/me?lang=es").text)[0].endswith(
        ": se detuvo antes de la parte principal."
    )

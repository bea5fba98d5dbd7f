"""What follows a warning, through the pages: the browser patient's check-in card whose fever
answer raises the hold; the coach's outcome (and bad outcomes refused); the proposed warm message
for a disengagement flag, sent in one click through the manual-text path; exercise texts waiting
for the coach; the program report's figures."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from coach import alerts, holds, join_links
from coach.clock import Clock
from coach.database import Database
from coach.holds import PatientHold
from coach.models import Patient
from messaging.models import SmsMessage
from tests.conftest import TEST_SECRET, World
from tests.daily.helpers import alerts_of, daily_class, readings, steady_then_sick
from tests.heart_rate.helpers import bearer, device_token
from tests.web.signin import csrf_from, join, login


def _warned(client: TestClient, db: Database, world: World, clock: Clock) -> alerts.Alert:
    token = db.run_sync(device_token, world.patient_a)
    from tests.daily.helpers import today_of

    today = db.run_sync(today_of, world.patient_a, clock.now())
    days = steady_then_sick(today)
    for part in (days[:-2], days[-2:]):
        answer = client.post("/api/v1/daily", json={"days": part}, headers=bearer(token))
        assert answer.status_code == 200, answer.text
    (alert,) = db.run_sync(alerts_of, world.patient_a, "early_warning")
    return alert


def _holds(db: Database, now: object) -> list[str]:
    return db.run_sync(lambda s: [h.rule_id for h in s.exec(select(PatientHold)) if h.until > now])


def test_the_browser_patients_checkin_card_and_a_fever_answer(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    _warned(client, db, world, clock)
    _, token = db.run_sync(
        lambda s: join_links.issue(s, TEST_SECRET, world.patient_a, None, timedelta(days=1))
    )
    csrf = join(client, token)
    page = client.get("/me").text
    assert "How are you feeling today?" in page and 'action="/me/checkin"' in page
    bad = client.post("/me/checkin", data={"csrf_token": csrf, "temp_c": "hot"})
    assert bad.headers["location"] == "/me?checkin=bad#checkin"
    assert "Please type a temperature from 34 to 43" in client.get("/me?checkin=bad").text
    assert (
        client.post("/me/checkin", data={"csrf_token": csrf, "temp_c": "99"})
        .headers["location"]
        .endswith("bad#checkin")
    )
    done = client.post("/me/checkin", data={"csrf_token": csrf, "temp_c": "38,4"})
    assert done.headers["location"] == "/me?checkin=done#checkin"
    assert db.run_sync(readings, world.patient_a)[-1].temp_c == 38.4
    assert "hold.red_flag" in _holds(db, clock.now())
    (flag,) = db.run_sync(alerts_of, world.patient_a, "red_flag")
    assert flag.flags == ["fever"] and flag.severity == "urgent"
    assert 'action="/me/checkin"' not in client.get("/me").text  # answered today: no card
    # Without CSRF nothing is taken.
    assert client.post("/me/checkin", data={"temp_c": "37"}).status_code == 403


def test_the_coach_records_the_outcome_and_the_report_counts_it(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    alert = _warned(client, db, world, clock)
    csrf = login(client, "coach.a@example.org")
    board = client.get("/dashboard").text
    assert f'data-alert="{alert.id}"' in board and "<svg" in board and "ew-baseline" in board
    assert "hold.early_warning" in _holds(db, clock.now())
    url = f"/alerts/{alert.id}/outcome"
    assert client.post(url, data={"csrf_token": csrf, "outcome": "maybe"}).status_code == 422
    assert client.post(url, data={"outcome": "confirmed"}).status_code == 403  # no CSRF
    assert (
        client.post(
            "/alerts/99999/outcome", data={"csrf_token": csrf, "outcome": "confirmed"}
        ).status_code
        == 404
    )
    done = client.post(url, data={"csrf_token": csrf, "outcome": "false_alarm"})
    assert done.status_code == 303
    (stored,) = db.run_sync(alerts_of, world.patient_a, "early_warning")
    assert stored.outcome == "false_alarm" and stored.acknowledged_at is not None
    assert "hold.early_warning" not in _holds(db, clock.now())  # coaching texts may go again
    report = client.get("/reports/program").text
    row = report.split('data-kind="early_warning"')[1].split("</tr>")[0]
    assert '<td class="raised">1</td>' in row and '<td class="confirmed">0 %</td>' in row
    # Another coach cannot record an outcome on it.
    other = TestClient(client.app, follow_redirects=False)
    csrf_b = login(other, "coach.b@example.org")
    assert other.post(url, data={"csrf_token": csrf_b, "outcome": "confirmed"}).status_code == 404
    assert db.run_sync(alerts_of, world.patient_a, "early_warning")[0].outcome == "false_alarm"


def test_a_disengagement_flag_proposes_a_warm_message_sent_in_one_click(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    db.run_sync(
        lambda s: alerts.raise_alert(
            s,
            world.patient_b,
            "disengagement",
            "drifting",
            ["missed_sessions"],
            "daily",
            now=clock.now(),
        )
    )
    csrf = login(client, "coach.b@example.org")
    board = client.get("/dashboard").text
    assert "Hola Bruno, le hemos echado de menos en sus sesiones." in board  # his language
    assert "sesiones perdidas" in client.get("/dashboard?lang=es").text
    # What to do, said for this kind of alert too; no outcome to record, no chart to read.
    item = board.split('class="daily-alert"')[1].split('class="motivate"')[0]
    assert "send a short, warm message (proposed below) or call." in item
    assert "outcome" not in item and "<svg" not in item
    form = board.split('class="motivate"')[1].split("</form>")[0]
    proposed = form.split(">", 1)[1].split("<textarea")[1].split(">", 1)[1].split("</textarea")[0]
    db.run_sync(lambda s: _consent(s, world.patient_b))
    sent = client.post(
        f"/inbox/{world.patient_b}/messages",
        data={"csrf_token": csrf_from(board), "body": proposed.replace("&#39;", "'")},
    )
    assert sent.status_code == 303, sent.text
    out = db.run_sync(
        lambda s: s.exec(select(SmsMessage).where(SmsMessage.patient_id == world.patient_b)).all()
    )
    assert [m.purpose for m in out] == ["manual"] and out[0].body.startswith("Hola Bruno")
    assert csrf  # the same session


def _consent(session, patient_id: int) -> None:  # type: ignore[no-untyped-def]
    from coach.models import Patient

    patient = session.get(Patient, patient_id)
    patient.sms_consent = True
    session.add(patient)


def test_an_early_warning_hold_makes_exercise_texts_wait_not_drop(
    db: Database, world: World, clock: Clock
) -> None:
    from scheduler.checks import known_for

    now = clock.now()
    db.run_sync(
        lambda s: holds.place_hold(
            s,
            world.patient_a,
            holds.EARLY_WARNING_RULE,
            "warning",
            "daily",
            now + timedelta(days=1),
            now=now,
        )
    )
    known = db.run_sync(known_for, [world.patient_a, world.patient_b], now)
    assert known.waiting == {world.patient_a} and known.on_hold == frozenset()
    db.run_sync(
        lambda s: holds.place_hold(
            s, world.patient_a, "hold.red_flag", "fever", "sms", now + timedelta(days=1), now=now
        )
    )
    known = db.run_sync(known_for, [world.patient_a], now)
    assert known.on_hold == {world.patient_a} and known.waiting == frozenset()  # a fever stops


def test_missed_classes_and_fewer_steps_flag_disengagement_with_its_reasons(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    from tests.daily.helpers import today_of

    now = clock.now()

    db.run_sync(lambda s: daily_class(s, world.coach_a, [world.patient_a], now, days_back=40))
    today = db.run_sync(today_of, world.patient_a, now)
    from coach import adherence

    db.run_sync(  # she came to every class until ten days ago (logged by the coach)
        lambda s: [
            adherence.log_session(s, world.patient_a, today - timedelta(days=back), "coach")
            for back in range(10, 38)
        ]
    )
    days = [
        {"date": (today - timedelta(days=back)).isoformat(), "steps": 6000 if back >= 10 else 3000}
        for back in range(37, -1, -1)
    ]
    token = db.run_sync(device_token, world.patient_a)
    answer = client.post("/api/v1/daily", json={"days": days}, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    (flag,) = db.run_sync(alerts_of, world.patient_a, "disengagement")
    assert "missed_sessions" in flag.flags and "steps_down" in flag.flags
    assert flag.severity == "info"
    csrf = login(client, "coach.a@example.org")
    board = client.get("/dashboard").text
    assert "missed sessions" in board and "Hi Ana, we have missed you at your sessions." in board
    assert csrf
    # The chart shows the drift the reasons name: four weeks of steps against her usual 6000
    # (the mean of the four weeks before the last two), and her classes, the last ones missed.
    assert flag.evidence is not None and flag.evidence["baseline_steps"] == 6000
    item = board.split(f'data-daily-alert="{flag.id}"')[1].split('class="motivate"')[0]
    chart = item.split('class="ew-chart"')[1].split("</svg>")[0]
    assert chart.count("ew-baseline") == 1  # steps only: this flag reads no resting rate
    assert chart.count("ew-frame") == 1 and "Resting heart rate" not in chart  # nor draws it
    assert "Steps a day: last days 3000, 3000" in chart and "usual level 6000" in chart
    missed = chart.count('class="ew-missed"')
    assert 8 <= missed <= 10 and 'class="ew-done"' in chart  # ten days without a class
    assert "their mean over the four weeks before the last two" in item
    assert "outcome" not in item  # a flag to act on, not an event to confirm


def _post_a_faint_rise(
    client: TestClient, db: Database, world: World, today: date, band_off: int | None = None
) -> None:
    """Five weeks of Ana's resting rate at 60-61 and steady steps, then a rise of 1-2 bpm over
    the last three days (today's included), posted by her band; none on `band_off` days back."""
    rise = {2: 62, 1: 62, 0: 63}
    days = [
        {
            "date": (today - timedelta(days=back)).isoformat(),
            "resting_hr": rise.get(back, 60 + back % 2),
            "steps": 6000 + 100 * (back % 3) if back >= 3 else 6000,
        }
        for back in range(37, -1, -1)
        if back != band_off
    ]
    token = db.run_sync(device_token, world.patient_a)
    answer = client.post("/api/v1/daily", json={"days": days}, headers=bearer(token))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("came", [False, True])
def test_classes_missed_tip_a_faint_rise_into_a_warning(
    client: TestClient, db: Database, world: World, clock: Clock, came: bool
) -> None:
    """warning.toxicity reads the product's own record of sessions: Ana, who came to her daily
    class every day, shows a rise of 1-2 bpm over three days. Having missed the last two
    classes, she gets an early warning; having come to them, she does not."""
    from coach import adherence
    from tests.daily.helpers import today_of

    now = clock.now()
    db.run_sync(lambda s: daily_class(s, world.coach_a, [world.patient_a], now, days_back=40))
    today = db.run_sync(today_of, world.patient_a, now)
    came_back_to = 1 if came else 3
    db.run_sync(
        lambda s: [
            adherence.log_session(s, world.patient_a, today - timedelta(days=back), "coach")
            for back in range(came_back_to, 38)
        ]
    )
    _post_a_faint_rise(client, db, world, today)
    warned = db.run_sync(alerts_of, world.patient_a, "early_warning")
    assert len(warned) == (0 if came else 1), [a.summary for a in warned]
    if not came:  # the coach reads why: the rise, and the classes she missed
        (alert,) = warned
        assert alert.flags == ["resting_hr_up", "missed_sessions"]
        assert alert.summary.endswith("resting heart rate up, sessions missed")
        login(client, "coach.a@example.org")
        board = client.get("/dashboard").text
        assert "resting heart rate above the usual level, missed sessions" in board
        # The evidence shows those sessions: two hollow marks, and said in the chart's words.
        chart = board.split('class="ew-chart"')[1].split("</svg>")[0]
        assert chart.count('class="ew-missed"') == 2 and 'class="ew-done"' in chart
        assert "Sessions in the last days: 4 done, 2 missed." in chart
        spanish = client.get("/dashboard?lang=es").text.split('class="ew-chart"')[1]
        assert "Sesiones de los últimos días: 4 hechas, 2 perdidas." in spanish
        assert "last days" not in spanish.split("</svg>")[0]


def _texted_daily(session: Session, patient_id: int, today: date, unanswered: int) -> None:
    """A question texted a minute after each local midnight for 40 days, answered five minutes
    later, except on the last `unanswered` days."""
    patient = session.get(Patient, patient_id)
    assert patient is not None
    zone = ZoneInfo(patient.time_zone)
    text = {"patient_id": patient_id, "phone": patient.phone}
    for back in range(40, -1, -1):
        asked = datetime.combine(today - timedelta(days=back), time(0, 1), zone)
        session.add(
            SmsMessage(
                **text, direction="out", body="How tired do you feel today?", status="delivered",
                question="fatigue", created_at=asked,
            )
        )  # fmt: skip
        if back >= unanswered:
            answer = asked + timedelta(minutes=5)
            session.add(
                SmsMessage(**text, direction="in", body="3", status="received", created_at=answer)
            )
    session.commit()


def test_the_chart_draws_the_texts_left_unanswered_on_a_calendar(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    """A warning that names unanswered texts shows them: Ana, texted a question every day and
    answering, left the last two unanswered and missed two classes while her resting rate rose
    1-2 bpm. Her chart has a row for the texts beside the sessions', says both in words (in
    Chinese with its own separators), and a day without any data is a gap on its calendar axis."""
    from coach import adherence
    from tests.daily.helpers import today_of

    now = clock.now()
    db.run_sync(lambda s: daily_class(s, world.coach_a, [world.patient_a], now, days_back=40))
    today = db.run_sync(today_of, world.patient_a, now)
    db.run_sync(
        lambda s: [
            adherence.log_session(s, world.patient_a, today - timedelta(days=back), "coach")
            for back in range(3, 38)
        ]
    )
    db.run_sync(_texted_daily, world.patient_a, today, 2)
    _post_a_faint_rise(client, db, world, today, band_off=5)  # a day with no band data
    (alert,) = db.run_sync(alerts_of, world.patient_a, "early_warning")
    assert alert.flags == ["resting_hr_up", "missed_sessions", "unanswered_texts"]
    login(client, "coach.a@example.org")
    board = client.get("/dashboard").text
    item = board.split(f'data-daily-alert="{alert.id}"')[1]
    chart = item.split('class="ew-chart"')[1].split("</svg>")[0]
    assert ">Texts answered</text>" in chart and ">Sessions</text>" in chart
    # 28 calendar days drawn; the texts' row: 26 answered, the last 2 not.
    assert chart.count('class="ew-missed"') == 2 + 2
    assert "Texts in the last days: 5 answered, 2 not answered." in chart
    assert "Sessions in the last days: 4 done, 2 missed." in chart
    # Day 5 back has no band data, but a session and a text: a gap in the line, said as a dash.
    assert "last days 60, —, 60, 61, 62, 62, 63" in chart
    caption = item.split("<figcaption>")[1].split("</figcaption>")[0]
    assert "Texts that asked something" in caption and "Sessions (classes, at home" in caption
    chinese_board = client.get("/dashboard?lang=zh-Hans").text
    chinese = chinese_board.split('class="ew-chart"')[1].split("</svg>")[0]
    assert "最近几天的短信：回复 5 条，未回复 2 条。" in chinese
    assert "60、—、60、61、62、62、63" in chinese and ", " not in chinese.split("<desc")[1]
    # The first and last days under the chart, in the reader's words as on the rest of the page.
    first, last = today - timedelta(days=27), today
    assert _axis_days(chart) == [f"{first:%d %b %Y}", f"{last:%d %b %Y}"]
    assert _axis_days(chinese) == [
        f"{first.year}年{first.month}月{first.day}日",
        f"{last.year}年{last.month}月{last.day}日",
    ]
    # The alert's sentences with Chinese punctuation: "Ana：每日数据的早期预警，<time>。" and
    # "原因：…、…、…。" (three reasons), no ASCII comma, stop or space between.
    item_zh = chinese_board.split(f'data-daily-alert="{alert.id}"')[0].split("<li")[-1]
    assert "</strong>：" in item_zh and "，<time" in item_zh and "</time>。" in item_zh
    reasons = chinese_board.split('<p class="reasons">')[1].split("</p>")[0]
    assert reasons.startswith("原因：") and reasons.endswith("。"), reasons
    assert reasons.count("、") == 2 and ", " not in reasons and " " not in reasons, reasons
    english_reasons = board.split('<p class="reasons">')[1].split("</p>")[0]
    assert english_reasons.startswith("Why: ") and english_reasons.count(", ") == 2
    assert english_reasons.endswith(".")


def _axis_days(chart: str) -> list[str]:
    """The words on the chart's bottom line, but for the baseline's key between the days."""
    found = re.findall(r'<text x="[^"]*" y="([^"]*)"[^>]*class="ew-axis">([^<]*)</text>', chart)
    bottom = max(float(y) for y, _ in found)
    return [text for y, text in found if float(y) == bottom and not text.startswith("- - -")]


@pytest.mark.parametrize(
    ("series", "drawn_days"),
    [
        # days that do not read as dates, out of order, or years apart: drawn as stored
        ([{"day": "not a day", "resting_hr": 60}, {"day": "2026-12-01", "resting_hr": 62}], 2),
        ([{"day": "2026-12-02", "steps": 5000}, {"day": "2026-12-01", "steps": 4000}], 2),
        ([{"day": "2020-01-01", "steps": 5000}, {"day": "2026-12-01", "steps": 4000}], 2),
        # a gap of two days inside four weeks: drawn on the calendar
        ([{"day": "2026-11-28", "steps": 5000}, {"day": "2026-12-01", "steps": 4000}], 4),
    ],
)
def test_evidence_that_is_not_a_calendar_is_still_drawn(
    client: TestClient, db: Database, world: World, clock: Clock, series: list, drawn_days: int
) -> None:
    """A stored alert's evidence the chart cannot lay on a calendar is drawn day after day as it
    is, and the board still answers; a plain gap is a gap."""
    db.run_sync(
        lambda s: alerts.raise_alert(
            s, world.patient_a, "early_warning", "warned", ["steps_down"], "daily",
            now=clock.now(), evidence={"series": series, "baseline_steps": 4500},
        )
    )  # fmt: skip
    login(client, "coach.a@example.org")
    board = client.get("/dashboard")
    assert board.status_code == 200
    chart = board.text.split('class="ew-chart"')[1].split("</svg>")[0]
    said = chart.split("last days ")[-1].split(";")[0]  # the one panel drawn, in words
    assert len(said.split(", ")) == drawn_days, said
    # A day that does not read as a date is written as stored.
    assert ("not a day" in _axis_days(chart)) == (series[0]["day"] == "not a day")


def test_the_outcome_recorded_on_the_patients_page_comes_back_to_it(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    alert = _warned(client, db, world, clock)
    csrf = login(client, "coach.a@example.org")
    page = client.get(f"/patients/{world.patient_a}").text
    section = page.split('id="patient-alerts"')[1].split("</section>")[0]
    assert f'data-alert="{alert.id}"' in section and "<svg" in section  # the evidence chart
    outcome_form = section.split(f'action="/alerts/{alert.id}/outcome"')[1].split("</form>")[0]
    assert 'name="back" value="patient"' in outcome_form
    done = client.post(
        f"/alerts/{alert.id}/outcome",
        data={"csrf_token": csrf, "outcome": "confirmed", "back": "patient"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/patients/{world.patient_a}"
    (stored,) = db.run_sync(alerts_of, world.patient_a, "early_warning")
    assert stored.outcome == "confirmed"
    assert 'id="patient-alerts"' not in client.get(f"/patients/{world.patient_a}").text

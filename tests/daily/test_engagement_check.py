"""The daily engagement check (issue 21): a patient who stops sending anything is flagged by the
scheduler's morning task, not only when daily data arrives, and the flag is pushed to the coach's
open views like any alert: in `serve` through its own hub, from `telecoach worker` through Redis.
Runner and clock as `serve` wires them, the clock moved by the test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from coach import adherence
from coach.database import Database
from coach.models import Patient
from coach.rules import load_rules
from messaging.models import SmsMessage
from messaging.sender import SmsSender
from rtc.alert_hub import AlertHub, publisher
from scheduler import engagement
from scheduler.models import SENT, ScheduledMessage
from scheduler.runner import Runner
from telecoach.app import create_app
from telecoach.settings import Settings
from telecoach.wiring.scheduler import build_runner
from telecoach.wiring.sms import build_transport
from tests.clocks import ManualClock, RunningClock
from tests.conftest import TEST_NOW, World, make_settings
from tests.daily.helpers import alerts_of, daily_class, today_of
from tests.factories import enroll, weekly_class
from tests.scheduler.conftest import asyncio_run
from tests.web.signin import login

SILENT_DAYS = 10  # she stopped coming and answering this many days ago (the window is 14)


@pytest.fixture
def manual() -> ManualClock:
    return ManualClock(TEST_NOW)


@pytest.fixture
def hub() -> AlertHub:
    return AlertHub()


@pytest.fixture
def runner(
    settings: Settings, db: Database, manual: ManualClock, hub: AlertHub
) -> Iterator[Runner]:
    sender = SmsSender(db, build_transport(settings), None, manual)
    yield build_runner(settings, db, sender, load_rules(None), None, manual, alerts=hub)
    sender.close()


def _came_and_answered(session: Session, patient_id: int, now: datetime, since: int) -> None:
    """Every day from 40 days ago until `since` days ago: her class logged as done, and a
    question texted each day (an hour before `now`'s time) that she answered."""
    patient = session.get(Patient, patient_id)
    assert patient is not None
    today = today_of(session, patient_id, now)
    for back in range(40, -1, -1):
        asked = now - timedelta(days=back, hours=1)
        text = {"patient_id": patient_id, "phone": patient.phone}
        session.add(
            SmsMessage(
                **text, direction="out", body="How tired do you feel today?", status="delivered",
                question="fatigue", created_at=asked,
            )
        )  # fmt: skip
        if back < since:
            continue
        adherence.log_session(session, patient_id, today - timedelta(days=back), "coach")
        answer = asked + timedelta(minutes=5)
        session.add(
            SmsMessage(**text, direction="in", body="3", status="received", created_at=answer)
        )


def _checks(db: Database, patient_id: int) -> list[ScheduledMessage]:
    query = select(ScheduledMessage).where(
        ScheduledMessage.patient_id == patient_id, ScheduledMessage.purpose == engagement.PURPOSE
    )
    return db.run_sync(lambda s: list(s.exec(query.order_by(col(ScheduledMessage.due_at)))))


def _run_morning(runner: Runner, manual: ManualClock, db: Database, patient_id: int) -> Any:
    """Plan, move the clock to the patient's morning check and run it; the row as it ends."""
    asyncio_run(runner.plan())
    row = _checks(db, patient_id)[-1]
    assert row.kind == "task"
    manual.at(max(manual.now(), row.due_at))
    asyncio_run(runner.drain(60))
    return _checks(db, patient_id)[-1]


def test_a_patient_who_goes_silent_is_flagged_once_and_one_who_keeps_coming_is_not(
    db: Database, world: World, manual: ManualClock, runner: Runner, hub: AlertHub
) -> None:
    now = manual.now()
    patients = [world.patient_a, world.patient_b]
    db.run_sync(lambda s: daily_class(s, world.coach_a, patients, now, days_back=45))
    db.run_sync(lambda s: _came_and_answered(s, world.patient_a, now, since=SILENT_DAYS))
    db.run_sync(lambda s: _came_and_answered(s, world.patient_b, now, since=0))

    watching = hub.subscribe()  # as a live view in `serve` does
    silent = _run_morning(runner, manual, db, world.patient_a)
    assert (silent.status, silent.reason) == (SENT, None)
    (flag,) = db.run_sync(alerts_of, world.patient_a, "disengagement")
    pushed = watching.get_nowait()
    assert (pushed.event, pushed.alert_id, pushed.alert["kind"]) == ("raised", flag.id, flag.kind)
    assert set(flag.flags) == {"missed_sessions", "unanswered_texts"}
    assert flag.source == "daily" and flag.severity == "info"
    assert flag.evidence is not None and flag.evidence["rule_ids"] == ["warning.disengagement"]

    steady = _checks(db, world.patient_b)[-1]
    assert (steady.status, steady.reason) == (SENT, "engaged")
    assert db.run_sync(alerts_of, world.patient_b, "disengagement") == []

    # The next morning she is still silent: the open alert stands, no second one is raised.
    manual.advance(24 * 3600)
    again = _run_morning(runner, manual, db, world.patient_a)
    assert again.ref != silent.ref and (again.status, again.reason) == (SENT, "already_open")
    assert len(db.run_sync(alerts_of, world.patient_a, "disengagement")) == 1
    assert watching.empty()  # pushed once: the engaged patient and the open alert say nothing


def test_the_chart_of_a_patient_without_a_band_shows_only_what_was_asked_of_her(
    db: Database, world: World, manual: ManualClock, runner: Runner, client: TestClient
) -> None:
    """She has no band: the flag's evidence holds her classes and texts and no number a day, so
    the coach's chart draws the two rows and no empty resting-rate or steps panel, and its
    caption says nothing of a usual level it does not draw."""
    now = manual.now()
    db.run_sync(lambda s: daily_class(s, world.coach_a, [world.patient_a], now, days_back=45))
    db.run_sync(lambda s: _came_and_answered(s, world.patient_a, now, since=SILENT_DAYS))
    _run_morning(runner, manual, db, world.patient_a)
    (flag,) = db.run_sync(alerts_of, world.patient_a, "disengagement")

    login(client, "coach.a@example.org")
    board = client.get("/dashboard")
    assert board.status_code == 200
    item = board.text.split(f'data-daily-alert="{flag.id}"')[1].split('class="motivate"')[0]
    chart = item.split('class="ew-chart"')[1].split("</svg>")[0]
    assert "ew-frame" not in chart and "ew-baseline" not in chart and "—" not in chart
    assert "Resting heart rate" not in chart and "Steps a day" not in chart
    assert ">Sessions</text>" in chart and ">Texts answered</text>" in chart
    assert chart.count('class="ew-missed"') >= 2 * SILENT_DAYS - 4  # classes and texts alike
    assert 'class="ew-done"' in chart
    height = int(chart.split('height="')[1].split('"')[0])
    assert height < 2 * 84  # the two rows, not two empty panels above them
    assert "day by day; a gap is a day without data." in item
    assert "usual" not in item
    assert "Sessions (classes, at home, a texted DONE): filled when done" in item


def test_the_check_is_planned_once_a_day_in_the_patients_morning(
    db: Database, world: World, manual: ManualClock, runner: Runner
) -> None:
    asyncio_run(runner.plan())
    asyncio_run(runner.plan())  # planning again changes nothing
    (row,) = _checks(db, world.patient_a)  # Ana lives in Madrid
    local = row.due_at.astimezone(ZoneInfo("Europe/Madrid"))
    assert (local.hour, local.minute) == (7, 0)
    today = db.run_sync(today_of, world.patient_a, manual.now())
    assert row.ref == local.date().isoformat() == today.isoformat()


def test_a_workers_flag_reaches_the_coachs_open_class_view_in_the_web_process(
    database_url: str, tmp_path: Path, clean_redis: str, db: Database, world: World
) -> None:
    """`telecoach worker` has no views of its own: the alert it raises goes over Redis to the web
    process, whose open class view shows it at once (no reload)."""
    settings = make_settings(database_url, tmp_path, redis_url=clean_redis)
    now = TEST_NOW
    db.run_sync(lambda s: daily_class(s, world.coach_a, [world.patient_a], now, days_back=45))
    db.run_sync(lambda s: _came_and_answered(s, world.patient_a, now, since=SILENT_DAYS))

    def class_on_now(session: Session) -> int:
        series, occurrence = weekly_class(
            session, world.coach_a, "Tuesday walk", start=now - timedelta(minutes=5), now=now
        )
        enroll(session, series, world.patient_a)
        return occurrence

    occurrence = db.run_sync(class_on_now)
    manual = ManualClock(now)

    async def worker_morning() -> None:  # as telecoach/worker.py wires its runner
        redis = Redis.from_url(clean_redis)
        sender = SmsSender(db, build_transport(settings), None, manual)
        try:
            runner = build_runner(
                settings, db, sender, load_rules(None), redis, manual, alerts=publisher(redis)
            )
            await runner.plan()
            row = _checks(db, world.patient_a)[-1]
            manual.at(max(manual.now(), row.due_at))
            await runner.drain(60)
        finally:
            sender.close()
            await redis.aclose()

    with TestClient(create_app(settings, clock=RunningClock(now)), follow_redirects=False) as web:
        login(web, "coach.a@example.org")
        with web.websocket_connect(f"/ws/live/{occurrence}") as view:
            view.send_json({"type": "hello"})
            assert [view.receive_json()["type"] for _ in range(2)] == ["roster", "snapshot"]
            asyncio_run(worker_morning())
            pushed = _alerts_within(view, seconds=5)
    (flag,) = db.run_sync(alerts_of, world.patient_a, "disengagement")
    assert [(a["id"], a["kind"]) for a in pushed] == [(flag.id, "disengagement")]
    (alert,) = pushed
    assert alert["patient_id"] == world.patient_a


def _alerts_within(view: Any, seconds: float) -> list[dict[str, Any]]:
    """The alerts the open view is sent, pinging it until one came or `seconds` passed (a
    socket read has no timeout: the pong bounds each wait)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while not found and time.monotonic() < deadline:
        view.send_json({"type": "ping"})
        while (message := view.receive_json())["type"] != "pong":
            if message["type"] == "alert":
                found.append(message["alert"])
        time.sleep(0.1)
    return found

"""`GET /metrics`: Prometheus text that the reference parser reads, whose values follow what really
happened (heart-rate readings posted, an alert raised, texts waiting in and sent from the outbox),
and that nobody without the scraper's token can read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session
from starlette.testclient import TestClient

from coach.alerts import raise_episode
from coach.database import Database
from coach.models import StaffUser, utcnow
from coach.rules import load_rules
from messaging.sender import SmsSender
from scheduler import outbox
from telecoach.app import create_app
from telecoach.settings import Settings, SettingsError
from telecoach.wiring.scheduler import build_runner
from telecoach.wiring.sms import build_transport
from tests.conftest import World, make_settings
from tests.heart_rate.helpers import bearer, device_token, live_class, now_ms
from tests.scheduler.conftest import asyncio_run, set_patient, text_rows
from tests.web.signin import login
from web.auth import api_tokens

TOKEN = "scrape-" + "s3cret" * 6
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def metrics_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path, metrics_token=TOKEN, quiet_hours="none")


@pytest.fixture
def scraped(metrics_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(metrics_settings), follow_redirects=False) as client:
        yield client


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            assert all(name == name.lower() for name, _ in labels)
            samples[(sample.name, labels)] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_values_follow_a_real_flow(
    scraped: TestClient, db: Database, world: World, metrics_settings: Settings
) -> None:
    before = scrape(scraped)
    assert value(before, "telecoach_rooms_open") == 0
    assert value(before, "telecoach_heart_rate_readings_total") == 0
    assert value(before, "telecoach_heart_rate_readings_per_second") == 0
    assert value(before, "telecoach_outbox_lag_seconds") == 0
    assert value(before, "telecoach_alerts_open", source="heart_rate", kind="over_ceiling") == 0
    assert value(before, "telecoach_sms_outbound", status="delivered") == 0

    # (Room gauges are not driven here: an in-process aiortc peer leaves an ICE socket for the
    # garbage collector, which pytest's unraisable-warning check turns into a failure.)
    def make(session: Session) -> tuple[int, str]:
        return live_class(session, world.coach_a, [world.patient_a]), device_token(
            session, world.patient_a
        )

    occurrence, device = db.run_sync(make)

    # A device posts five readings; one of them long above Ana's ceiling raises an alert.
    now = now_ms()
    readings = [{"t": now - 5000 + 1000 * i, "bpm": 90 + i} for i in range(5)]
    answer = scraped.post("/api/v1/hr", json={"readings": readings}, headers=bearer(device))
    assert answer.status_code == 200 and answer.json()["accepted"] == 5, answer.text
    db.run_sync(
        lambda s: raise_episode(
            s, world.patient_a, occurrence, "over_ceiling", utcnow(), utcnow(), None, ""
        )
    )

    # Two texts fell due 90 s ago and are still waiting.
    due = utcnow() - timedelta(seconds=90)
    set_patient(db, world.patient_a, sms_consent=True)
    db.run_sync(lambda s: outbox.put(s, text_rows([world.patient_a], 2, due), due, revive=False))
    waiting = scrape(scraped)
    assert value(waiting, "telecoach_rooms_open") == 0
    assert value(waiting, "telecoach_heart_rate_readings_total") == 5
    assert value(waiting, "telecoach_heart_rate_readings_per_second") == pytest.approx(5 / 60)
    assert value(waiting, "telecoach_alerts_open", source="heart_rate", kind="over_ceiling") == 1
    assert (
        value(waiting, "telecoach_alerts_raised_total", source="heart_rate", kind="over_ceiling")
        == 1
    )
    assert value(waiting, "telecoach_outbox_due") == 2
    assert 90 <= value(waiting, "telecoach_outbox_lag_seconds") < 600

    # A runner, as `serve` builds one, sends them through the local SMS outbox.
    sender = SmsSender(db, build_transport(metrics_settings), None)
    try:
        runner = build_runner(metrics_settings, db, sender, load_rules(None), None)
        assert asyncio_run(runner.drain(30)) == 2
    finally:
        sender.close()
    after = scrape(scraped)
    assert value(after, "telecoach_sms_outbound", status="delivered") == 2
    assert value(after, "telecoach_sms_outbound", status="failed") == 0
    assert value(after, "telecoach_outbox_due") == 0
    assert value(after, "telecoach_outbox_lag_seconds") == 0
    assert value(after, "telecoach_heart_rate_readings_total") == 5  # a counter: never goes back


def test_wrong_or_missing_token_is_refused_and_tells_nothing(
    scraped: TestClient, db: Database, world: World
) -> None:
    def body_leaks(text: str) -> bool:
        return "telecoach_" in text or "Ana" in text

    for headers, status in [
        ({}, 401),
        ({"Authorization": "Basic " + TOKEN}, 401),
        ({"Authorization": "Bearer"}, 401),
        (bearer(TOKEN[:-1]), 403),
        (bearer(TOKEN + "x"), 403),
        (bearer("x" * 10_000), 403),
        (bearer("tc_" + TOKEN), 403),
    ]:
        response = scraped.get("/metrics", headers=headers)
        assert response.status_code == status, headers
        assert not body_leaks(response.text)
    assert scraped.get("/metrics", headers=bearer(TOKEN)).status_code == 200

    # A person is not a scraper: neither a staff session nor a staff API token opens it.
    login(scraped, "admin@example.org")
    response = scraped.get("/metrics")
    assert response.status_code == 401 and not body_leaks(response.text)
    scraped.cookies.clear()
    raw = db.run_sync(lambda s: api_tokens.create(s, s.get(StaffUser, world.admin_id), "t")[1])
    response = scraped.get("/metrics", headers=bearer(raw))
    assert response.status_code == 403 and not body_leaks(response.text)
    # ...and the scraper's token opens nothing else.
    assert scraped.get("/api/v1/patients", headers=bearer(TOKEN)).status_code == 401


def test_without_a_token_configured_there_is_no_endpoint(client: TestClient) -> None:
    for headers in [{}, bearer(TOKEN), bearer("")]:
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 404
        assert "telecoach_" not in response.text


def test_the_token_setting_is_checked(tmp_path: Path) -> None:
    env = {"TELECOACH_VAR_DIR": str(tmp_path)}
    assert Settings.from_env(env).metrics_token is None
    assert Settings.from_env({**env, "METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
    for bad in ["short", "has a space in it somewhere"]:
        with pytest.raises(SettingsError, match="METRICS_TOKEN"):
            Settings.from_env({**env, "METRICS_TOKEN": bad})

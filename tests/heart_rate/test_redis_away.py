"""Live heart rate when Redis goes away in the middle of a class, and comes back (issue 20, in
class; docs/heart-rate.md, docs/deploy.md): readings from a device or from the class page are
stored all the same and their senders told so; a device's answer carries no cue while the monitor
cannot say which, never an error it would resend the same readings after; once Redis is back,
answers carry the class's cue again. Redis is a server of the test's own (tests/redis_server.py),
stopped and started again on the same port, as a restart in production would do."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from coach.clock import Clock
from coach.database import Database
from telecoach.app import create_app
from tests.conftest import World, make_settings
from tests.factories import join_token
from tests.heart_rate.helpers import ANA_ZONE, bearer, class_with_device, now_ms, samples
from tests.redis_server import RedisServer
from tests.web.signin import join


@pytest.fixture
def app_on_own_redis(
    database_url: str, tmp_path: Path, clock: Clock, own_redis: RedisServer
) -> Iterator[TestClient]:
    settings = make_settings(database_url, tmp_path, redis_url=own_redis.url)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as client:
        yield client


def test_a_device_gets_no_cue_while_redis_is_away_and_its_readings_are_kept(
    app_on_own_redis: TestClient,
    db: Database,
    world: World,
    own_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, patient_id = app_on_own_redis, world.patient_a
    _, token = db.run_sync(class_with_device, world.coach_a, patient_id)

    def send(bpm: int, back_ms: int) -> dict[str, Any]:
        body = {"readings": [{"t": now_ms() - back_ms, "bpm": bpm}]}
        answer = client.post("/api/v1/hr", json=body, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        reply: dict[str, Any] = answer.json()
        assert reply["accepted"] == 1 and reply["rejected"] == [], reply
        return reply

    assert send(ANA_ZONE[0] + 5, 9000)["cue"] is None  # in her zone: nothing to say
    before = send(ANA_ZONE[1] + 15, 8000)
    assert before["live"] == 1 and before["cue"]["kind"] == "ease_off"

    own_redis.stop()
    with caplog.at_level(logging.WARNING):
        away = send(ANA_ZONE[1] + 16, 7000)
    assert (away["live"], away["cue"]) == (0, None)
    assert any("no cue for a device" in r.getMessage() for r in caplog.records)
    stored = [s.bpm for s in db.run_sync(samples, patient_id)]
    assert stored == [ANA_ZONE[0] + 5, ANA_ZONE[1] + 15, ANA_ZONE[1] + 16]

    own_redis.start()  # the same port, empty: a restarted Redis
    back = None
    for lag_ms in range(6000, 0, -500):  # the bus reconnects at its next call
        back = send(ANA_ZONE[1] + 17, lag_ms)
        if back["cue"] is not None:
            break
        time.sleep(0.2)
    assert back is not None and back["live"] == 1 and back["cue"]["kind"] == "ease_off", back
    assert len(db.run_sync(samples, patient_id)) >= 4


def test_while_redis_is_away_each_process_still_limits_a_device(
    database_url: str,
    tmp_path: Path,
    clock: Clock,
    db: Database,
    world: World,
    own_redis: RedisServer,
) -> None:
    """The limit shared through Redis falls back to this process's own count, not to none."""
    _, token = db.run_sync(class_with_device, world.coach_a, world.patient_a)
    settings = make_settings(
        database_url, tmp_path, redis_url=own_redis.url, hr_device_requests_per_minute=3
    )
    if time.time() % 60 > 55:  # the limit counts per clock minute: start well inside one
        time.sleep(60 - time.time() % 60 + 0.1)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as client:
        own_redis.stop()
        answers = [
            client.post(
                "/api/v1/hr",
                json={"readings": [{"t": now_ms() - 10 + i, "bpm": 90 + i}]},
                headers=bearer(token),
            )
            for i in range(4)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert [s.bpm for s in db.run_sync(samples, world.patient_a)] == [90, 91, 92]


def test_a_patients_page_streaming_while_redis_is_away_has_its_readings_stored(
    app_on_own_redis: TestClient, db: Database, world: World, own_redis: RedisServer
) -> None:
    """The class page sends readings over its socket and forgets each once told it is stored;
    when Redis goes away during the class they cannot go live, but they are stored, and the
    page is told so."""
    client = app_on_own_redis
    occurrence = db.run_sync(class_with_device, world.coach_a, world.patient_a)[0]
    join(client, db.run_sync(join_token, world.patient_a))
    t = now_ms() - 10_000
    with client.websocket_connect(f"/ws/live/{occurrence}") as patient:
        patient.send_json({"type": "hello", "watch": True})
        assert patient.receive_json()["type"] == "band"
        assert patient.receive_json()["type"] == "cue_state"  # following its own readings now
        own_redis.stop()
        for i in range(3):
            patient.send_json({"type": "reading", "t": t + i * 1000, "bpm": 110 + i})
        stored: list[int] = []
        deadline = time.monotonic() + 10
        while len(stored) < 3 and time.monotonic() < deadline:
            message = patient.receive_json()
            if message["type"] == "stored":
                stored += message["t"]
    assert sorted(stored) == [t, t + 1000, t + 2000]
    assert [s.bpm for s in db.run_sync(samples, world.patient_a)] == [110, 111, 112]


def test_a_patients_page_that_connects_while_redis_is_away_sends_and_later_sees_itself_live(
    app_on_own_redis: TestClient, db: Database, world: World, own_redis: RedisServer
) -> None:
    """Without Redis the page cannot follow its own live readings (no echo, no cue), but it is
    let in to send, not refused at every reconnect with its readings piling up; once Redis is
    back, the same socket gets its cue and its own readings live."""
    client = app_on_own_redis
    occurrence = db.run_sync(class_with_device, world.coach_a, world.patient_a)[0]
    join(client, db.run_sync(join_token, world.patient_a))
    own_redis.stop()
    t = now_ms() - 20_000
    with client.websocket_connect(f"/ws/live/{occurrence}") as patient:
        patient.send_json({"type": "hello", "watch": True})
        assert patient.receive_json()["type"] == "band"
        assert patient.receive_json() == {"type": "live_view", "on": False}  # cues paused
        first = [{"t": t + i * 1000, "bpm": 100 + i} for i in range(3)]
        patient.send_json({"type": "readings", "readings": first})
        assert patient.receive_json() == {"type": "stored", "t": [t, t + 1000, t + 2000]}

        own_redis.start()
        assert patient.receive_json()["type"] == "cue_state"  # within LIVE_VIEW_RETRY_S
        assert patient.receive_json() == {"type": "live_view", "on": True}
        patient.send_json({"type": "reading", "t": t + 5000, "bpm": 105})
        seen = []
        while len(seen) < 2:
            message = patient.receive_json()
            seen.append(message["type"])
            if message["type"] == "reading":
                assert message["bpm"] == 105
        assert sorted(seen) == ["reading", "stored"]
    assert [s.bpm for s in db.run_sync(samples, world.patient_a)] == [100, 101, 102, 105]

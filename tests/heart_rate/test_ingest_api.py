"""`POST /api/v1/hr` with bad input of every kind: a clear answer and nothing half-stored."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent, StaffUser
from telecoach.app import create_app
from tests.conftest import World, make_settings
from tests.heart_rate.conftest import BOTH_ENGINES
from tests.heart_rate.helpers import bearer, device_token, live_class, now_ms, samples
from web.auth import api_tokens


@pytest.fixture
def live(db: Database, world: World) -> dict:
    def make(session):  # type: ignore[no-untyped-def]
        occurrence = live_class(session, world.coach_a, [world.patient_a])
        return {
            "occurrence": occurrence,
            "ana": device_token(session, world.patient_a),
            "bruno": device_token(session, world.patient_b),
        }

    return db.run_sync(make)


def post(client: TestClient, token: str, body: object, **kwargs: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/hr", json=body, headers=bearer(token), **kwargs)


@BOTH_ENGINES
def test_good_readings_are_stored_once_with_their_class(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    now = now_ms()
    iso = datetime.fromtimestamp((now - 3000) / 1000, UTC).isoformat().replace("+00:00", "Z")
    body = {
        "readings": [
            {"t": iso, "bpm": 92, "rr_ms": [650, 655]},
            {"t": now - 2000, "bpm": 95},
            {"t": float(now - 1000), "bpm": 97.0},
        ]
    }
    answer = post(client, live["ana"], body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 3, "rejected": [], "live": 3, "cue": None}
    stored = db.run_sync(samples, world.patient_a)
    assert [(s.bpm, s.source, s.occurrence_id) for s in stored] == [
        (92, "api", live["occurrence"]),
        (95, "api", live["occurrence"]),
        (97, "api", live["occurrence"]),
    ]
    assert stored[0].rr_ms == [650, 655]
    # The same readings again are accepted once: now each is a duplicate, and nothing changes.
    again = post(client, live["ana"], body).json()
    assert again["accepted"] == 0
    assert [r["reason"] for r in again["rejected"]] == ["duplicate: already stored"] * 3
    assert len(db.run_sync(samples, world.patient_a)) == 3
    audit = db.run_sync(
        lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "heart_rate.ingest")).all()
    )
    assert [(a.actor_kind, a.patient_id) for a in audit] == [("device", world.patient_a)] * 2


def test_each_bad_reading_is_rejected_with_its_reason(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    now = now_ms()
    readings = [
        {"t": now - 9000, "bpm": 90},  # good
        {"t": now - 8000, "bpm": 300},
        {"t": now - 7000, "bpm": 24},
        {"t": now - 6000, "bpm": "92"},
        {"t": now - 5500, "bpm": 92.5},
        {"t": True, "bpm": 92},
        {"t": "yesterday", "bpm": 92},
        {"t": "2026-11-20T10:00:00", "bpm": 92},
        {"t": now + 10 * 60_000, "bpm": 92},
        {"t": now - 2 * 86_400_000, "bpm": 92},
        {"bpm": 92},
        {"t": now - 5000},
        {"t": now - 4000, "bpm": 92, "rr_ms": "650"},
        {"t": now - 3000, "bpm": 92, "rr_ms": [10]},
        {"t": now - 2000, "bpm": 92, "spo2": 97},
        "not an object",
        {"t": now - 9000, "bpm": 91},  # the same time as the first
        {"t": now - 1000, "bpm": 93},  # good
    ]
    answer = post(client, live["ana"], {"readings": readings})
    assert answer.status_code == 200
    result = answer.json()
    assert result["accepted"] == 2
    reasons = {r["index"]: r["reason"] for r in result["rejected"]}
    assert set(reasons) == set(range(1, 17))
    assert reasons[1] == "bpm: 300 is outside 25-250"
    assert reasons[3] == reasons[4] == "bpm: must be a whole number"
    assert reasons[5].startswith("t: must be an ISO 8601 string")
    assert reasons[7].startswith("t: needs a time zone")
    assert reasons[8] == "t: more than 2 minutes in the future"
    assert reasons[9] == "t: more than 24 hours in the past"
    assert reasons[10] == "t: missing" and reasons[11] == "bpm: missing"
    assert reasons[14] == "unknown field 'spo2'"
    assert reasons[15] == "a reading must be an object"
    assert reasons[16].startswith("duplicate")
    assert [s.bpm for s in db.run_sync(samples, world.patient_a)] == [90, 93]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"readings": [{"t": 1, "bpm": 90}] * 10_000}, "readings"),
        ({"readings": []}, "readings"),
        ({"readings": {"t": 1}}, "readings"),
        ({}, "readings"),
        ({"readings": [], "device": "x"}, "device"),
        ({"readings": [{"bpm": 90}], "occurrence_id": "12"}, "occurrence_id"),
        ([{"t": 1, "bpm": 90}], "body"),
    ],
    ids=[
        "10000 readings",
        "empty",
        "not a list",
        "missing",
        "unknown field",
        "bad occurrence",
        "not an object",
    ],
)
def test_a_bad_body_stores_nothing(
    client: TestClient, db: Database, world: World, live: dict, body: object, field: str
) -> None:
    if isinstance(body, dict) and body.get("readings") and isinstance(body["readings"], list):
        body["readings"] = [{"t": now_ms() - i, "bpm": 90} for i in range(len(body["readings"]))]
    answer = post(client, live["ana"], body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert db.run_sync(samples) == []


def test_not_json_too_big_and_wrong_type(client: TestClient, db: Database, live: dict) -> None:
    headers = {**bearer(live["ana"]), "Content-Type": "application/json"}
    assert client.post("/api/v1/hr", content=b"{nope", headers=headers).status_code == 422
    text = {**bearer(live["ana"]), "Content-Type": "text/plain"}
    assert client.post("/api/v1/hr", content=b"{}", headers=text).status_code == 415
    huge = json.dumps({"readings": [{"t": now_ms(), "bpm": 90, "pad": "x" * 2_000_000}]})
    assert client.post("/api/v1/hr", content=huge, headers=headers).status_code == 413
    # A good reading before a lone surrogate: the whole request is refused, nothing stored.
    lone = json.dumps({"readings": [{"t": now_ms() - 1, "bpm": 90}, {"t": now_ms(), "bpm": 91}]})
    lone = lone.replace('"bpm": 91', '"bpm": 91, "note": "\\udc00"')
    answer = client.post("/api/v1/hr", content=lone, headers=headers)
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "readings[1].note"
    for occurrence_id in (2**63, 2**31, 0):  # past every column, past the id column, no id
        body = {"occurrence_id": occurrence_id, "readings": [{"t": now_ms(), "bpm": 90}]}
        answer = post(client, live["ana"], body)
        assert answer.status_code == 422, occurrence_id
        assert answer.json()["error"]["field"] == "occurrence_id"
    assert db.run_sync(samples) == []


@BOTH_ENGINES
def test_a_class_the_patient_is_not_in_stores_nothing(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    body = {
        "occurrence_id": live["occurrence"],
        "readings": [{"t": now_ms() - 1000, "bpm": 90}, {"t": now_ms(), "bpm": 91}],
    }
    answer = post(client, live["bruno"], body)  # Bruno's own token, Ana's class
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "occurrence_id"
    assert db.run_sync(samples) == []
    # Without the class, Bruno's readings are his own and belong to no class of Ana's.
    del body["occurrence_id"]
    assert post(client, live["bruno"], body).json()["accepted"] == 2
    assert {(s.patient_id, s.occurrence_id) for s in db.run_sync(samples)} == {
        (world.patient_b, None)
    }


def test_only_a_live_device_token_may_send(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    body = {"readings": [{"t": now_ms(), "bpm": 90}]}
    assert client.post("/api/v1/hr", json=body).status_code == 401
    staff = db.run_sync(lambda s: api_tokens.create(s, s.get(StaffUser, world.coach_a), "t")[1])
    assert post(client, staff, body).status_code == 401
    assert post(client, "hrd_" + "x" * 40, body).status_code == 401
    assert post(client, "hrd_" + "x" * 200, body).status_code == 401
    # revoked through the staff API: the token stops working at once
    from tests.web.signin import login

    csrf = login(client, "coach.a@example.org")
    made = client.post(
        f"/api/v1/patients/{world.patient_a}/device-tokens",
        json={"name": "old watch"},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert post(client, made["token"], body).status_code == 200
    client.delete(
        f"/api/v1/patients/{world.patient_a}/device-tokens/{made['id']}",
        headers={"X-CSRF-Token": csrf},
    )
    body = {"readings": [{"t": now_ms() + 5, "bpm": 91}]}
    assert post(client, made["token"], body).status_code == 401
    assert len(db.run_sync(samples)) == 1


def _clear_of_the_minute_boundary() -> None:
    """The limit counts per clock minute: start a few-request test well inside one."""
    if time.time() % 60 > 55:
        time.sleep(60 - time.time() % 60 + 0.1)


def test_per_device_rate_limit(db: Database, world: World, live: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(db.url, tmp_path, hr_device_requests_per_minute=3)
    _clear_of_the_minute_boundary()
    with TestClient(create_app(settings)) as client:
        for i in range(3):
            answer = post(client, live["ana"], {"readings": [{"t": now_ms() - 10 + i, "bpm": 90}]})
            assert answer.status_code == 200
        limited = post(client, live["ana"], {"readings": [{"t": now_ms(), "bpm": 99}]})
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        # another device is not slowed down by this one
        assert (
            post(client, live["bruno"], {"readings": [{"t": now_ms(), "bpm": 99}]}).status_code
            == 200
        )
    assert [s.bpm for s in db.run_sync(samples, world.patient_a)] == [90, 90, 90]


def test_the_device_rate_limit_is_shared_by_processes_through_redis(
    db: Database, world: World, live: dict, tmp_path, clean_redis: str
) -> None:  # type: ignore[no-untyped-def]
    """Two app instances (as two `serve` processes) on one Redis: a device gets 3 requests a
    minute in all, not 3 on each."""
    settings = make_settings(
        db.url, tmp_path, hr_device_requests_per_minute=3, redis_url=clean_redis
    )
    _clear_of_the_minute_boundary()
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        answers = [
            post(client, live["ana"], {"readings": [{"t": now_ms() - 10 + i, "bpm": 90}]})
            for i, client in enumerate([one, two, one])
        ]
        assert [a.status_code for a in answers] == [200, 200, 200]
        limited = post(two, live["ana"], {"readings": [{"t": now_ms(), "bpm": 99}]})
        assert limited.status_code == 429 and limited.json()["error"]
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        other = post(one, live["bruno"], {"readings": [{"t": now_ms(), "bpm": 99}]})
        assert other.status_code == 200
    assert [s.bpm for s in db.run_sync(samples, world.patient_a)] == [90, 90, 90]


def test_a_sensor_posting_every_second_does_not_fill_the_log(
    client: TestClient, live: dict, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="telecoach.access")
    assert post(client, live["ana"], {"readings": [{"t": now_ms(), "bpm": 90}]}).status_code == 200
    assert post(client, live["ana"], {"readings": "many"}).status_code == 422
    levels = [(r.levelno, r.status) for r in caplog.records if r.name == "telecoach.access"]
    assert levels == [(logging.DEBUG, 200), (logging.INFO, 422)]

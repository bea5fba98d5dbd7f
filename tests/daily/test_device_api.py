"""`POST /api/v1/daily` with a device token: good days stored once, every bad input refused with
its reason, and a warning raised once as an alert with its evidence."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import select
from starlette.testclient import TestClient

from coach.clock import Clock
from coach.database import Database
from coach.holds import PatientHold
from coach.models import AuditEvent
from telecoach.app import create_app
from tests.conftest import World, make_settings
from tests.daily.helpers import alerts_of, readings, steady_then_sick, today_of
from tests.heart_rate.helpers import bearer, device_token
from tests.redis_server import RedisServer


def post(client: TestClient, token: str, body: object, **kwargs: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/daily", json=body, headers=bearer(token), **kwargs)


def test_days_are_stored_once_and_audited(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    token = db.run_sync(device_token, world.patient_a)
    today = db.run_sync(today_of, world.patient_a, clock.now())
    body = {
        "days": [
            {"date": (today - timedelta(days=1)).isoformat(), "resting_hr": 61, "steps": 5400},
            {"date": today.isoformat(), "resting_hr": 62.0, "temp_c": 36.74},
        ]
    }
    answer = post(client, token, body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 2, "rejected": [], "alerts": 0}
    stored = db.run_sync(readings, world.patient_a)
    assert [(r.resting_hr, r.steps, r.temp_c, r.source) for r in stored] == [
        (61, 5400, None, "api"),
        (62, None, 36.7, "api"),
    ]
    again = post(client, token, body).json()
    assert again["accepted"] == 0
    assert [r["reason"] for r in again["rejected"]] == [
        "duplicate: resting_hr, steps already stored for that day",
        "duplicate: resting_hr, temp_c already stored for that day",
    ]
    # A measure the day did not have yet is stored; the first value of the others stands.
    more = post(
        client, token, {"days": [{"date": today.isoformat(), "steps": 800, "resting_hr": 90}]}
    )
    assert more.json()["accepted"] == 1
    assert [(r.resting_hr, r.steps) for r in db.run_sync(readings, world.patient_a)][-1] == (
        62,
        800,
    )
    audit = db.run_sync(
        lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "daily.ingest")).all()
    )
    assert [(a.actor_kind, a.patient_id) for a in audit] == [("device", world.patient_a)] * 3


def test_each_bad_day_is_refused_with_its_reason(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    token = db.run_sync(device_token, world.patient_a)
    today = db.run_sync(today_of, world.patient_a, clock.now())
    day = today.isoformat()
    days = [
        {"date": day, "resting_hr": 250},
        {"date": day, "steps": -1},
        {"date": day, "temp_c": 47},
        {"date": day, "resting_hr": 61.5},
        {"date": day, "resting_hr": True},
        {"date": day, "steps": "4000"},
        {"date": (today + timedelta(days=1)).isoformat(), "steps": 10},
        {"date": (today - timedelta(days=91)).isoformat(), "steps": 10},
        {"date": "31/12/2026", "steps": 10},
        {"date": day},
        {"steps": 10},
        {"date": day, "steps": 10, "mood": "good"},
        "a string",
        {"date": day, "steps": 4000},
        {"date": day, "steps": 4100},
    ]
    answer = post(client, token, {"days": days})
    assert answer.status_code == 200, answer.text
    reasons = {r["index"]: r["reason"] for r in answer.json()["rejected"]}
    assert answer.json()["accepted"] == 1
    assert reasons == {
        0: "resting_hr: 250 is outside 30-220",
        1: "steps: -1 is outside 0-100000",
        2: "temp_c: 47 is outside 34-43 °C",
        3: "resting_hr: must be a whole number of beats a minute",
        4: "resting_hr: must be a number",
        5: "steps: must be a number",
        6: "date: in the future for this patient",
        7: "date: more than 90 days ago",
        8: "date: must be a date like 2026-11-20",
        9: "give at least one of resting_hr, steps, temp_c, or infusion: true",
        10: "date: missing",
        11: "unknown field 'mood'",
        12: "a day must be an object",
        14: "duplicate: same date as another day",
    }
    assert [r.steps for r in db.run_sync(readings, world.patient_a)] == [4000]


def test_whole_requests_refused(client: TestClient, db: Database, world: World) -> None:
    token = db.run_sync(device_token, world.patient_a)
    assert post(client, token, {"days": []}).status_code == 422
    assert post(client, token, {"days": "x"}).status_code == 422
    assert post(client, token, {"days": [{}], "patient_id": 2}).status_code == 422
    huge = {"days": [{"date": "2026-11-01", "steps": 1}] * 401}
    assert "at most 400" in post(client, token, huge).text
    assert (
        client.post(
            "/api/v1/daily",
            content=b"[1]",
            headers={**bearer(token), "content-type": "application/json"},
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/daily",
            content=b"x" * 3_000_000,
            headers={**bearer(token), "content-type": "application/json"},
        ).status_code
        == 413
    )
    assert db.run_sync(readings, world.patient_a) == []


def test_wrong_tokens_store_nothing(client: TestClient, db: Database, world: World) -> None:
    body = {"days": [{"date": "2026-11-30", "steps": 100}]}
    assert client.post("/api/v1/daily", json=body).status_code == 401
    assert post(client, "hrd_not-a-token", body).status_code == 401
    assert post(client, "tc_staff_like", body).status_code == 401
    revoked = db.run_sync(device_token, world.patient_a)
    from coach import device_tokens

    db.run_sync(
        lambda s: [
            device_tokens.revoke(s, world.patient_a, t.id)
            for t in device_tokens.for_patient(s, world.patient_a)
        ]
    )
    assert post(client, revoked, body).status_code == 401
    assert db.run_sync(readings, world.patient_a) == []


def test_another_patients_token_writes_only_its_own_patient(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    bruno = db.run_sync(device_token, world.patient_b)
    today = db.run_sync(today_of, world.patient_b, clock.now())
    post(client, bruno, {"days": [{"date": today.isoformat(), "steps": 100}]})
    assert db.run_sync(readings, world.patient_a) == []
    assert len(db.run_sync(readings, world.patient_b)) == 1


def test_a_warning_is_one_alert_with_evidence_and_a_hold(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    token = db.run_sync(device_token, world.patient_a)
    today = db.run_sync(today_of, world.patient_a, clock.now())
    days = steady_then_sick(today)
    answer = post(client, token, {"days": days[:-2]})
    assert answer.json()["alerts"] == 0  # three ordinary weeks: nothing to say
    answer = post(client, token, {"days": days[-2:]})
    assert answer.json()["alerts"] == 1, answer.text
    (alert,) = db.run_sync(alerts_of, world.patient_a, "early_warning")
    assert alert.severity == "warning" and alert.acknowledged_at is None
    assert alert.evidence is not None
    assert alert.evidence["series"][-1] == {
        "day": today.isoformat(),
        "resting_hr": 71.0,
        "steps": 2500,
        "session_done": None,  # nothing scheduled that day
        "replied": None,  # nor asked by text
    }
    assert alert.evidence["baseline_rhr"] is not None
    holds = db.run_sync(lambda s: s.exec(select(PatientHold)).all())
    assert [h.rule_id for h in holds] == ["hold.early_warning"]
    # The next day's data while it is open raises no second alert.
    token2 = db.run_sync(device_token, world.patient_a)
    assert (
        post(client, token2, {"days": [{"date": today.isoformat(), "temp_c": 37.1}]}).json()[
            "alerts"
        ]
        == 0
    )
    assert len(db.run_sync(alerts_of, world.patient_a, "early_warning")) == 1


def test_a_fever_from_a_device_is_the_red_flag(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    token = db.run_sync(device_token, world.patient_a)
    today = db.run_sync(today_of, world.patient_a, clock.now())
    answer = post(client, token, {"days": [{"date": today.isoformat(), "temp_c": 38.3}]})
    assert answer.json()["alerts"] == 1
    (alert,) = db.run_sync(alerts_of, world.patient_a, "red_flag")
    assert alert.severity == "urgent" and alert.flags == ["fever"]
    holds = db.run_sync(lambda s: s.exec(select(PatientHold)).all())
    assert [h.rule_id for h in holds] == ["hold.red_flag"]


def test_while_redis_is_away_a_fever_from_a_device_is_still_the_red_flag(
    database_url: str,
    tmp_path: Path,
    db: Database,
    world: World,
    clock: Clock,
    own_redis: RedisServer,
) -> None:
    """Redis only carries the alert to other processes' views: without it the day is stored,
    the alert and hold raised, and the device answered as always (not a 500 it would resend)."""
    token = db.run_sync(device_token, world.patient_a)
    today = db.run_sync(today_of, world.patient_a, clock.now())
    settings = make_settings(database_url, tmp_path, redis_url=own_redis.url)
    with TestClient(create_app(settings, clock=clock)) as client:
        own_redis.stop()
        answer = post(client, token, {"days": [{"date": today.isoformat(), "temp_c": 38.3}]})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 1, "rejected": [], "alerts": 1}
    (alert,) = db.run_sync(alerts_of, world.patient_a, "red_flag")
    assert alert.flags == ["fever"]
    holds = db.run_sync(lambda s: s.exec(select(PatientHold)).all())
    assert [h.rule_id for h in holds] == ["hold.red_flag"]


def test_infusion_days_are_marked_and_read_by_the_detector(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    token = db.run_sync(device_token, world.patient_a)
    today = db.run_sync(today_of, world.patient_a, clock.now())
    day = today.isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    days = [
        {"date": day, "steps": 5000, "infusion": True},
        {"date": yesterday, "infusion": True},  # a treatment day without a measure
        {"date": (today - timedelta(days=2)).isoformat(), "infusion": "yes"},
        {"date": (today - timedelta(days=3)).isoformat(), "infusion": 1},
        {"date": (today - timedelta(days=4)).isoformat(), "infusion": False},
        {"date": (today - timedelta(days=5)).isoformat(), "steps": 4000, "infusion": None},
    ]
    answer = post(client, token, {"days": days})
    assert answer.status_code == 200, answer.text
    reasons = {r["index"]: r["reason"] for r in answer.json()["rejected"]}
    assert reasons == {
        2: "infusion: must be true or false",
        3: "infusion: must be true or false",
        4: "give at least one of resting_hr, steps, temp_c, or infusion: true",
    }
    stored = {r.day.isoformat(): r.infusion for r in db.run_sync(readings, world.patient_a)}
    assert stored == {day: True, yesterday: True, days[5]["date"]: False}
    # Said again, or a later measure for that day: the mark stays, nothing is a duplicate.
    again = post(client, token, {"days": [{"date": yesterday, "infusion": True, "steps": 3000}]})
    assert again.json()["rejected"] == [] and again.json()["accepted"] == 1
    stored = {r.day.isoformat(): r.infusion for r in db.run_sync(readings, world.patient_a)}
    assert stored[yesterday] is True

    from coach.models import Patient
    from scheduler.engagement import history

    def points(session):  # type: ignore[no-untyped-def]
        patient = session.get(Patient, world.patient_a)
        return {p.day: p.infusion for p in history(session, patient, today, clock.now())}

    assert db.run_sync(points)[today - timedelta(days=1)] is True
    assert db.run_sync(points)[today - timedelta(days=5)] is False

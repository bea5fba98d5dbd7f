"""The live socket through Starlette's test client: the coach's roster, snapshot and live entries,
resume after a reconnect with no gap and no duplicate, patients streaming readings with
acknowledgements, alerts acknowledged by the coach, and bad input of every kind."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from coach import alerts as patient_alerts
from coach.clock import Clock
from coach.database import Database
from coach.models import AuditEvent, StaffUser, utcnow
from telecoach.app import create_app
from tests.conftest import World, make_settings
from tests.factories import join_token
from tests.heart_rate.conftest import BOTH_ENGINES
from tests.heart_rate.helpers import (
    ANA_ZONE,
    alerts,
    bearer,
    device_token,
    give_profile,
    live_class,
    now_ms,
    samples,
    stream_entries,
)
from tests.web.signin import join, login
from web.auth import api_tokens


@pytest.fixture
def live(db: Database, world: World) -> dict:
    def make(session):  # type: ignore[no-untyped-def]
        give_profile(session, world.patient_a)
        return {
            "occurrence": live_class(session, world.coach_a, [world.patient_a]),
            "ana": device_token(session, world.patient_a),
        }

    return db.run_sync(make)


@pytest.fixture
def coach(client: TestClient, world: World) -> TestClient:
    login(client, "coach.a@example.org")
    return client


def entries(ws, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    return [ws.receive_json() for _ in range(count)]


def readings_and_cues(ws, readings: int) -> list[dict]:  # type: ignore[no-untyped-def]
    """Entries up to the `readings`th reading, the cues among them included."""
    got: list[dict] = []
    while sum(e["type"] == "reading" for e in got) < readings:
        got.append(ws.receive_json())
    return got


def send(client: TestClient, token: str, readings: list[dict]) -> dict:
    answer = client.post("/api/v1/hr", json={"readings": readings}, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_coach_gets_roster_snapshot_and_live_readings(
    coach: TestClient, db: Database, world: World, live: dict
) -> None:
    with coach.websocket_connect(f"/ws/live/{live['occurrence']}") as ws:
        ws.send_json({"type": "hello"})
        roster = ws.receive_json()
        assert roster["type"] == "roster"
        [ana] = roster["patients"]
        assert ana["name"] == "Ana Secretname"
        assert (ana["zone"]["basis"], ana["zone"]["low"], ana["zone"]["high"]) == (
            "age_predicted",
            *ANA_ZONE,
        )
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot" and snapshot["seq"] == 0
        assert snapshot["tiles"][str(world.patient_a)]["bpm"] is None
        t = now_ms()
        send(coach, live["ana"], [{"t": t - 1000, "bpm": 100}, {"t": t, "bpm": 115}])
        got = entries(ws, 2)
        assert [(e["seq"], e["type"], e["bpm"], e["src"]) for e in got] == [
            (1, "reading", 100, "api"),
            (2, "reading", 115, "api"),
        ]
    audit = db.run_sync(
        lambda s: s.exec(
            select(AuditEvent).where(AuditEvent.action == "heart_rate.live.view")
        ).all()
    )
    assert [a.patient_id for a in audit] == [world.patient_a]


def test_reconnect_resumes_with_no_gap_and_no_duplicate(
    coach: TestClient, world: World, live: dict
) -> None:
    url = f"/ws/live/{live['occurrence']}"
    t = now_ms() - 60_000
    with coach.websocket_connect(url) as ws:
        ws.send_json({"type": "hello"})
        epoch = entries(ws, 2)[1]["epoch"]
        send(coach, live["ana"], [{"t": t + i * 1000, "bpm": 100 + i} for i in range(5)])
        first = readings_and_cues(ws, 5)
    # while the coach is away, readings keep coming
    send(coach, live["ana"], [{"t": t + i * 1000, "bpm": 100 + i} for i in range(5, 12)])
    with coach.websocket_connect(url) as ws:
        ws.send_json({"type": "hello", "epoch": epoch, "after": first[-1]["seq"]})
        assert ws.receive_json()["type"] == "roster"
        assert ws.receive_json() == {"type": "resumed", "epoch": epoch, "after": first[-1]["seq"]}
        send(coach, live["ana"], [{"t": t + 12_000, "bpm": 112}])
        rest = readings_and_cues(ws, 8)
    # The cues those readings called for are entries too, numbered with them.
    seqs = [e["seq"] for e in first + rest]
    assert seqs == list(range(1, len(seqs) + 1))
    assert [e["bpm"] for e in first + rest if e["type"] == "reading"] == list(range(100, 113))


def test_a_streaming_sender_hears_stored_on_its_own_traffic_once_five_are_stored(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    """While the sender keeps talking, its acks wait for five stored readings and then go out
    before the reply to its next message; they never come on their own (the timer only serves
    a sender that fell quiet, as the test above shows)."""
    join(client, db.run_sync(join_token, world.patient_a))
    t = now_ms() - 10_000

    def stored_count(count: int) -> None:
        deadline = time.monotonic() + 10
        while len(db.run_sync(samples, world.patient_a)) < count:
            assert time.monotonic() < deadline
            time.sleep(0.05)

    with client.websocket_connect(f"/ws/live/{live['occurrence']}") as patient:
        patient.send_json({"type": "hello"})
        assert patient.receive_json()["type"] == "band"
        for i in range(4):
            patient.send_json({"type": "reading", "t": t + i * 1000, "bpm": 100 + i})
        stored_count(4)
        talking = time.monotonic()
        while time.monotonic() - talking < 2.0:  # longer than ACK_WHEN_QUIET_S: no ack yet
            patient.send_json({"type": "ping"})
            assert patient.receive_json() == {"type": "pong"}
            time.sleep(0.3)
        patient.send_json({"type": "reading", "t": t + 4000, "bpm": 104})
        stored_count(5)
        patient.send_json({"type": "ping"})
        assert patient.receive_json() == {"type": "stored", "t": [t + i * 1000 for i in range(5)]}
        assert patient.receive_json() == {"type": "pong"}


def test_unknown_epoch_gets_a_fresh_snapshot_with_the_tiles_so_far(
    coach: TestClient, world: World, live: dict
) -> None:
    t = now_ms() - 60_000
    send(coach, live["ana"], [{"t": t + i * 1000, "bpm": b} for i, b in enumerate([100, 115, 130])])
    with coach.websocket_connect(f"/ws/live/{live['occurrence']}") as ws:
        ws.send_json({"type": "hello", "epoch": "from-another-life", "after": 2})
        ws.receive_json()
        snapshot = ws.receive_json()
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == 3
    tile = snapshot["tiles"][str(world.patient_a)]
    assert (tile["bpm"], tile["band"]) == (130, "above")
    assert tile["hrr_pct"] == round(100 * (130 - 70) / (166 - 70))
    assert tile["seconds_in_band"] == {"below": 1.0, "in": 1.0, "above": 0.0, "none": 0.0}
    assert [p[1] for p in tile["spark"]] == [100, 115, 130]


@BOTH_ENGINES
def test_patient_streams_readings_and_each_is_acknowledged_once_stored(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    join(client, db.run_sync(join_token, world.patient_a))
    url = f"/ws/live/{live['occurrence']}"
    t = now_ms() - 10_000
    with client.websocket_connect(url) as patient:
        patient.send_json({"type": "hello", "watch": True})
        band = patient.receive_json()
        assert band["type"] == "band"
        assert (band["zone"]["low"], band["zone"]["high"]) == ANA_ZONE
        for i in range(3):
            patient.send_json(
                {"type": "reading", "t": t + i * 1000, "bpm": 110 + i, "rr_ms": [540]}
            )
        patient.send_json({"type": "reading", "t": t + 3000, "bpm": 400})
        stored: list[int] = []
        echoed = []
        deadline = time.monotonic() + 10
        while len(stored) < 3 and time.monotonic() < deadline:
            message = patient.receive_json()
            if message["type"] == "stored":
                stored += message["t"]
            elif message["type"] == "reading":
                echoed.append(message["bpm"])
            elif message["type"] == "rejected":
                assert message == {
                    "type": "rejected",
                    "t": t + 3000,
                    "reason": "bpm: 400 is outside 25-250",
                }
        assert sorted(stored) == [t, t + 1000, t + 2000]
        # After a reconnect the client resends what it was unsure of: stored and live once.
        patient.send_json({"type": "readings", "readings": [{"t": t + 2000, "bpm": 112}]})
        assert patient.receive_json() == {"type": "stored", "t": [t + 2000]}
    assert echoed[:3] == [110, 111, 112]
    rows = db.run_sync(samples, world.patient_a)
    assert [(r.bpm, r.source, r.rr_ms) for r in rows] == [
        (110, "ble", [540]),
        (111, "ble", [540]),
        (112, "ble", [540]),
    ]


@BOTH_ENGINES
def test_over_ceiling_alert_is_stored_once_announced_and_acknowledged(
    coach: TestClient, db: Database, world: World, live: dict
) -> None:
    with coach.websocket_connect(f"/ws/live/{live['occurrence']}") as ws:
        ws.send_json({"type": "hello"})
        entries(ws, 2)
        t = now_ms() - 60_000
        above = ANA_ZONE[1] + 10
        send(coach, live["ana"], [{"t": t + i * 1000, "bpm": above} for i in range(35)])
        got = stream_entries(ws, 36)
        alert = next(e for e in got if e["type"] == "alert")["alert"]
        assert (alert["kind"], alert["patient_id"], alert["bpm"]) == (
            "over_ceiling",
            world.patient_a,
            above,
        )
        ws.send_json({"type": "ack_alert", "alert_id": alert["id"]})
        [ack] = stream_entries(ws, 1)
        assert (ack["type"], ack["alert_id"]) == ("alert_ack", alert["id"])
        ws.send_json({"type": "ack_alert", "alert_id": 999_999})
        assert stream_entries(ws, 1)[0]["code"] == "not_found"
        ws.send_json({"type": "ack_alert", "alert_id": 2**40})  # past any id: no database error
        assert stream_entries(ws, 1)[0]["code"] == "not_found"
    [stored] = db.run_sync(alerts)
    assert stored.acknowledged_by == world.coach_a and stored.acknowledged_at is not None
    actions = db.run_sync(
        lambda s: [
            (a.action, a.outcome, a.detail)
            for a in s.exec(select(AuditEvent)).all()
            if "alert" in a.action
        ]
    )
    assert [a[0] for a in actions] == ["heart_rate.alert", "heart_rate.alert.ack"]
    assert actions[1][1:] == ("ok", f"alert {alert['id']}")


def test_the_minor_alerts_of_a_class_are_acknowledged_at_once_the_urgent_left(
    coach: TestClient, db: Database, world: World, live: dict
) -> None:
    def raise_three(session):  # type: ignore[no-untyped-def]
        began = utcnow() - timedelta(minutes=5)
        for kind in ("over_ceiling", "no_signal"):
            patient_alerts.raise_episode(
                session, world.patient_a, live["occurrence"], kind, began, began, 99, kind
            )
        patient_alerts.raise_alert(session, world.patient_a, "red_flag", "chest pain", [], "sms")

    db.run_sync(raise_three)
    with coach.websocket_connect(f"/ws/live/{live['occurrence']}") as ws:
        ws.send_json({"type": "hello"})
        roster, snapshot = entries(ws, 2)
        assert [a["kind"] for a in roster["alerts"]] == ["red_flag"]
        assert sorted(a["kind"] for a in snapshot["alerts"]) == ["no_signal", "over_ceiling"]
        ws.send_json({"type": "ack_minor_alerts"})
        acks = entries(ws, 2)
        assert {a["type"] for a in acks} == {"alert_ack"}
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # and nothing more came
    still_open = [a.kind for a in db.run_sync(alerts) if a.acknowledged_at is None]
    assert still_open == ["red_flag"]


def test_bad_messages_get_an_error_and_the_connection_stays(coach: TestClient, live: dict) -> None:
    with coach.websocket_connect(f"/ws/live/{live['occurrence']}") as ws:
        ws.send_json({"type": "hello"})
        entries(ws, 2)
        ws.send_text("{not json")
        assert ws.receive_json()["code"] == "bad_json"
        ws.send_json(["a", "list"])
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "launch"})
        assert ws.receive_json()["code"] == "unknown_type"
        ws.send_json({"type": "ack_alert", "alert_id": "7"})
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_text("x" * 300_000)
        assert ws.receive_json()["code"] == "too_big"
        for hostile in (
            "[" * 100_000 + "]" * 100_000,  # nested deeper than anyone could walk
            '{"type": "ack_alert", "alert_id": 100000000000000000000}',  # no column holds it
            '{"type": "ping", "note": "x\\ud800y"}',  # a lone surrogate: not Unicode
        ):
            ws.send_text(hostile)
            assert ws.receive_json()["code"] == "bad_json"
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_a_staff_api_token_opens_the_coach_view_without_a_cookie(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    def make(session):  # type: ignore[no-untyped-def]
        return api_tokens.create(session, session.get(StaffUser, world.coach_a), "script")[1]

    token = db.run_sync(make)
    url = f"/ws/live/{live['occurrence']}"
    with client.websocket_connect(url, headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.send_json({"type": "hello"})
        assert ws.receive_json()["type"] == "roster"
    forged = {"Authorization": "Bearer tc_not_a_token"}
    with client.websocket_connect(url, headers=forged) as ws:
        assert ws.receive_json()["code"] == "unauthenticated"


def test_a_flood_of_any_message_is_cut_off(coach: TestClient, live: dict) -> None:
    """Readings had a limit, other messages none: 2,000 pings got 2,000 pongs."""
    with coach.websocket_connect(f"/ws/live/{live['occurrence']}") as ws:
        ws.send_json({"type": "hello"})
        entries(ws, 2)
        for _ in range(400):
            ws.send_text('{"type":"ping"}')
        answers = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                answers.append(ws.receive_json())
    assert closed.value.code == 4429
    assert answers[-1]["code"] == "rate_limited"
    assert 190 <= answers.count({"type": "pong"}) < 400


def test_patient_bad_input(client: TestClient, db: Database, world: World, live: dict) -> None:
    join(client, db.run_sync(join_token, world.patient_a))
    with client.websocket_connect(f"/ws/live/{live['occurrence']}") as ws:
        ws.send_json({"type": "hello"})
        ws.receive_json()
        ws.send_json({"type": "readings", "readings": [{"t": now_ms(), "bpm": 90}] * 1001})
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "readings", "readings": "many"})
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "reading", "t": now_ms(), "bpm": 90, "extra": 1})
        assert ws.receive_json()["reason"] == "unknown field 'extra'"
        ws.send_json({"type": "reading", "t": now_ms() - 3 * 3600_000, "bpm": 90})
        assert ws.receive_json()["reason"] == "t: outside this class"
        ws.send_json({"type": "ack_alert", "alert_id": 1})  # a coach's command
        assert ws.receive_json()["code"] == "unknown_type"
    assert db.run_sync(samples) == []


def close_code(
    client: TestClient, url: str, first: dict | None = None, **kwargs: object
) -> tuple[str, int]:
    with client.websocket_connect(url, **kwargs) as ws:  # type: ignore[arg-type]
        if first is not None:
            ws.send_json(first)
        error = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    return error["code"], closed.value.code


def test_who_may_connect(client: TestClient, db: Database, world: World, live: dict) -> None:
    url = f"/ws/live/{live['occurrence']}"
    assert close_code(client, url) == ("unauthenticated", 4401)
    login(client, "coach.b@example.org")
    assert close_code(client, url) == ("not_found", 4404)
    denied = db.run_sync(
        lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "heart_rate.live")).all()
    )
    assert [(a.actor_id, a.outcome) for a in denied] == [(world.coach_b, "denied")]
    assert close_code(client, "/ws/live/999999") == ("not_found", 4404)
    assert close_code(client, "/ws/live/99999999999") == ("not_found", 4404)  # past any id
    client.cookies.clear()
    join(client, db.run_sync(join_token, world.patient_b))
    assert close_code(client, url) == ("not_found", 4404)  # Bruno is not in Ana's class
    client.cookies.clear()
    login(client, "coach.a@example.org")
    foreign = {"origin": "https://evil.example"}
    assert close_code(client, url, headers=foreign) == ("forbidden_origin", 4403)
    assert close_code(client, url, first={"type": "reading"}) == ("bad_hello", 4400)


def test_a_reading_sent_at_once_after_hello_comes_back_live(
    db: Database, world: World, live: dict, tmp_path: Path, clock: Clock, clean_redis: str
) -> None:
    """A sensor page sends as soon as its socket opens: its own live view is followed (and the
    cue shown now sent) before the first reading is read, so that reading is on the patient's
    screen too. A browser test (tests/heart_rate/test_browser.py) once saw "--" there while the
    follow ran alongside the first reading; this test did not catch that race, it keeps the
    order."""
    settings = make_settings(db.url, tmp_path, redis_url=clean_redis)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as client:
        _reading_at_once(client, db, world, live)


def _reading_at_once(client: TestClient, db: Database, world: World, live: dict) -> None:
    join(client, db.run_sync(join_token, world.patient_a))
    t = now_ms() - 1000
    with client.websocket_connect(f"/ws/live/{live['occurrence']}") as patient:
        patient.send_json({"type": "hello", "watch": True})
        patient.send_json({"type": "reading", "t": t, "bpm": 101})
        seen = {}
        while "reading" not in seen or "stored" not in seen:
            message = patient.receive_json()
            seen.setdefault(message["type"], message)
    assert seen["reading"]["bpm"] == 101 and seen["stored"]["t"] == [t]
    assert list(seen)[:2] == ["band", "cue_state"]

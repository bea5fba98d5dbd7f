"""A heart-rate alert goes through the same alert hub as a red flag: raised in the process that
took the readings in, it is announced once on the Redis channel (dashboards and other classes'
views in every process hear it); acknowledged on the dashboard of another process, the class's
live view there shows the acknowledgement once, and the channel carries it too."""

from __future__ import annotations

import json

import redis
from starlette.testclient import TestClient

from coach.database import Database
from rtc.alert_hub import CHANNEL
from tests.conftest import REDIS_URL, World
from tests.heart_rate.helpers import (
    ANA_ZONE,
    bearer,
    class_with_device,
    now_ms,
    stream_entries,
)
from tests.web.signin import csrf_from, login

REDIS_CHANNEL = f"{CHANNEL}:{REDIS_URL.rsplit('/', 1)[1]}"  # the tests' Redis database


def notices(listener: redis.client.PubSub, wanted: int) -> list[dict]:
    """The notices published, waiting for `wanted` of them and half a second for any more."""
    found: list[dict] = []
    for _ in range(40):
        message = listener.get_message(timeout=0.5 if len(found) >= wanted else 0.25)
        if message and message["type"] == "message":
            found.append(json.loads(message["data"]))
        elif len(found) >= wanted:
            break
    return found


def test_raised_in_one_process_acknowledged_in_another(
    processes: tuple[TestClient, TestClient], db: Database, world: World
) -> None:
    ingest, watching = processes

    occurrence, token = db.run_sync(class_with_device, world.coach_a, world.patient_a)
    login(watching, "coach.a@example.org")
    listener = redis.Redis.from_url(REDIS_URL).pubsub()
    listener.subscribe(REDIS_CHANNEL)
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    try:
        with watching.websocket_connect(f"/ws/live/{occurrence}") as ws:
            ws.send_json({"type": "hello"})
            assert [ws.receive_json()["type"] for _ in range(2)] == ["roster", "snapshot"]
            t = now_ms() - 60_000
            above = ANA_ZONE[1] + 10
            readings = [{"t": t + i * 1000, "bpm": above} for i in range(35)]
            answer = ingest.post("/api/v1/hr", json={"readings": readings}, headers=bearer(token))
            assert answer.status_code == 200, answer.text
            got = stream_entries(ws, 36)
            [alert] = [e["alert"] for e in got if e["type"] == "alert"]
            assert (alert["kind"], alert["severity"], alert["occurrence_id"]) == (
                "over_ceiling",
                "warning",
                occurrence,
            )

            page = watching.get("/dashboard").text
            assert f'data-alert="{alert["id"]}"' in page
            done = watching.post(
                f"/alerts/{alert['id']}/acknowledge", data={"csrf_token": csrf_from(page)}
            )
            assert done.status_code == 303
            [ack] = stream_entries(ws, 1)
            assert (ack["type"], ack["alert_id"]) == ("alert_ack", alert["id"])
            ws.send_json({"type": "ping"})  # the hub's copy of this class's own is not sent
            assert stream_entries(ws, 1) == [{"type": "pong"}]
        heard = notices(listener, 2)
    finally:
        listener.close()
    assert [(n["event"], n["alert"]["id"]) for n in heard] == [
        ("raised", alert["id"]),
        ("acknowledged", alert["id"]),
    ]
    assert heard[1]["alert"]["acknowledged_at"] == ack["acknowledged_at"]
    assert "Ana" not in json.dumps(heard)

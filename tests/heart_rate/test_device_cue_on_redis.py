"""A device's answer carries the class's cue on the Redis bus too (issue 20, in class), with two
app processes on one Redis, as production runs: the cue its own readings brought (decided by the
monitor of the process that took them in, gone out to Redis and back), the same cue from the other
process's monitor of the class, and the coach's own words said in the other process. The answer
waits for the stream's head to come back (rtc/heart_rate/monitor.py `settle`): without that wait
the cue came back through the other Redis connection after the answer in about one run in ten
under load, and the answer was empty."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from coach.database import Database
from tests.conftest import World
from tests.heart_rate.helpers import (
    ANA_ZONE,
    bearer,
    class_with_device,
    now_ms,
)
from tests.web.signin import login


def test_each_answer_carries_the_cue_of_its_own_readings(
    processes: tuple[TestClient, TestClient], db: Database, world: World
) -> None:
    first, second = processes

    occurrence, token = db.run_sync(class_with_device, world.coach_a, world.patient_a)

    def send(client: TestClient, bpm: int, back_ms: int) -> Any:
        body = {"readings": [{"t": now_ms() - back_ms, "bpm": bpm}]}
        answer = client.post("/api/v1/hr", json=body, headers=bearer(token))
        assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
        return answer.json()["cue"]

    assert send(first, ANA_ZONE[0] + 5, 4000) is None  # in her zone: nothing to say
    cue = send(first, ANA_ZONE[1] + 15, 3000)
    assert cue is not None and (cue["kind"], cue["rule"]) == ("ease_off", "cue.ease_off")
    # The other process has its own monitor of the class; its answer is the same cue.
    again = send(second, ANA_ZONE[1] + 16, 2000)
    assert again is not None and again["kind"] == "ease_off"
    # The coach's words, said in the second process, reach a device answered by the first.
    login(second, "coach.a@example.org")
    with second.websocket_connect(f"/ws/live/{occurrence}") as coach:
        coach.send_json({"type": "hello"})
        coach.send_json({"type": "cue_say", "patient_id": world.patient_a, "text": "easy, Ana"})
        for _ in range(10):
            if coach.receive_json()["type"] == "cue":
                break
        said = send(first, ANA_ZONE[1] + 16, 1000)
    assert said is not None and (said["kind"], said["text"]) == ("coach", "easy, Ana")

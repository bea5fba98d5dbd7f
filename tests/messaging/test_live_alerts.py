"""Urgent alerts in live class views: a patient in the class texts a red-flag symptom and the
coach's live view (console and heart-rate monitor share `/ws/live/{occurrence}`) shows it at once,
in this process and, through Redis, in another; it is still there after a reconnect until
acknowledged."""

from __future__ import annotations

import json

import pytest
import redis
from sqlmodel import Session, select

from coach import alerts
from coach.database import Database
from coach.models import AuditEvent
from rtc.alert_hub import CHANNEL
from tests.conftest import REDIS_URL, World
from tests.factories import patient as make_patient
from tests.heart_rate.helpers import give_profile, live_class
from tests.messaging.conftest import AppFor, text_in
from tests.redis_server import RedisServer
from tests.web.signin import login

REDIS_CHANNEL = f"{CHANNEL}:{REDIS_URL.rsplit('/', 1)[1]}"  # the tests' Redis database

ANA = "+15555550101"
CLARA = "+15555550177"


@pytest.fixture
def occurrence(db: Database, world: World) -> int:
    """Coach A's class now, with Ana in it; Clara is coach A's too but not in this class."""

    def make(session: Session) -> int:
        give_profile(session, world.patient_a)
        make_patient(session, world.coach_a, "Clara Otherclass", CLARA)
        return live_class(session, world.coach_a, [world.patient_a])

    return db.run_sync(make)


def hello(ws) -> dict:  # type: ignore[no-untyped-def]
    ws.send_json({"type": "hello"})
    roster = ws.receive_json()
    assert roster["type"] == "roster"
    assert ws.receive_json()["type"] == "snapshot"
    return roster


def next_urgent(ws) -> dict:  # type: ignore[no-untyped-def]
    """The next message, which must be an alert, an urgent one."""
    message = ws.receive_json()
    assert message["type"] == "alert", message
    assert message["alert"]["severity"] == "urgent", message
    return message["alert"]


def nothing_more(ws) -> None:  # type: ignore[no-untyped-def]
    ws.send_json({"type": "ping"})
    assert ws.receive_json() == {"type": "pong"}


def stored(db: Database) -> list[alerts.Alert]:
    return db.run_sync(lambda s: list(s.exec(select(alerts.Alert))))


def test_live_view_shows_a_red_flag_at_once_and_keeps_it_until_acknowledged(
    app_for: AppFor, db: Database, world: World, occurrence: int
) -> None:
    client = app_for()
    login(client, "coach.a@example.org")
    url = f"/ws/live/{occurrence}"
    with client.websocket_connect(url) as ws:
        assert hello(ws)["alerts"] == []
        text_in(client, ANA, "I have chest pain")
        alert = next_urgent(ws)
        assert alert["patient_id"] == world.patient_a and alert["flags"] == ["chest_pain"]
        assert alert["acknowledged_at"] is None and alert["source"] == "sms"
        assert "Ana" not in str(alert) and ANA not in str(alert)
        text_in(client, CLARA, "I fainted")  # coach A's patient, but not in this class
        nothing_more(ws)
    [ana_alert] = [a for a in stored(db) if a.patient_id == world.patient_a]
    assert ana_alert.id == alert["id"]

    with client.websocket_connect(url) as ws:  # a reconnecting view still sees it
        [again] = hello(ws)["alerts"]
        assert (again["id"], again["flags"], again["acknowledged_at"]) == (
            alert["id"],
            ["chest_pain"],
            None,
        )
        ws.send_json({"type": "ack_alert", "alert_id": alert["id"]})
        ack = ws.receive_json()
        assert ack["type"] == "alert_ack" and ack["alert_id"] == alert["id"]
        assert ack["acknowledged_at"]
    with client.websocket_connect(url) as ws:
        assert hello(ws)["alerts"] == []
    [done] = [a for a in stored(db) if a.id == alert["id"]]
    assert done.acknowledged_at is not None and done.acknowledged_by == world.coach_a
    actions = db.run_sync(
        lambda s: [
            (e.action, e.patient_id)
            for e in s.exec(select(AuditEvent).where(AuditEvent.action.startswith("alert.")))
        ]
    )
    assert ("alert.read", world.patient_a) in actions
    assert ("alert.acknowledge", world.patient_a) in actions


def test_acknowledging_bad_or_foreign_alerts_is_refused_and_changes_nothing(
    app_for: AppFor, db: Database, world: World, occurrence: int
) -> None:
    client = app_for()
    text_in(client, CLARA, "I fainted")  # not in this class
    text_in(client, "+15555550102", "I fell")  # Bruno, coach B's
    foreign = [a.id for a in stored(db)]
    assert len(foreign) == 2
    login(client, "coach.a@example.org")
    with client.websocket_connect(f"/ws/live/{occurrence}") as ws:
        assert hello(ws)["alerts"] == []
        for bad in ("7", None, True, 1.5, [1]):
            ws.send_json({"type": "ack_alert", "alert_id": bad})
            answer = ws.receive_json()
            assert (answer["type"], answer["code"]) == ("error", "bad_message"), bad
        for alert_id in [*foreign, 999_999]:
            ws.send_json({"type": "ack_alert", "alert_id": alert_id})
            answer = ws.receive_json()
            assert (answer["type"], answer["code"]) == ("error", "not_found")
        nothing_more(ws)  # the view keeps serving
    assert all(a.acknowledged_at is None for a in stored(db))


def test_an_alert_raised_in_one_process_reaches_a_live_view_in_another_exactly_once(
    app_for: AppFor, db: Database, world: World, occurrence: int, clean_redis: str
) -> None:
    inbound = app_for(redis_url=clean_redis)  # where Twilio's webhook lands
    watching = app_for(redis_url=clean_redis)  # where the coach's console is
    login(watching, "coach.a@example.org")
    login(inbound, "coach.a@example.org")
    with (
        watching.websocket_connect(f"/ws/live/{occurrence}") as far,
        inbound.websocket_connect(f"/ws/live/{occurrence}") as near,
    ):
        hello(far)
        hello(near)
        text_in(inbound, ANA, "fiebre 38.6")
        from_far, from_near = next_urgent(far), next_urgent(near)
        assert from_far == from_near
        assert from_far["patient_id"] == world.patient_a and "fever" in from_far["flags"]
        # A second alert comes next on both: neither view got the first one twice (the raising
        # process hears its own publication on Redis and must skip it).
        text_in(inbound, ANA, "I fell")
        second_far, second_near = next_urgent(far), next_urgent(near)
        assert second_far["id"] == second_near["id"] != from_far["id"]
        nothing_more(far)
        nothing_more(near)


def test_garbage_on_the_alert_channel_is_ignored_and_alerts_keep_coming(
    app_for: AppFor, world: World, occurrence: int, clean_redis: str
) -> None:
    client = app_for(redis_url=clean_redis)
    login(client, "coach.a@example.org")
    publisher = redis.Redis.from_url(clean_redis)
    try:
        with client.websocket_connect(f"/ws/live/{occurrence}") as ws:
            hello(ws)
            for junk in (
                b"not json",
                b"[1, 2]",
                json.dumps({"alert_id": "x", "patient_id": world.patient_a}),
                json.dumps({"alert_id": 1, "patient_id": world.patient_a, "flags": "fever"}),
                json.dumps(
                    {"event": "raised", "alert": {"id": "x", "patient_id": world.patient_a}}
                ),
                json.dumps({"event": "lost", "alert": {"id": 1, "patient_id": world.patient_a}}),
                b"\xff\xfe" * 5000,
            ):
                publisher.publish(REDIS_CHANNEL, junk)
            text_in(client, ANA, "I feel faint")
            alert = next_urgent(ws)
            assert alert["patient_id"] == world.patient_a and alert["flags"] == ["fainting"]
            nothing_more(ws)
    finally:
        publisher.close()


def test_a_deployment_on_another_redis_database_does_not_hear_the_alert(
    app_for: AppFor, db: Database, world: World, occurrence: int, clean_redis: str
) -> None:
    """Pub/Sub is server-wide: a staging app on Redis database 14 must not show production's
    alerts (for its own patient with the same id) in its live views."""
    production = app_for(redis_url=clean_redis)
    staging = app_for(redis_url=clean_redis.rsplit("/", 1)[0] + "/14")
    login(production, "coach.a@example.org")
    login(staging, "coach.a@example.org")
    with (
        production.websocket_connect(f"/ws/live/{occurrence}") as own,
        staging.websocket_connect(f"/ws/live/{occurrence}") as other,
    ):
        hello(own)
        hello(other)
        text_in(production, ANA, "I fell")
        assert next_urgent(own)["flags"] == ["fall"]
        nothing_more(other)  # the pong comes first: no alert was queued for it


def test_while_redis_is_away_a_red_flag_text_is_stored_answered_and_shown_here(
    app_for: AppFor, db: Database, world: World, occurrence: int, own_redis: RedisServer
) -> None:
    """Redis carries alerts to the other processes' views; without it the text must still be
    taken (Twilio does not send a webhook again), the alert stored, the patient answered, a view
    in this process told, and an acknowledgement made. Other processes' views load both when
    they connect again."""
    inbound = app_for(redis_url=own_redis.url)
    login(inbound, "coach.a@example.org")
    with inbound.websocket_connect(f"/ws/live/{occurrence}") as near:
        hello(near)
        own_redis.stop()
        text_in(inbound, ANA, "I have chest pain")  # asserts 200
        alert = next_urgent(near)
        near.send_json({"type": "ack_alert", "alert_id": alert["id"]})  # announced too
        ack = near.receive_json()
        assert ack["type"] == "alert_ack" and ack["alert_id"] == alert["id"]
    assert alert["patient_id"] == world.patient_a and alert["flags"] == ["chest_pain"]
    [done] = stored(db)
    assert done.id == alert["id"] and done.acknowledged_by == world.coach_a

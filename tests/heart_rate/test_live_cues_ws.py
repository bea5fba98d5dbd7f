"""Cues over the live socket: a reading well above the zone reaches the patient's screen and the
coach's view as a cue; the coach mutes one patient or sends their own words (audited, for their
own class's patients only, bad input refused); the patient answers an RPE prompt, stored as the
day's RPE as an SMS answer is."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach.adherence import CheckinScore
from coach.database import Database
from coach.models import AuditEvent, utcnow
from tests.conftest import World
from tests.factories import join_token
from tests.heart_rate.helpers import (
    ANA_ZONE,
    bearer,
    device_token,
    give_profile,
    live_class,
    now_ms,
)
from tests.heart_rate.test_live_ws import close_code
from tests.web.signin import join, login


@pytest.fixture
def live(db: Database, world: World) -> dict:
    def make(session):  # type: ignore[no-untyped-def]
        give_profile(session, world.patient_a)
        return {"occurrence": live_class(session, world.coach_a, [world.patient_a])}

    return db.run_sync(make)


def until_type(ws: Any, kind: str, limit: int = 50) -> dict[str, Any]:
    for _ in range(limit):
        message: dict[str, Any] = ws.receive_json()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} in {limit} messages")


def audit(db: Database, prefix: str) -> list[tuple[str, int | None, str]]:
    rows = db.run_sync(lambda s: s.exec(select(AuditEvent)).all())
    return [(a.action, a.patient_id, a.detail) for a in rows if a.action.startswith(prefix)]


@contextlib.contextmanager
def coach_view(client: TestClient, occurrence: int) -> Iterator[Any]:
    with client.websocket_connect(f"/ws/live/{occurrence}") as view:
        view.send_json({"type": "hello"})
        assert [view.receive_json()["type"] for _ in range(2)] == ["roster", "snapshot"]
        yield view


@contextlib.contextmanager
def patient_then_coach(
    client: TestClient, db: Database, patient_id: int, occurrence: int, hello: dict[str, Any]
) -> Iterator[tuple[Any, Any]]:
    """The patient's socket, then the coach's, on one client (one event loop, as in a server):
    cookies count only when a socket opens."""
    join(client, db.run_sync(join_token, patient_id))
    with client.websocket_connect(f"/ws/live/{occurrence}") as patient:
        patient.send_json(hello)
        assert patient.receive_json()["type"] == "band"
        client.cookies.clear()
        login(client, "coach.a@example.org")
        with coach_view(client, occurrence) as coach:
            yield patient, coach


def test_a_cue_reaches_the_patient_and_the_coach_who_mutes_and_speaks(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    occurrence, ana = live["occurrence"], world.patient_a
    hello = {"type": "hello", "watch": True}
    with patient_then_coach(client, db, ana, occurrence, hello) as (patient, coach):
        assert patient.receive_json() == {
            "type": "cue_state",
            "cue": None,
            "cues_muted": False,
        }
        patient.send_json({"type": "reading", "t": now_ms() - 1000, "bpm": ANA_ZONE[1] + 15})
        cue = until_type(patient, "cue")
        assert (cue["patient_id"], cue["cue"]["kind"]) == (ana, "ease_off")
        assert cue["cue"]["rule"].startswith("cue.") and cue["cue"]["source"]
        assert until_type(coach, "cue")["cue"] == cue["cue"]

        coach.send_json({"type": "cue_mute", "patient_id": ana, "muted": True})
        assert until_type(coach, "cue_mute")["muted"] is True
        assert until_type(patient, "cue_mute")["muted"] is True
        coach.send_json({"type": "cue_say", "patient_id": ana, "text": "  slow down,\n Ana "})
        said = until_type(patient, "cue")["cue"]
        assert (said["kind"], said["text"]) == ("coach", "slow down, Ana")
        assert until_type(coach, "cue")["cue"] == said
    # A page that comes back gets what it was last shown, and the mute.
    client.cookies.clear()
    join(client, db.run_sync(join_token, ana))
    with client.websocket_connect(f"/ws/live/{occurrence}") as patient:
        patient.send_json({"type": "hello", "watch": True})
        patient.receive_json()
        state = patient.receive_json()
        assert (state["type"], state["cue"]["text"], state["cues_muted"]) == (
            "cue_state",
            "slow down, Ana",
            True,
        )
    assert audit(db, "heart_rate.cue") == [
        ("heart_rate.cue.mute", ana, f"occurrence {occurrence}: muted"),
        ("heart_rate.cue.say", ana, f"occurrence {occurrence}: slow down, Ana"),
    ]


def test_a_device_sending_readings_gets_the_cue_her_page_shows(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    """`POST /api/v1/hr` answers with the cue the patient's page shows now, so a watch can show
    it: the engine's ease-off for readings over her zone, nothing once the coach mutes her, and
    the coach's own words, which a mute does not silence."""
    occurrence, ana = live["occurrence"], world.patient_a
    token = db.run_sync(device_token, ana)

    def send(bpm: int, back_ms: int) -> dict[str, Any]:
        body = {"readings": [{"t": now_ms() - back_ms, "bpm": bpm}]}
        answer = client.post("/api/v1/hr", json=body, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 1
        return answer.json()

    assert send(ANA_ZONE[0] + 5, 3000)["cue"] is None  # in her zone: nothing to say
    cue = send(ANA_ZONE[1] + 15, 2000)["cue"]
    assert (cue["kind"], cue["rule"]) == ("ease_off", "cue.ease_off") and cue["source"]
    login(client, "coach.a@example.org")
    with coach_view(client, occurrence) as coach:
        coach.send_json({"type": "cue_mute", "patient_id": ana, "muted": True})
        until_type(coach, "cue_mute")
        assert send(ANA_ZONE[1] + 16, 1500)["cue"] is None
        coach.send_json({"type": "cue_say", "patient_id": ana, "text": "slow down, Ana"})
        until_type(coach, "cue")
        said = send(ANA_ZONE[1] + 16, 1000)["cue"]
        assert (said["kind"], said["text"]) == ("coach", "slow down, Ana")
    # Readings of no class (Bruno is in none) have no cue to carry, however high.
    bruno = db.run_sync(device_token, world.patient_b)
    body = {"readings": [{"t": now_ms() - 500, "bpm": 150}]}
    answer = client.post("/api/v1/hr", json=body, headers=bearer(bruno))
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text
    assert answer.json()["cue"] is None


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "cue_say", "patient_id": "PID", "text": ""}, "bad_message"),  # empty
        ({"type": "cue_say", "patient_id": "PID", "text": "   \n "}, "bad_message"),  # blank
        ({"type": "cue_say", "patient_id": "PID", "text": "x" * 81}, "bad_message"),  # too long
        ({"type": "cue_say", "patient_id": "PID", "text": "a\u0007b"}, "bad_message"),
        ({"type": "cue_say", "patient_id": "PID", "text": "a\u0000b"}, "bad_json"),
        ({"type": "cue_say", "patient_id": "PID", "text": ["slow"]}, "bad_message"),
        ({"type": "cue_say", "patient_id": "PID"}, "bad_message"),
        ({"type": "cue_say", "patient_id": "7", "text": "hi"}, "bad_message"),
        ({"type": "cue_say", "patient_id": True, "text": "hi"}, "bad_message"),
        ({"type": "cue_say", "patient_id": "BRUNO", "text": "hi"}, "not_found"),  # not hers
        ({"type": "cue_say", "patient_id": 2**40, "text": "hi"}, "not_found"),
        ({"type": "cue_mute", "patient_id": "PID", "muted": "yes"}, "bad_message"),
        ({"type": "cue_mute", "patient_id": "PID"}, "bad_message"),
        ({"type": "cue_mute", "patient_id": "BRUNO", "muted": True}, "not_found"),
    ],
)
def test_the_coachs_cue_commands_refuse_bad_input(
    client: TestClient,
    db: Database,
    world: World,
    live: dict,
    message: dict[str, Any],
    code: str,
) -> None:
    names = {"PID": world.patient_a, "BRUNO": world.patient_b}
    message = {k: names.get(v, v) if isinstance(v, str) else v for k, v in message.items()}
    login(client, "coach.a@example.org")
    with coach_view(client, live["occurrence"]) as view:
        view.send_json(message)
        error = view.receive_json()
        assert (error["type"], error["code"]) == ("error", code)
        view.send_json({"type": "ping"})  # the connection stays
        assert view.receive_json() == {"type": "pong"}
    assert audit(db, "heart_rate.cue") == []


def test_only_the_classs_coach_reaches_its_patients_cues(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    url = f"/ws/live/{live['occurrence']}"
    assert close_code(client, url) == ("unauthenticated", 4401)  # no sign-in
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert close_code(client, url, headers=bad_token) == ("unauthenticated", 4401)
    login(client, "coach.b@example.org")  # another coach's class
    assert close_code(client, url) == ("not_found", 4404)
    client.cookies.clear()
    join(client, db.run_sync(join_token, world.patient_a))
    with client.websocket_connect(url) as patient:  # a patient cannot mute or speak
        patient.send_json({"type": "hello"})
        patient.receive_json()
        patient.send_json({"type": "cue_say", "patient_id": world.patient_a, "text": "go"})
        assert patient.receive_json()["code"] == "unknown_type"
    assert audit(db, "heart_rate.cue") == []


def test_the_patients_rpe_answer_is_the_days_rpe_and_reaches_the_coach(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    occurrence = live["occurrence"]
    with patient_then_coach(client, db, world.patient_a, occurrence, {"type": "hello"}) as (
        patient,
        coach,
    ):
        for bad in (5, 21, 13.5, "13", True, None):
            patient.send_json({"type": "rpe", "value": bad})
            assert patient.receive_json()["code"] == "bad_message", bad
        patient.send_json({"type": "rpe", "value": 13})
        assert patient.receive_json() == {"type": "rpe_stored", "value": 13}
        seen = until_type(coach, "rpe")
        assert (seen["patient_id"], seen["value"]) == (world.patient_a, 13)
        # One answer every ten seconds, a few at once: then refused.
        answers = []
        for _ in range(4):
            patient.send_json({"type": "rpe", "value": 15})
            answers.append(patient.receive_json())
        assert [a.get("code", a["type"]) for a in answers] == [
            "rpe_stored",
            "rpe_stored",
            "rate_limited",
            "rate_limited",
        ]
    scores = db.run_sync(lambda s: s.exec(select(CheckinScore)).all())
    assert [(s.patient_id, s.kind, s.value, s.source) for s in scores] == [
        (world.patient_a, "rpe", value, "class") for value in (13, 15, 15)
    ]
    assert [(a[0], a[2]) for a in audit(db, "heart_rate.rpe")] == [
        ("heart_rate.rpe", "13"),
        ("heart_rate.rpe", "15"),
        ("heart_rate.rpe", "15"),
    ]


def test_an_rpe_basis_patients_answer_above_the_band_eases_off_in_class(
    client: TestClient, db: Database, world: World
) -> None:
    """A patient on a beta-blocker is prescribed by RPE (zone.rpe_basis): their answer to "how
    hard does this feel?" goes to the class's cue engine (rule cue.rpe_answer), so an answer far
    above the prescribed band brings an ease-off to their screen and the coach's view."""
    from coach import prescriptions
    from coach.engine import prescribe
    from coach.models import ClinicalProfile
    from coach.profile import parse_profile
    from coach.rules import load_rules

    raw = {
        "age": 60,
        "sex": "female",
        "vitals": {"resting_hr": 70},
        "medications": ["beta_blocker"],
    }
    profile = parse_profile(raw)
    data = prescribe(profile, load_rules()).to_json()
    assert data["intensity_basis"] == "rpe" and data["aerobic"]["rpe_high"] < 19

    def make(session):  # type: ignore[no-untyped-def]
        session.add(ClinicalProfile(patient_id=world.patient_a, data=profile.to_json()))
        prescriptions.create_approved(
            session, world.patient_a, data, profile.to_json(), world.coach_a, utcnow()
        )
        return live_class(session, world.coach_a, [world.patient_a])

    occurrence = db.run_sync(make)
    hello = {"type": "hello", "watch": True}
    with patient_then_coach(client, db, world.patient_a, occurrence, hello) as (patient, coach):
        patient.send_json({"type": "rpe", "value": 19})
        cue = until_type(patient, "cue")["cue"]
        assert (cue["kind"], cue["reason"], cue["rule"]) == (
            "ease_off",
            "rpe_above",
            "cue.rpe_answer",
        )
        assert until_type(coach, "cue")["cue"] == cue

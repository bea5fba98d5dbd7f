"""Property-based fuzzing of the class socket's message handler (`/ws/rooms/{id}`, coach and patient
side): after any messages — of the known types with any members, any JSON at all, or text that is
not JSON — the connection is still open and answers a ping, no answer is an `internal` error, and
nothing is logged with a traceback. The closes docs/signaling.md lists for `leave` (1000) and `end`
(4410) are the only ones a message may cause, so those two are left out of what is sent. A
patient sends `join` first or not at all (joined, they wait in the lobby, where their messages
reach the room); the coach never joins here, because a host's join makes an aiortc peer whose
sockets outlive the in-process test client (the room tests drive that on a real server)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from coach.database import Database
from rtc import protocol
from tests.conftest import World
from tests.factories import join_token
from tests.test_fuzz_parsers import DOCUMENTS
from tests.web.signin import join, login

TYPES = st.sampled_from(sorted(protocol.MESSAGE_TYPES - {"leave", "end", "join"}))
MEMBERS = st.dictionaries(
    st.sampled_from(["peer", "revision", "sdp", "candidate", "kind", "muted", "participant",
                     "enabled", "patients_see_each_other", "audio_only"]) | st.text(max_size=8),
    DOCUMENTS,
    max_size=4,
)  # fmt: skip
PARTICIPANTS = st.sampled_from(["s1", "s2", "p1", "p2", "p999999999999999999999", ""]) | st.text(
    max_size=40
)
MESSAGES = st.one_of(
    st.builds(lambda kind, rest: {**rest, "type": kind}, TYPES, MEMBERS),
    st.builds(
        lambda kind, who: {"type": kind, "participant": who},
        st.sampled_from(["admit", "remove", "mute", "spotlight"]),
        PARTICIPANTS,
    ),
    st.builds(lambda sdp: {"type": "answer", "peer": 1, "revision": 1, "sdp": sdp}, st.text()),
    st.builds(lambda c: {"type": "candidate", "peer": 1, "candidate": c}, DOCUMENTS),
    DOCUMENTS.filter(lambda d: not (isinstance(d, dict) and d.get("type") in ("leave", "end"))),
)
RAW = st.text(max_size=200) | st.sampled_from(["[" * 5000, '{"type": "ping"', "\ud800", ""])
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _survives(
    client: TestClient,
    occurrence: int,
    joined: bool,
    messages: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.clear()
    with client.websocket_connect(f"/ws/rooms/{occurrence}") as ws:
        assert ws.receive_json()["type"] == "welcome"
        if joined:
            ws.send_json({"type": "join", "audio_only": True})
        for message in messages:
            if isinstance(message, str):
                ws.send_text(message)
                continue
            try:
                ws.send_text(json.dumps(message))
            except ValueError:  # NaN and friends are not JSON; the raw text cases cover that
                continue
        ws.send_json({"type": "ping"})
        answers = []
        while not answers or answers[-1] != {"type": "pong"}:
            answers.append(ws.receive_json())  # a close here fails the test
    internal = [a for a in answers if a.get("type") == "error" and a.get("code") == "internal"]
    assert internal == []
    loud = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert loud == [], [r.getMessage() for r in loud]


@FUZZ
@given(st.lists(MESSAGES | RAW, max_size=30))
def test_the_coachs_room_connection_survives_any_messages(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture, messages: list[Any]
) -> None:
    login(client, "coach.a@example.org")
    _survives(client, world.occurrence_a, False, messages, caplog)


@FUZZ
@given(st.booleans(), st.lists(MESSAGES | RAW, max_size=30))
def test_a_patients_room_connection_survives_any_messages(
    client: TestClient,
    db: Database,
    world: World,
    caplog: pytest.LogCaptureFixture,
    joined: bool,
    messages: list[Any],
) -> None:
    join(client, db.run_sync(join_token, world.patient_a))
    _survives(client, world.occurrence_a, joined, messages, caplog)

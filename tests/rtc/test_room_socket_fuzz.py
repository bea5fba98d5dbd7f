"""Property-based fuzzing of the class socket's message handler (`/ws/rooms/{id}`, coach and patient
side): after any messages — of the known types with any members, any JSON at all, or text that is
not JSON — the connection is still open and answers a ping, no answer is an `internal` error, and
nothing is logged with a traceback. The closes docs/signaling.md lists for `leave` (1000) and `end`
(4410) are the only ones a message may cause, so those two are left out of what is sent. A
patient sends `join` first or not at all (joined, they wait in the lobby, where their messages
reach the room). In process the coach does not join: a host's join makes an aiortc peer whose
sockets outlive the test client; the last test has a joined coach, with a patient waiting in the
lobby, send anything to a real server (the host's messages then act on the room)."""

from __future__ import annotations

import contextlib
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
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer
from tests.rtc.scenes import live_coach, run
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


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


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


# The real server's thread uses the global `random` module while Hypothesis draws (websockets'
# keepalive ping payloads, aiortc's RTCP and aioice's consent timers), which Hypothesis takes for a
# strategy using `random` and reports as a deprecation; the strategies here use none.
@pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)
@FUZZ
@given(st.data())
def test_a_joined_coach_on_a_real_server_survives_any_messages(
    room_server: RoomServer,
    room_world: World,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    someone = st.sampled_from([f"p{room_world.patient_a}", f"s{room_world.coach_a}"])
    host_messages = st.builds(
        lambda kind, who: {"type": kind, "participant": who},
        st.sampled_from(["admit", "remove", "mute", "spotlight"]),
        someone,
    )
    messages = data.draw(st.lists(MESSAGES | RAW | host_messages, max_size=30))
    caplog.clear()

    async def scenario() -> None:
        coach = await live_coach(room_server, room_world.occurrence_a, room_world.coach_a)
        coach.auto_answer = False  # the server's peer waits; no client-side peer is needed
        cookie = room_server.patient_cookie(room_world.patient_a)
        patient = RoomClient(room_server.url, room_world.occurrence_a, cookie, auto_answer=False)
        await patient.connect()
        waiting = f"p{room_world.patient_a}"
        # Refused (closed) once an example removed them; else in the coach's state, waiting.
        with contextlib.suppress(ConnectionError, TimeoutError):
            await patient.expect("welcome", timeout=3)
            await patient.join()
            await coach.wait_for(
                lambda m: (
                    m["type"] == "state"
                    and any(p.get("id") == waiting for p in m.get("participants", []))
                ),
                timeout=3,
            )
        for message in messages:
            text = message if isinstance(message, str) else json.dumps(message)
            if not text.isascii() and not _utf8(text):
                continue  # a lone surrogate: no websocket client can send it as text
            await coach.send(text)
        await coach.send({"type": "ping"})
        await coach.expect("pong")  # a close here fails the test
        errors = [m for m in coach.messages if m["type"] == "error"]
        assert all(e["code"] != "internal" for e in errors), errors
        await coach.close()
        await patient.close()

    run(scenario)
    loud = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert loud == [], [r.getMessage() for r in loud]

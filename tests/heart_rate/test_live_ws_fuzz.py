"""Property-based fuzzing of the live socket's message handlers, coach and patient side: after any
sequence of messages (of the known types with any members, or anything at all) the connection is
still open and answers a ping; nothing closes it but the documented closes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from coach.database import Database
from tests.conftest import World
from tests.factories import join_token
from tests.heart_rate.helpers import give_profile, live_class
from tests.test_fuzz_parsers import DOCUMENTS
from tests.web.signin import join, login

TYPES = st.sampled_from(["hello", "ping", "ack_alert", "ack_minor_alerts", "reading", "readings"])
MEMBERS = st.dictionaries(st.text(max_size=8), DOCUMENTS, max_size=4)
MESSAGES = st.one_of(
    st.builds(lambda kind, rest: {**rest, "type": kind}, TYPES, MEMBERS),
    st.builds(lambda value: {"type": "ack_alert", "alert_id": value}, DOCUMENTS),
    st.builds(lambda value: {"type": "readings", "readings": value}, DOCUMENTS),
    st.builds(lambda t, bpm: {"type": "reading", "t": t, "bpm": bpm}, DOCUMENTS, DOCUMENTS),
    DOCUMENTS,
)  # fmt: skip
FUZZ = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def occurrence(db: Database, world: World) -> int:
    """Made once for all the examples of a test (fixtures are not remade between them)."""

    def make(session):  # type: ignore[no-untyped-def]
        give_profile(session, world.patient_a)
        return live_class(session, world.coach_a, [world.patient_a])

    return int(db.run_sync(make))


def _survives(client: TestClient, occurrence: int, messages: list[Any]) -> None:
    with client.websocket_connect(f"/ws/live/{occurrence}") as ws:
        ws.send_json({"type": "hello", "watch": True})
        for message in messages:
            try:
                ws.send_text(json.dumps(message))
            except ValueError:  # not JSON at all (NaN is, to Python): the check covers that
                continue
        ws.send_json({"type": "ping"})
        answers = []
        while not answers or answers[-1] != {"type": "pong"}:
            answers.append(ws.receive_json())  # a close here fails the test
        assert all(a.get("type") != "error" or a["code"] != "internal" for a in answers)


@FUZZ
@given(st.lists(MESSAGES, max_size=40))
def test_the_coach_view_survives_any_messages(
    client: TestClient, occurrence: int, messages: list[Any]
) -> None:
    login(client, "coach.a@example.org")
    _survives(client, occurrence, messages)


@FUZZ
@given(st.lists(MESSAGES, max_size=40))
def test_the_patient_feed_survives_any_messages(
    client: TestClient, db: Database, world: World, occurrence: int, messages: list[Any]
) -> None:
    join(client, db.run_sync(join_token, world.patient_a))
    _survives(client, occurrence, messages)

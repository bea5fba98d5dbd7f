"""The stream's door and bad input: unsigned or wrongly signed upgrades, unknown, spent or
replayed tokens, broken, oversized and out-of-order messages. Each closes that one call; the
room goes on for everyone else."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import World
from tests.factories import build_world
from tests.rtc.conftest import RoomServer, add_patient, serve
from tests.rtc.scenes import arrive, eventually, run
from tests.voice.calls import admit_caller, call_in, coach_with_tone, dial
from tests.voice.conftest import VOICE_SETTINGS
from tests.voice.twilio_caller import TwilioCaller

ANA = "+15555550101"
SID = "CA" + "1" * 32


@pytest.mark.parametrize(
    "kwargs",
    [
        {"signed": False},
        {"sign_for": "ws://127.0.0.1:1/voice/stream"},  # signed for another URL
        {"sign_for": "wss://evil.example/voice/stream"},
    ],
)
def test_an_unsigned_or_wrongly_signed_upgrade_is_refused_with_403(
    voice_server: RoomServer, voice_world: World, kwargs: dict[str, object]
) -> None:
    async def scenario() -> None:
        token = await dial(voice_server, ANA, SID)
        caller = TwilioCaller(voice_server.url, token, SID, **kwargs)  # type: ignore[arg-type]
        assert await caller.connect() is False
        assert caller.refused_status == 403

    run(scenario)
    assert voice_server.stats()["phone_calls"] == 0


def test_unknown_spent_replayed_or_other_calls_tokens_are_closed(
    voice_server: RoomServer, voice_world: World
) -> None:
    async def refused(token: str, call_sid: str = SID) -> int:
        caller = TwilioCaller(voice_server.url, token, call_sid)
        assert await caller.connect()
        await caller.start()
        return await caller.wait_closed()

    async def scenario() -> None:
        assert await refused("not-a-token") == 4403
        assert await refused("") == 4403
        token = await dial(voice_server, ANA, SID)
        assert await refused(token, "CA" + "7" * 32) == 4403  # issued for another call
        first = TwilioCaller(voice_server.url, token, SID)
        assert await first.connect()
        await first.start()
        await asyncio.sleep(0.3)
        assert first.closed_code is None  # in the lobby
        assert await refused(token) == 4403  # the same upgrade and start, replayed
        await first.hang_up()

    run(scenario)
    eventually(lambda: voice_server.stats()["phone_calls"] == 0)


def _media(sequence: int, payload: str, sid: str = "MZ" + "1" * 32) -> str:
    return json.dumps(
        {
            "event": "media",
            "sequenceNumber": str(sequence),
            "streamSid": sid,
            "media": {"track": "inbound", "chunk": "1", "timestamp": "20", "payload": payload},
        }
    )


SILENT = base64.b64encode(b"\xff" * 160).decode()
BAD_MESSAGES: list[tuple[str | bytes, int]] = [
    ("not json", 1008),
    (b"\x00\x01binary", 1008),
    ("[1, 2, 3]", 1008),
    (json.dumps({"event": "media", "streamSid": "MZ" + "1" * 32}), 1008),  # no sequence
    (_media(2, "***not base64***"), 1008),
    (_media(2, SILENT, sid="MZ" + "9" * 32), 1008),  # another stream's
    (_media(1, SILENT), 1008),  # out of order: the start was number 1
    (_media(2, base64.b64encode(b"\xff" * 4000).decode()), 1009),  # oversized payload
    ("x" * 100_000, 1009),  # oversized message
    (json.dumps({"event": "teleport", "sequenceNumber": "2", "streamSid": "MZ" + "1" * 32}), 1008),
    (json.dumps({"event": "dtmf", "sequenceNumber": "2", "streamSid": "MZ" + "1" * 32}), 1008),
]


@pytest.mark.parametrize(("message", "code"), BAD_MESSAGES)
def test_a_broken_message_closes_that_call_and_the_class_goes_on(
    voice_server: RoomServer, voice_world: World, message: str | bytes, code: int
) -> None:
    ana = f"p{voice_world.patient_a}"

    async def scenario() -> None:
        coach = await coach_with_tone(voice_server, voice_world.occurrence_a, voice_world.coach_a)
        caller = await call_in(voice_server, ANA, SID)
        await admit_caller(coach, ana)
        await caller.send_raw(message)
        assert await caller.wait_closed() == code
        await coach.wait_for(
            lambda m: m["type"] == "state" and all(p["id"] != ana for p in m["participants"])
        )
        await coach.send({"type": "ping"})
        await coach.expect("pong")  # the coach's connection is untouched
        await coach.close()

    run(scenario)
    eventually(lambda: voice_server.stats()["phone_calls"] == 0)


def test_media_before_start_is_refused(voice_server: RoomServer, voice_world: World) -> None:
    async def scenario() -> None:
        caller = TwilioCaller(voice_server.url, "whatever", SID)
        assert await caller.connect()
        await caller.send_raw(_media(1, SILENT))
        assert await caller.wait_closed() == 1008

    run(scenario)


@pytest.fixture
def full_server(tmp_path: Path, sqlite_url: str) -> Iterator[RoomServer]:
    """A server whose rooms hold one patient at a time."""
    yield from serve(tmp_path, sqlite_url, room_capacity=1, **VOICE_SETTINGS)


def test_a_caller_to_a_full_class_is_told_to_try_later_and_the_class_goes_on(
    full_server: RoomServer,
) -> None:
    world = full_server.db.run_sync(build_world)
    add_patient(full_server, world, "Carla Caller", "+15555550133")

    async def scenario() -> None:
        ana = await arrive(full_server, world.occurrence_a, world.patient_a)
        await ana.expect("lobby")  # the one place in the class
        caller = await call_in(full_server, "+15555550133", SID)
        assert await caller.wait_closed() == 1013
        await ana.send({"type": "ping"})
        await ana.expect("pong")
        await ana.close()

    run(scenario)

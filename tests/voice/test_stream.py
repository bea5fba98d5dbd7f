"""`/voice/stream`: a caller's tone reaches the coach's aiortc client, the coach's tone reaches the
caller in μ-law, and the caller never hears themself; the room's commands reach the call."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from coach import dial_in
from coach.reports.activity import room_joins
from coach.room_events import ended_by_coach
from tests.conftest import World
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer
from tests.rtc.scenes import class_ended_by_coach, eventually, reopening_coach, run
from tests.voice.calls import admit_caller, call_in, coach_with_tone
from tests.voice.tones import PHONE_RATE, ROOM_RATE, median_tone_power, opus_decode
from tests.voice.twilio_caller import (
    TwilioCaller,
    answer,
    dial,
    goodbye,
    token_in,
    typed_pin,
)

ANA = "+15555550101"


async def _call_in_with_tones(
    server: RoomServer, world: World
) -> tuple[RoomClient, TwilioCaller, dict[str, Any]]:
    """The coach sends 880 Hz; Ana calls in, sends 440 Hz, and is admitted."""
    coach = await coach_with_tone(server, world.occurrence_a, world.coach_a)
    caller = await call_in(server, ANA)
    caller.play_tone(440)
    state = await admit_caller(coach, f"p{world.patient_a}")
    return coach, caller, state


async def _heard_at_least(
    caller: TwilioCaller, since: float, size: int, timeout: float = 10.0
) -> bytes:
    """What the caller heard since `since`, once it is `size` bytes, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while len(heard := caller.heard_since(since)) < size:
        assert time.monotonic() < deadline, f"heard {len(heard)} bytes, wanted {size}"
        await asyncio.sleep(0.1)
    return heard


def test_the_caller_and_the_coach_hear_each_other_and_the_caller_never_hears_themself(
    voice_server: RoomServer, voice_world: World
) -> None:
    ana = f"p{voice_world.patient_a}"

    async def scenario() -> None:
        coach, caller, state = await _call_in_with_tones(voice_server, voice_world)
        try:
            entry = next(p for p in state["participants"] if p["id"] == ana)
            assert entry["kind"] == "phone" and entry["name"] == "Ana Secretname"
            admitted_at = time.monotonic()
            frames = await coach.wait_frames(ana, "audio", 75, timeout=15)
            # The coach's client decodes what arrived: the caller's 440 Hz, resampled to 48 kHz.
            pcm = opus_decode([f.data for f, _ in frames[25:]])
            assert median_tone_power(pcm, 440, ROOM_RATE) > 0.5
            assert median_tone_power(pcm, 880, ROOM_RATE) < 0.05
            # The caller hears the coach's 880 Hz, and not their own 440 Hz: a second of it at
            # least, waited for (on a loaded machine the first frames come later, not fewer).
            heard = await _heard_at_least(caller, admitted_at + 0.5, PHONE_RATE * 2)
            assert median_tone_power(heard, 880, PHONE_RATE) > 0.5
            assert median_tone_power(heard, 440, PHONE_RATE) < 0.05
            # Steady 20 ms frames, every one of them 160 samples.
            assert {len(pcm) for pcm, _ in caller.heard} == {320}
        finally:  # a failed check still hangs up: no call or socket left to the next test
            await caller.hang_up()
            await coach.close()

    run(scenario)
    eventually(lambda: voice_server.stats()["phone_calls"] == 0)
    # The call counts as attendance in the class report, as a browser join does.
    occurrence = voice_world.occurrence_a
    joins = voice_server.db.run_sync(lambda s: room_joins(s, occurrence))
    assert voice_world.patient_a in joins


def test_the_caller_waits_in_the_lobby_hearing_silence_until_admitted(
    voice_server: RoomServer, voice_world: World
) -> None:
    async def scenario() -> None:
        coach = await coach_with_tone(voice_server, voice_world.occurrence_a, voice_world.coach_a)
        caller = await call_in(voice_server, ANA)
        await coach.wait_for(lambda m: m["type"] == "state" and len(m["participants"]) == 2)
        deadline = time.monotonic() + 10
        while len(caller.heard) < 20 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        waiting = caller.heard_since(0)
        assert len(waiting) >= 320 * 20  # frames keep coming while waiting...
        assert set(waiting) == {0}  # ...and they are silence
        await caller.hang_up()
        await coach.close()

    run(scenario)


def test_muted_by_the_coach_and_by_star_six_then_removed_with_the_call_ended(
    voice_server: RoomServer, voice_world: World
) -> None:
    ana = f"p{voice_world.patient_a}"

    async def scenario() -> None:
        coach, caller, _ = await _call_in_with_tones(voice_server, voice_world)
        await coach.wait_frames(ana, "audio", 10)
        await coach.send({"type": "mute", "participant": ana})
        await coach.wait_for(
            lambda m: (
                m["type"] == "state"
                and any(p["id"] == ana and p["muted_by_host"] for p in m["participants"])
            )
        )
        await asyncio.sleep(0.3)
        count = len(coach.frames_of(ana, "audio"))
        await asyncio.sleep(0.5)
        assert len(coach.frames_of(ana, "audio")) == count  # muted: nothing forwarded
        await caller.press("*6")  # the caller unmutes themself from the keypad
        await coach.wait_for(
            lambda m: (
                m["type"] == "state"
                and any(p["id"] == ana and not p["audio_muted"] for p in m["participants"])
            )
        )
        await coach.wait_frames(ana, "audio", count + 10)
        await caller.press("*6")  # ...and mutes again
        await coach.wait_for(
            lambda m: (
                m["type"] == "state"
                and any(p["id"] == ana and p["audio_muted"] for p in m["participants"])
            )
        )
        await coach.send({"type": "remove", "participant": ana})
        assert await caller.wait_closed() == 1000  # Twilio then asks which goodbye to say
        said = await goodbye(voice_server.url, caller.call_sid)
        assert "Your coach has ended your call to the class." in said and "<Hangup" in said
        await coach.wait_for(
            lambda m: m["type"] == "state" and all(p["id"] != ana for p in m["participants"])
        )
        # She calls back: the room refuses her, and she hears why, not a problem on the line.
        again = await call_in(voice_server, ANA, call_sid="CA" + "4" * 32)
        assert await again.wait_closed() == 4403
        said = await goodbye(voice_server.url, again.call_sid)
        assert "Your coach has ended your call to the class." in said
        await coach.close()

    run(scenario)
    eventually(lambda: voice_server.stats()["phone_calls"] == 0)


def test_the_call_ends_when_the_coach_ends_the_class(
    voice_server: RoomServer, voice_world: World
) -> None:
    async def scenario() -> None:
        coach = await coach_with_tone(voice_server, voice_world.occurrence_a, voice_world.coach_a)
        caller = await call_in(voice_server, ANA)
        await admit_caller(coach, f"p{voice_world.patient_a}")
        await coach.send({"type": "end"})
        assert await caller.wait_closed() == 1000
        said = await goodbye(voice_server.url, caller.call_sid, "es")
        assert "La clase ha terminado." in said and "Your coach" not in said
        await coach.close()

    run(scenario)
    eventually(lambda: voice_server.stats()["phone_calls"] == 0)


def test_a_caller_with_the_pin_from_an_unknown_number_waits_as_a_guest_the_coach_can_admit(
    voice_server: RoomServer, voice_world: World
) -> None:
    pin = voice_server.db.run_sync(dial_in.pin_for, voice_world.occurrence_a)
    sid = "CA" + "5" * 32

    async def scenario() -> None:
        token = token_in(await typed_pin(voice_server.url, "+15555550177", sid, pin))
        coach = await coach_with_tone(voice_server, voice_world.occurrence_a, voice_world.coach_a)
        caller = TwilioCaller(voice_server.url, token, sid)
        assert await caller.connect()
        await caller.start()
        guest = f"c{sid[-12:]}"
        state = await admit_caller(coach, guest)
        entry = next(p for p in state["participants"] if p["id"] == guest)
        assert entry["name"] == "Phone …0177" and entry["kind"] == "phone"
        await coach.wait_for(
            lambda m: (
                m["type"] == "state"
                and any(p["id"] == guest and p["admitted"] for p in m["participants"])
            )
        )
        await caller.hang_up()
        await coach.close()

    run(scenario)
    eventually(lambda: voice_server.stats()["phone_calls"] == 0)


# Every room event of the test's own database, from a fixed instant: asking for the time would
# put this file of calls and audio among scripts/test-hours' runs, which it is not about.
SINCE_EVER = datetime(2000, 1, 1, tzinfo=UTC)


def _ended_in_trail(server: RoomServer, occurrence_id: int) -> bool:
    return bool(server.db.run_sync(ended_by_coach, {occurrence_id}, SINCE_EVER))


def test_a_caller_to_a_class_its_coach_ended_early_is_told_it_has_ended(
    voice_server: RoomServer, voice_world: World
) -> None:
    """By her number or by the PIN, a caller reaching a class its coach ended before its time
    hears that it has ended and is hung up on, instead of waiting for a room that refuses her
    and then hearing of a problem on the line; started again, it puts callers through again."""
    occurrence = voice_world.occurrence_a
    pin = voice_server.db.run_sync(dial_in.pin_for, occurrence)
    run(lambda: class_ended_by_coach(voice_server, occurrence, voice_world.coach_a))
    eventually(lambda: _ended_in_trail(voice_server, occurrence))

    async def scenario() -> None:
        by_number = await answer(voice_server.url, ANA, "CA" + "6" * 32)
        by_pin = await typed_pin(voice_server.url, "+15555550177", "CA" + "7" * 32, pin)
        for twiml in (by_number, by_pin):
            assert "The class has ended." in twiml and "<Hangup" in twiml, twiml
            assert "<Connect" not in twiml and "token" not in twiml
        coach = await reopening_coach(voice_server, occurrence, voice_world.coach_a)
        await coach.close()

    run(scenario)
    eventually(lambda: not _ended_in_trail(voice_server, occurrence))
    run(lambda: _put_through(voice_server))


async def _put_through(server: RoomServer) -> None:
    twiml = await answer(server.url, ANA, "CA" + "8" * 32)
    assert "<Connect" in twiml and token_in(twiml)


def test_a_call_put_through_just_before_the_coach_ended_the_class_hears_it_has_ended(
    voice_server: RoomServer, voice_world: World
) -> None:
    """The webhook put the call through; the coach ended the class before Twilio opened its
    stream. The room refuses the stream, and the goodbye says the class has ended."""
    occurrence = voice_world.occurrence_a
    sid = "CA" + "9" * 32

    async def scenario() -> None:
        token = await dial(voice_server.url, ANA, sid)
        await class_ended_by_coach(voice_server, occurrence, voice_world.coach_a)
        caller = TwilioCaller(voice_server.url, token, sid)
        assert await caller.connect()
        await caller.start()
        assert await caller.wait_closed() == 4410
        said = await goodbye(voice_server.url, sid)
        assert "The class has ended." in said and "problem" not in said

    run(scenario)
    eventually(lambda: voice_server.stats()["phone_calls"] == 0)

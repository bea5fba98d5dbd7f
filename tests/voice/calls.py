"""Scenes for the dial-in tests: a call put through the real webhook, a coach with a tone."""

from __future__ import annotations

from typing import Any

from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer
from tests.rtc.media import EncodedAudioTrack
from tests.rtc.scenes import live_coach
from tests.voice.tones import opus_tone
from tests.voice.twilio_caller import TwilioCaller
from tests.voice.twilio_caller import dial as dial_at


async def dial(server: RoomServer, caller: str, call_sid: str) -> str:
    return await dial_at(server.url, caller, call_sid)


async def call_in(
    server: RoomServer, phone: str, call_sid: str = "CA" + "1" * 32, **kwargs: Any
) -> TwilioCaller:
    token = await dial(server, phone, call_sid)
    caller = TwilioCaller(server.url, token, call_sid, **kwargs)
    assert await caller.connect()
    await caller.start()
    return caller


async def coach_with_tone(server: RoomServer, occurrence_id: int, staff_id: int) -> RoomClient:
    return await live_coach(
        server, occurrence_id, staff_id, audio=EncodedAudioTrack(opus_tone(880, 50))
    )


async def admit_caller(coach: RoomClient, participant: str) -> dict[str, Any]:
    state = await coach.wait_for(
        lambda m: (
            m["type"] == "state"
            and any(p["id"] == participant and not p["admitted"] for p in m["participants"])
        )
    )
    await coach.send({"type": "admit", "participant": participant})
    return state

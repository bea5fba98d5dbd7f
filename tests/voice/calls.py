"""Scenes for the dial-in tests: a call put through the real webhook, a coach with a tone."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
import urllib.request
from typing import Any

from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer
from tests.rtc.media import EncodedAudioTrack
from tests.rtc.scenes import live_coach
from tests.voice.signing import VOICE_NUMBER, signature
from tests.voice.tones import opus_tone
from tests.voice.twilio_caller import TwilioCaller


async def dial(server: RoomServer, caller: str, call_sid: str) -> str:
    """Call the voice webhook as Twilio would; the stream token from its TwiML."""
    params = {"CallSid": call_sid, "From": caller, "To": VOICE_NUMBER, "AccountSid": "AC1"}
    url = f"{server.url}/voice/inbound"
    request = urllib.request.Request(  # noqa: S310 - the test server's http URL
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature(url, params)},
    )

    def post() -> str:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return str(response.read().decode())

    twiml = await asyncio.to_thread(post)
    found = re.search(r'<Parameter name="token" value="([^"]+)"', twiml)
    assert found, twiml
    return found.group(1)


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

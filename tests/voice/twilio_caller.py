"""A phone call as Twilio's Media Streams would make it: a signed websocket upgrade, `connected`,
`start` with our TwiML's parameters, then 20 ms μ-law `media` messages in real time, `dtmf` and
`stop`. It keeps what it hears (decoded to PCM) and when each frame arrived."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import time
import urllib.parse
import urllib.request
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.voice.signing import VOICE_NUMBER, signature
from tests.voice.tones import PHONE_RATE, mulaw_decode, mulaw_encode, sine


async def _post_signed(url: str, params: dict[str, str]) -> str:
    """POST a voice webhook as Twilio would (signed); the TwiML it answers."""
    request = urllib.request.Request(  # noqa: S310 - the test server's http URL
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature(url, params)},
    )

    def post() -> str:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return str(response.read().decode())

    return await asyncio.to_thread(post)


async def goodbye(http_url: str, call_sid: str, lang: str = "en") -> str:
    """What Twilio hears from our `<Connect>` action once the stream has closed."""
    params = {"CallSid": call_sid, "To": VOICE_NUMBER, "AccountSid": "AC1"}
    return await _post_signed(f"{http_url}/voice/ended?lang={lang}", params)


async def answer(http_url: str, caller: str, call_sid: str) -> str:
    """Call the voice webhook as Twilio would; the TwiML it answers."""
    params = {"CallSid": call_sid, "From": caller, "To": VOICE_NUMBER, "AccountSid": "AC1"}
    return await _post_signed(f"{http_url}/voice/inbound", params)


async def typed_pin(http_url: str, caller: str, call_sid: str, digits: str) -> str:
    """The caller types a PIN at the first prompt; the TwiML the webhook answers."""
    params = {"CallSid": call_sid, "From": caller, "To": VOICE_NUMBER, "Digits": digits}
    return await _post_signed(f"{http_url}/voice/pin?try=1&lang=en", params)


def token_in(twiml: str) -> str:
    """The stream token our `<Connect>` hands Twilio."""
    found = re.search(r'<Parameter name="token" value="([^"]+)"', twiml)
    assert found, twiml
    return found.group(1)


async def dial(http_url: str, caller: str, call_sid: str) -> str:
    """Call the voice webhook as Twilio would; the stream token from its TwiML."""
    return token_in(await answer(http_url, caller, call_sid))


class TwilioCaller:
    def __init__(
        self,
        http_url: str,
        token: str,
        call_sid: str = "CA" + "1" * 32,
        *,
        sign_for: str | None = None,
        signed: bool = True,
    ) -> None:
        self.url = http_url.replace("http", "ws", 1) + "/voice/stream"
        self.sign_for = sign_for or self.url
        self.signed = signed
        self.token = token
        self.call_sid = call_sid
        self.stream_sid = "MZ" + call_sid[2:]
        self.heard: list[tuple[bytes, float]] = []  # (8 kHz PCM, monotonic arrival)
        self.other: list[dict[str, Any]] = []
        self.closed_code: int | None = None
        self.refused_status: int | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._sequence = 0
        self._chunk = 0
        self._player: asyncio.Task[None] | None = None

    async def connect(self) -> bool:
        headers = {"X-Twilio-Signature": signature(self.sign_for, {})} if self.signed else {}
        try:
            self._ws = await connect(self.url, additional_headers=headers)
        except InvalidStatus as exc:
            self.refused_status = exc.response.status_code
            return False
        self._reader = asyncio.ensure_future(self._read())
        return True

    async def send_raw(self, message: str | bytes) -> None:
        assert self._ws is not None
        await self._ws.send(message)

    async def send(self, event: str, **fields: Any) -> None:
        self._sequence += 1
        message = {"event": event, "sequenceNumber": str(self._sequence), **fields}
        if event != "start":
            message["streamSid"] = self.stream_sid
        await self.send_raw(json.dumps(message))

    async def start(self, parameters: dict[str, str] | None = None) -> None:
        await self.send_raw(
            json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        )
        params = {"token": self.token} if parameters is None else parameters
        await self.send(
            "start",
            streamSid=self.stream_sid,
            start={
                "accountSid": "AC" + "0" * 32,
                "streamSid": self.stream_sid,
                "callSid": self.call_sid,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                "customParameters": params,
            },
        )

    async def media(self, mulaw: bytes) -> None:
        self._chunk += 1
        await self.send(
            "media",
            media={
                "track": "inbound",
                "chunk": str(self._chunk),
                "timestamp": str(self._chunk * 20),
                "payload": base64.b64encode(mulaw).decode(),
            },
        )

    async def press(self, digits: str) -> None:
        for digit in digits:
            await self.send("dtmf", dtmf={"track": "inbound_track", "digit": digit})

    def play_tone(self, freq: float) -> None:
        """Send a tone in real time, 20 ms a message, until `stop_playing`."""

        async def play() -> None:
            start, index = time.monotonic(), 0
            # The call may end from the other side (the class ended): the tone ends with it,
            # quietly. An error left in this task would be logged whenever it is collected, in
            # whichever later test then runs, and fail that test's check for logged errors.
            with contextlib.suppress(ConnectionClosed):
                while True:
                    pcm = sine(freq, PHONE_RATE, 160, index * 160)
                    await self.media(mulaw_encode(pcm))
                    index += 1
                    await asyncio.sleep(max(0.0, start + index * 0.02 - time.monotonic()))

        self._player = asyncio.ensure_future(play())

    async def stop_playing(self) -> None:
        if self._player is not None:
            self._player.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._player
            self._player = None

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                if message.get("event") == "media":
                    assert message["streamSid"] == self.stream_sid
                    mulaw = base64.b64decode(message["media"]["payload"])
                    self.heard.append((mulaw_decode(mulaw), time.monotonic()))
                else:
                    self.other.append(message)
        except Exception:  # noqa: S110 - the close code tells the test what happened
            pass
        finally:
            self.closed_code = self._ws.close_code

    def heard_since(self, moment: float) -> bytes:
        return b"".join(pcm for pcm, at in self.heard if at >= moment)

    async def wait_closed(self, timeout: float = 10.0) -> int:
        assert self._reader is not None
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        assert self.closed_code is not None
        return self.closed_code

    async def hang_up(self) -> None:
        await self.stop_playing()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self.send("stop", stop={"accountSid": "AC1", "callSid": self.call_sid})
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader

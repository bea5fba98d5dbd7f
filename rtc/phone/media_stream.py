"""Twilio's bidirectional Media Streams protocol: what Twilio sends, checked, and what we send.

Twilio sends JSON text frames: `connected`, then `start` (the stream's and call's ids and the
`customParameters` our TwiML passed), then `media` (base64 μ-law, 8 kHz, 20 ms each), `dtmf`, `mark`
(echoing ours) and finally `stop`. Every message after `connected` carries a `sequenceNumber` that
counts up by one; over one TCP connection nothing can arrive out of order, so a number that does
not go up is a broken or forged stream, and the stream is closed. docs/voice.md has the shapes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE_CHARS = (
    8192  # a 20 ms media message is ~400 characters; Twilio never sends more than 1 s
)
MAX_PAYLOAD_BYTES = 1600  # 200 ms of μ-law
_SID = re.compile(r"^[A-Za-z0-9]{2,64}$")
_DIGITS = frozenset("0123456789*#ABCD")


class StreamError(Exception):
    """The stream broke the protocol: it is closed with `close_code`."""

    def __init__(self, reason: str, close_code: int = 1008) -> None:
        super().__init__(reason)
        self.reason = reason
        self.close_code = close_code

    def __repr__(self) -> str:
        return f"StreamError({self.reason!r}, {self.close_code})"


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    parameters: dict[str, str]


@dataclass(frozen=True)
class Media:
    payload: bytes  # μ-law


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Mark:
    name: str


@dataclass(frozen=True)
class Stop:
    pass


Event = Start | Media | Dtmf | Mark | Stop | None  # None: `connected`, nothing to do


class StreamReader:
    """Parses one stream's messages in order, enforcing the sequence and the shapes."""

    def __init__(self) -> None:
        self._last_sequence = 0
        self.stream_sid: str | None = None

    def read(self, raw: str | bytes | None) -> Event:
        if not isinstance(raw, str):
            raise StreamError("binary or empty frame: Twilio sends JSON text")
        if len(raw) > MAX_MESSAGE_CHARS:
            raise StreamError("message too large", 1009)
        try:
            message = json.loads(raw)
        except ValueError:
            raise StreamError("not JSON") from None
        if not isinstance(message, dict):
            raise StreamError("not a JSON object")
        event = message.get("event")
        if event == "connected":
            if self.stream_sid is not None or self._last_sequence:
                raise StreamError("'connected' after the stream started")
            return None
        self._sequence(message.get("sequenceNumber"))
        if event == "start":
            return self._start(message)
        if self.stream_sid is None:
            raise StreamError(f"{event!r} before 'start'")
        if message.get("streamSid") != self.stream_sid:
            raise StreamError("streamSid is not this stream's")
        if event == "media":
            return self._media(message)
        if event == "dtmf":
            digit = _field(message, "dtmf").get("digit")
            if not (isinstance(digit, str) and digit in _DIGITS):
                raise StreamError("dtmf.digit is not a key")
            return Dtmf(digit)
        if event == "mark":
            name = _field(message, "mark").get("name")
            if not isinstance(name, str):
                raise StreamError("mark.name is not text")
            return Mark(name)
        if event == "stop":
            return Stop()
        raise StreamError(f"unknown event {event!r}")

    def _sequence(self, raw: Any) -> None:
        if not (isinstance(raw, str) and raw.isdigit() and len(raw) < 12):
            raise StreamError("sequenceNumber missing or not a number")
        number = int(raw)
        if number <= self._last_sequence:
            raise StreamError(f"sequenceNumber {number} after {self._last_sequence}")
        self._last_sequence = number

    def _start(self, message: dict[str, Any]) -> Start:
        if self.stream_sid is not None:
            raise StreamError("a second 'start'")
        start = _field(message, "start")
        stream_sid, call_sid = start.get("streamSid"), start.get("callSid")
        if not (isinstance(stream_sid, str) and _SID.match(stream_sid)):
            raise StreamError("start.streamSid is missing")
        if not (isinstance(call_sid, str) and _SID.match(call_sid)):
            raise StreamError("start.callSid is missing")
        media_format = start.get("mediaFormat", {})
        if isinstance(media_format, dict) and media_format.get("encoding", "audio/x-mulaw") != (
            "audio/x-mulaw"
        ):
            raise StreamError("only audio/x-mulaw is spoken here")
        parameters = start.get("customParameters", {})
        if not isinstance(parameters, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) <= 256
            for k, v in parameters.items()
        ):
            raise StreamError("start.customParameters must map names to short text")
        self.stream_sid = stream_sid
        return Start(stream_sid, call_sid, dict(parameters))

    def _media(self, message: dict[str, Any]) -> Media:
        media = _field(message, "media")
        if media.get("track", "inbound") != "inbound":
            raise StreamError("only the inbound track is expected")
        payload = media.get("payload")
        if not isinstance(payload, str):
            raise StreamError("media.payload is missing")
        if len(payload) > MAX_PAYLOAD_BYTES * 4 // 3 + 4:
            raise StreamError("media.payload too large", 1009)
        try:
            return Media(base64.b64decode(payload, validate=True))
        except (binascii.Error, ValueError):
            raise StreamError("media.payload is not base64") from None


def _field(message: dict[str, Any], name: str) -> dict[str, Any]:
    value = message.get(name)
    if not isinstance(value, dict):
        raise StreamError(f"{name!r} is missing")
    return value


def media_message(stream_sid: str, mulaw: bytes) -> str:
    payload = base64.b64encode(mulaw).decode()
    return json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})


def clear_message(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})

"""The signaling messages a client may send, checked before anything acts on them.

docs/signaling.md is the contract; this module is its executable half. A message is a JSON object
with a known `type`, exactly the fields that type allows, each of the right JSON type and size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coach.input_check import InputRejected, checked_json
from rtc.errors import SignalingError

PROTOCOL_VERSION = 1
MAX_MESSAGE_CHARS = 256 * 1024
MAX_SDP_CHARS = 200_000
MAX_CANDIDATE_CHARS = 1024
MAX_ID_CHARS = 32

HOST_ONLY = frozenset({"admit", "remove", "spotlight", "end", "options"})

_STR, _INT, _BOOL, _NULL, _OBJ = (str,), (int,), (bool,), (type(None),), (dict,)
# type -> field -> (allowed Python types, required)
_FIELDS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "join": {"audio_only": (_BOOL, False), "reopen": (_BOOL, False)},
    "answer": {"peer": (_INT, True), "revision": (_INT, True), "sdp": (_STR, True)},
    "candidate": {"peer": (_INT, True), "candidate": (_OBJ + _NULL, True)},
    "leave": {},
    "mute": {"kind": (_STR, False), "muted": (_BOOL, False), "participant": (_STR, False)},
    "audio_only": {"enabled": (_BOOL, True)},
    "admit": {"participant": (_STR, True)},
    "remove": {"participant": (_STR, True)},
    "spotlight": {"participant": (_STR + _NULL, True)},
    "end": {},
    "options": {"patients_see_each_other": (_BOOL, True)},
    "ping": {},
}
MESSAGE_TYPES = frozenset(_FIELDS)
_CANDIDATE_FIELDS = {
    "candidate": _STR,
    "sdpMid": _STR + _NULL,
    "sdpMLineIndex": _INT + _NULL,
    "usernameFragment": _STR + _NULL,
}


def parse(raw: str | bytes) -> dict[str, Any]:
    """One client message, validated; `SignalingError` says exactly what is wrong."""
    if len(raw) > MAX_MESSAGE_CHARS:
        raise SignalingError("too_large", f"messages are at most {MAX_MESSAGE_CHARS} characters")
    try:
        message = checked_json(raw)
    except InputRejected as exc:
        raise SignalingError("bad_json", f"a message must be one JSON object: {exc}") from None
    if not isinstance(message, dict):
        raise SignalingError("bad_json", "a message must be one JSON object")
    kind = message.get("type")
    if not isinstance(kind, str):
        raise SignalingError("bad_message", "the message has no 'type'")
    try:
        fields = _FIELDS.get(kind)
        if fields is None:
            raise SignalingError("unknown_type", f"unknown message type {kind[:40]!r}")
        _check_fields(message, fields)
        _check_sizes(kind, message)
    except SignalingError as exc:
        exc.request = kind[:40]  # the client learns which of its messages was refused
        raise
    return message


def _is(value: Any, types: tuple[type, ...]) -> bool:
    # JSON true/false are Python bools, which are also ints: never accept one for the other.
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def _check_fields(
    message: Mapping[str, Any], fields: Mapping[str, tuple[tuple[type, ...], bool]]
) -> None:
    unknown = sorted(set(message) - set(fields) - {"type"})
    if unknown:
        raise SignalingError("bad_message", f"unknown field {unknown[0][:40]!r}")
    for name, (types, required) in fields.items():
        if name not in message:
            if required:
                raise SignalingError("bad_message", f"'{name}' is required")
            continue
        if not _is(message[name], types):
            wanted = " or ".join(_json_name(t) for t in types)
            raise SignalingError("bad_message", f"'{name}' must be {wanted}")


def _json_name(python_type: type) -> str:
    names = {str: "a string", int: "a whole number", bool: "true or false", dict: "an object"}
    return names.get(python_type, "null")


def _check_sizes(kind: str, message: Mapping[str, Any]) -> None:
    if kind == "answer" and len(message["sdp"]) > MAX_SDP_CHARS:
        raise SignalingError("too_large", f"an SDP is at most {MAX_SDP_CHARS} characters")
    participant = message.get("participant")
    if isinstance(participant, str) and len(participant) > MAX_ID_CHARS:
        raise SignalingError("bad_message", "'participant' is not a participant id")
    if kind == "mute":
        _check_mute(message)
    if kind == "candidate" and message["candidate"] is not None:
        _check_candidate(message["candidate"])


def _check_mute(message: Mapping[str, Any]) -> None:
    if "participant" in message:
        if set(message) - {"type", "participant"}:
            raise SignalingError("bad_message", "muting someone else takes only 'participant'")
        return
    if message.get("kind") not in ("audio", "video") or "muted" not in message:
        raise SignalingError("bad_message", "'kind' (audio or video) and 'muted' are required")


def _check_candidate(candidate: Mapping[str, Any]) -> None:
    _check_fields(candidate, {k: (v, k == "candidate") for k, v in _CANDIDATE_FIELDS.items()})
    line = candidate["candidate"]
    if len(line) > MAX_CANDIDATE_CHARS:
        raise SignalingError("too_large", "an ICE candidate is at most 1024 characters")
    if line and not line.startswith("candidate:"):
        raise SignalingError("bad_candidate", "an ICE candidate line starts with 'candidate:'")

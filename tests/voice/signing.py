"""Twilio's signature as the tests' Twilio makes it (no pytest here: the benchmark uses it)."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

AUTH_TOKEN = "voice-test-auth-token"
VOICE_NUMBER = "+15555550188"


def signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))

"""Is a webhook really from Twilio? `X-Twilio-Signature`, checked with the library's validator.

Twilio signs the URL it called. Behind a TLS proxy the app sees another scheme and host, so the
URL is rebuilt from `PUBLIC_BASE_URL` plus the request's path and query, never from the request's
own URL or forwarded headers (which a caller could set to anything).
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator, get_signature_algorithm


def public_url(public_base_url: str, path: str, query: str = "") -> str:
    return public_base_url.rstrip("/") + path + (f"?{query}" if query else "")


def valid_signature(
    auth_token: str,
    url: str,
    params: Mapping[str, object],
    signature: str | None,
    settings_header: str | None = None,
) -> bool:
    if not auth_token or not signature:
        return False
    algorithm = get_signature_algorithm(settings_header)
    return bool(RequestValidator(auth_token).validate(url, params, signature, algorithm))

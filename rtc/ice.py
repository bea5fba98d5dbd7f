"""ICE servers: STUN for everyone, TURN with time-limited credentials in coturn's shared-secret
scheme (`use-auth-secret`): username = "<expiry epoch>:<user>", credential =
base64(HMAC-SHA1(secret, username)). coturn checks both without any per-user state."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer


def turn_credentials(
    secret: str, user: str, ttl_seconds: int, now: float | None = None
) -> tuple[str, str]:
    expiry = int((time.time() if now is None else now) + ttl_seconds)
    username = f"{expiry}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def client_ice_servers(
    stun_urls: Sequence[str],
    turn_urls: Sequence[str],
    turn_secret: str | None,
    ttl_seconds: int,
    user: str,
) -> list[dict[str, Any]]:
    """The `iceServers` a browser or script should use, as `RTCConfiguration` JSON."""
    servers: list[dict[str, Any]] = []
    if stun_urls:
        servers.append({"urls": list(stun_urls)})
    if turn_urls and turn_secret:
        username, credential = turn_credentials(turn_secret, user, ttl_seconds)
        servers.append({"urls": list(turn_urls), "username": username, "credential": credential})
    return servers


def server_configuration(stun_urls: Sequence[str]) -> RTCConfiguration:
    """The server's own peers: STUN to learn its public address; it never needs a relay itself.
    Everything rides one transport (max-bundle): one set of candidates and one DTLS handshake."""
    servers = [RTCIceServer(urls=list(stun_urls))] if stun_urls else []
    return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)

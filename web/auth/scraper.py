"""The metrics scraper's credential: `Authorization: Bearer <METRICS_TOKEN>`, nothing else.

It is not a person: no session cookie or API token opens `/metrics`, and the token opens nothing
but `/metrics`. Refusals are plain text (a scraper reads no login page), and with no token
configured the endpoint does not exist (404), so an unconfigured server says nothing about it.
"""

from __future__ import annotations

import hmac

from starlette.responses import PlainTextResponse, Response


def scraper_refusal(authorization: str | None, token: str | None) -> Response | None:
    """None when the request carries the configured token; else the answer to give."""
    if not token:
        return PlainTextResponse("not found\n", status_code=404)
    scheme, _, raw = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return PlainTextResponse(
            "send Authorization: Bearer <METRICS_TOKEN>\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="telecoach-metrics"'},
        )
    # Constant time: how much of a guess matched must not show in how long the answer takes.
    if not hmac.compare_digest(raw.strip().encode(), token.encode()):
        return PlainTextResponse("wrong metrics token\n", status_code=403)
    return None

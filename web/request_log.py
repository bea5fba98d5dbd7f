"""An access log that cannot leak what a URL carries, and the request id every log line carries.

Uvicorn's own access log prints raw paths, and a join link's path is a credential, so it is off;
this middleware logs the route's *template* (`/join/{token}`) instead. Log calls elsewhere pass
ids, never names, phone numbers or tokens.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("telecoach.access")


# A sensor posting a reading a second would fill the log with lines that say nothing: their
# successful requests are logged at debug level, their failures at info like every other.
# A load balancer's liveness probe every few seconds is as noisy, and says as little.
QUIET_ROUTES = frozenset({"/api/v1/hr", "/fhir/Observation", "/healthz"})


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(getattr(route, "path_format", path))
    return "(unmatched)"


class RequestLogMiddleware:
    """Give each request an id (echoed as X-Request-ID) and log one line when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            # A websocket has no response headers to stamp; its every frame skips the wrapper.
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        finally:
            route = _route_template(scope)
            level = logging.DEBUG if route in QUIET_ROUTES and 0 < status < 400 else logging.INFO
            access_log.log(
                level,
                "request",
                extra={
                    "method": scope.get("method", "WS"),
                    "route": route,
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            REQUEST_ID.reset(token)

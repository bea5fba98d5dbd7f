"""Liveness and readiness: `/healthz` says the process answers, `/readyz` that its backends do."""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from web.context import ctx_of
from web.routing import Access, route

READY_TIMEOUT_SECONDS = 3


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    ctx = ctx_of(request)
    checks: dict[str, str] = {}
    try:
        await ctx.db.probe()
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports any failure, whatever its type
        checks["database"] = f"error: {type(exc).__name__}"
    if ctx.settings.redis_url:
        try:
            # A probe must answer: a Redis that accepts connections but never replies is down.
            with anyio.fail_after(READY_TIMEOUT_SECONDS):
                await ctx.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


ROUTES = [route("/healthz", healthz, Access.PUBLIC), route("/readyz", readyz, Access.PUBLIC)]

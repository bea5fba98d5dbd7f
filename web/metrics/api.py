"""`GET /metrics` for a Prometheus scraper holding `METRICS_TOKEN` (checked by `Access.METRICS`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.context import ctx_of
from web.metrics.collect import collect
from web.metrics.exposition import CONTENT_TYPE, render
from web.routing import Access, route


async def metrics(request: Request) -> Response:
    families = await collect(ctx_of(request), ctx_of(request).clock.now())
    return Response(render(families), media_type=CONTENT_TYPE)


ROUTES = [route("/metrics", metrics, Access.METRICS)]

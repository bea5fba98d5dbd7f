"""The heart-rate routes: ingest, the live socket, pages, the staff API, device tokens."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.heart_rate import (
    device_pages,
    fhir_api,
    ingest_api,
    live,
    pages,
    staff_api,
)

ROUTES: list[BaseRoute] = [
    *ingest_api.ROUTES,
    *fhir_api.ROUTES,
    *staff_api.ROUTES,
    *live.ROUTES,
    *pages.ROUTES,
    *device_pages.ROUTES,
]

"""The daily-data routes: the device API, the coach's CSV upload, the patient's check-in."""

from __future__ import annotations

from starlette.routing import BaseRoute

from web.daily import api, checkin, pages

ROUTES: list[BaseRoute] = [*api.ROUTES, *pages.ROUTES, *checkin.ROUTES]

"""`create_app(settings)`: the one place where the parts are wired together."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from coach.access import NotVisible
from coach.classes import ClassInputError
from coach.clock import Clock, SystemClock
from coach.database import Database
from coach.errors import ProfileError
from coach.join_links import JoinLinkInvalid
from coach.patient_import import ImportFailed
from coach.patients import DuplicatePhone, PatientInputError
from coach.rules import load_rules
from web import health, room_socket, scheduling
from web.api import class_changes as api_class_changes
from web.api import classes as api_classes
from web.api import me as api_me
from web.api import patients as api_patients
from web.api import prescriptions as api_prescriptions
from web.api import schedule as api_schedule
from web.auth.recheck import SignInRecheck
from web.context import AppContext
from web.errors import HTTPError, handle_error
from web.fhir_export import api as fhir_export_api
from web.heart_rate import ROUTES as _HEART_RATE_ROUTES
from web.heart_rate.wiring import heart_rate_running
from web.i18n import Catalogues
from web.logs import RequestLogMiddleware
from web.metrics import api as metrics_api
from web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from web.pages import auth as auth_pages
from web.pages import console as console_pages
from web.pages import patient as patient_pages
from web.pages import staff as staff_pages
from web.pages.render import make_templates
from web.prescribing import ROUTES as prescribing_routes
from web.reports import ROUTES as report_routes
from web.room_audit import RoomAudit
from web.routing import Access, GuardedMount, undecided_routes
from web.settings import Settings
from web.sms import alert_pages as sms_alert_pages
from web.sms import api as sms_api
from web.sms import inbox as sms_inbox
from web.sms import phone as sms_phone
from web.sms import webhooks as sms_webhooks
from web.sms.alert_hub import alerts_across_processes
from web.sms.wiring import build_sms_service

HERE = Path(__file__).parent


def build_routes() -> list[BaseRoute]:
    return [
        *health.ROUTES,
        *auth_pages.ROUTES,
        *staff_pages.ROUTES,
        *patient_pages.ROUTES,
        *api_patients.ROUTES,
        *api_classes.ROUTES,
        *api_class_changes.ROUTES,
        *api_schedule.ROUTES,
        *api_me.ROUTES,
        *api_prescriptions.ROUTES,
        *console_pages.ROUTES,
        *room_socket.ROUTES,
        *sms_webhooks.ROUTES,
        *sms_inbox.ROUTES,
        *sms_api.ROUTES,
        *sms_phone.ROUTES,
        *sms_alert_pages.ROUTES,
        *prescribing_routes,
        *_HEART_RATE_ROUTES,
        *fhir_export_api.ROUTES,
        *metrics_api.ROUTES,
        *report_routes,
        GuardedMount(
            "/static", StaticFiles(directory=HERE / "static"), access=Access.PUBLIC, name="static"
        ),
    ]


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    """The app on `settings`; `clock` is the time every part of it asks (the system's unless a
    test fixes the instant)."""
    catalogues = Catalogues()
    ctx = AppContext(
        rules=load_rules(Path(settings.rules_file) if settings.rules_file else None),
        settings=settings,
        clock=clock or SystemClock(),
        db=Database(settings.database_url),
        templates=make_templates(str(HERE / "templates"), catalogues),
        catalogues=catalogues,
    )
    ctx.room_audit = RoomAudit(ctx.db, ctx.clock)
    ctx.rooms = room_socket.build_rooms(settings, ctx.room_audit)
    ctx.recheck = SignInRecheck(
        ctx.db,
        settings.session_recheck_seconds,
        timedelta(minutes=settings.session_idle_minutes),
    )
    ctx.sms = build_sms_service(settings, ctx.db, ctx.alerts, ctx.clock)
    ctx.schedule = scheduling.scheduler_config(settings)
    routes = build_routes()
    undecided = undecided_routes(routes)
    if undecided:
        raise RuntimeError(f"routes without an access decision: {', '.join(undecided)}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.redis_url:
            from redis.asyncio import Redis

            ctx.redis = Redis.from_url(settings.redis_url)
        assert ctx.room_audit is not None and ctx.rooms is not None
        ctx.room_audit.start()
        try:
            async with (
                alerts_across_processes(ctx.alerts, ctx.redis),
                heart_rate_running(ctx),
                scheduling.in_serve(ctx),
            ):  # all need ctx.redis
                yield
        finally:
            await ctx.rooms.shutdown()  # clients are told to reconnect
            await ctx.recheck.close()
            await ctx.room_audit.stop()
            ctx.sms.sender.close()
            if ctx.redis is not None:
                await ctx.redis.aclose()
                ctx.redis = None
            ctx.db.dispose()

    handled: list[type[Exception]] = [
        HTTPError,
        HTTPException,
        NotVisible,
        PatientInputError,
        ClassInputError,
        DuplicatePhone,
        JoinLinkInvalid,
        ImportFailed,
        ProfileError,
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestLogMiddleware),
            Middleware(SecurityHeadersMiddleware, hsts=settings.production),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers={cls: handle_error for cls in handled},
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app

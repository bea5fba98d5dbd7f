"""`create_app(settings)`: the one place where the parts are wired together into the web app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware

from coach.clock import Clock, SystemClock
from coach.database import Database
from coach.rules import load_rules
from rtc.alert_hub import AlertHub, alerts_across_processes
from rtc.host_presence import HostPresence, hosts_across_processes
from telecoach.settings import Settings
from telecoach.wiring import scheduler as scheduling
from telecoach.wiring.heart_rate import build_heart_rate, heart_rate_running
from telecoach.wiring.room_audit import RoomAudit
from telecoach.wiring.rooms import build_rooms
from telecoach.wiring.sms import build_sms_service, kept_texts_stored
from usecases.daily import SmsDailyRecorder
from web.auth.recheck import SignInRecheck
from web.auth.sessions import SessionLimits
from web.context import AppContext
from web.error_handler import handle_error
from web.i18n import Catalogues
from web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from web.pages.render import make_templates
from web.request_log import RequestLogMiddleware
from web.routes import HANDLED_ERRORS, TEMPLATES_DIR, build_routes
from web.routing import undecided_routes


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    """The app on `settings`; `clock` is the time every part of it asks (the system's unless a
    test fixes the instant). Everything is built here; the lifespan only starts and stops what
    runs, once: an app is not started a second time (build another)."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    rules = load_rules(Path(settings.rules_file) if settings.rules_file else None)
    # Connects on first use, inside the lifespan's event loop.
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    catalogues = Catalogues()
    room_audit = RoomAudit(db, clock)
    alerts = AlertHub()
    session_limits = SessionLimits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        lifetime=timedelta(hours=settings.session_max_hours),
    )
    schedule = scheduling.scheduler_config(settings)
    heart_rate, device_rate = build_heart_rate(settings, db, rules, clock, redis, alerts)
    rooms = build_rooms(settings, room_audit, clock)
    ctx = AppContext(
        settings=settings,
        db=db,
        templates=make_templates(str(TEMPLATES_DIR), catalogues),
        catalogues=catalogues,
        rules=rules,
        clock=clock,
        redis=redis,
        rooms=rooms,
        host_presence=HostPresence(rooms, clock, redis),
        alerts=alerts,
        recheck=SignInRecheck(db, settings.session_recheck_seconds, session_limits, clock),
        session_limits=session_limits,
        sms=build_sms_service(settings, db, alerts, clock, SmsDailyRecorder(rules, schedule)),
        heart_rate=heart_rate,
        device_rate=device_rate,
        schedule=schedule,
    )
    routes = build_routes()
    undecided = undecided_routes(routes)
    if undecided:
        raise RuntimeError(
            f"routes without an access decision or an API declaration: {', '.join(undecided)}"
        )
    started = False

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal started
        if started:
            raise RuntimeError("this app has run once; build another with create_app")
        started = True
        room_audit.start()
        try:
            async with (
                alerts_across_processes(ctx.alerts, ctx.redis),
                hosts_across_processes(ctx.host_presence),
                heart_rate_running(ctx.heart_rate),
                scheduling.in_serve(ctx, settings),
                kept_texts_stored(ctx.sms, settings.sms_kept_retry_seconds),
            ):
                yield
        finally:
            await ctx.rooms.shutdown()  # clients are told to reconnect
            await ctx.recheck.close()
            await room_audit.stop()
            ctx.sms.sender.close()
            if ctx.redis is not None:
                await ctx.redis.aclose()
            ctx.db.dispose()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestLogMiddleware),
            Middleware(
                SecurityHeadersMiddleware,
                hsts=settings.production,
                public_base_url=settings.public_base_url,
            ),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers={cls: handle_error for cls in HANDLED_ERRORS},
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app

"""`create_app(settings)`: the one place where the parts are wired together into the web app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware

from coach.clock import Clock, SystemClock
from coach.database import Database
from coach.rules import load_rules
from telecoach.settings import Settings
from telecoach.wiring import scheduler as scheduling
from telecoach.wiring.heart_rate import heart_rate_running
from telecoach.wiring.room_audit import RoomAudit
from telecoach.wiring.rooms import build_rooms
from telecoach.wiring.sms import build_sms_service
from web.auth.recheck import SignInRecheck
from web.context import AppContext
from web.error_handler import handle_error
from web.i18n import Catalogues
from web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from web.pages.render import make_templates
from web.request_log import RequestLogMiddleware
from web.routes import HANDLED_ERRORS, TEMPLATES_DIR, build_routes
from web.routing import undecided_routes
from web.sms.alert_hub import alerts_across_processes


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    """The app on `settings`; `clock` is the time every part of it asks (the system's unless a
    test fixes the instant)."""
    catalogues = Catalogues()
    ctx = AppContext(
        rules=load_rules(Path(settings.rules_file) if settings.rules_file else None),
        settings=settings,
        clock=clock or SystemClock(),
        db=Database(settings.database_url),
        templates=make_templates(str(TEMPLATES_DIR), catalogues),
        catalogues=catalogues,
    )
    room_audit = RoomAudit(ctx.db, ctx.clock)
    ctx.rooms = build_rooms(settings, room_audit)
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
        assert ctx.rooms is not None
        room_audit.start()
        try:
            async with (
                alerts_across_processes(ctx.alerts, ctx.redis),
                heart_rate_running(ctx, settings),
                scheduling.in_serve(ctx, settings),
            ):  # all need ctx.redis
                yield
        finally:
            await ctx.rooms.shutdown()  # clients are told to reconnect
            await ctx.recheck.close()
            await room_audit.stop()
            ctx.sms.sender.close()
            if ctx.redis is not None:
                await ctx.redis.aclose()
                ctx.redis = None
            ctx.db.dispose()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestLogMiddleware),
            Middleware(SecurityHeadersMiddleware, hsts=settings.production),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers={cls: handle_error for cls in HANDLED_ERRORS},
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    return app

"""`create_app(settings)`: the one place where the parts are wired together."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from coach.access import NotVisible
from coach.classes import ClassInputError
from coach.database import Database
from coach.errors import ProfileError
from coach.join_links import JoinLinkInvalid
from coach.patient_import import ImportFailed
from coach.patients import DuplicatePhone, PatientInputError
from coach.rules import load_rules
from web import health
from web.api import classes as api_classes
from web.api import me as api_me
from web.api import patients as api_patients
from web.api import prescriptions as api_prescriptions
from web.context import AppContext
from web.errors import HTTPError, handle_error
from web.i18n import Catalogues
from web.logs import RequestLogMiddleware
from web.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from web.pages import auth as auth_pages
from web.pages import patient as patient_pages
from web.pages import staff as staff_pages
from web.pages.render import make_templates
from web.routing import Access, GuardedMount, undecided_routes
from web.settings import Settings

HERE = Path(__file__).parent


def build_routes() -> list[BaseRoute]:
    return [
        *health.ROUTES,
        *auth_pages.ROUTES,
        *staff_pages.ROUTES,
        *patient_pages.ROUTES,
        *api_patients.ROUTES,
        *api_classes.ROUTES,
        *api_me.ROUTES,
        *api_prescriptions.ROUTES,
        GuardedMount(
            "/static", StaticFiles(directory=HERE / "static"), access=Access.PUBLIC, name="static"
        ),
    ]


def create_app(settings: Settings) -> Starlette:
    catalogues = Catalogues()
    ctx = AppContext(
        rules=load_rules(Path(settings.rules_file) if settings.rules_file else None),
        settings=settings,
        db=Database(settings.database_url),
        templates=make_templates(str(HERE / "templates"), catalogues),
        catalogues=catalogues,
    )
    routes = build_routes()
    undecided = undecided_routes(routes)
    if undecided:
        raise RuntimeError(f"routes without an access decision: {', '.join(undecided)}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.redis_url:
            from redis.asyncio import Redis

            ctx.redis = Redis.from_url(settings.redis_url)
        try:
            yield
        finally:
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

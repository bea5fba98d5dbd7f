"""Routes that cannot be added without an access decision.

Every route is a `GuardedRoute` (or `GuardedMount`) carrying an `Access`; `create_app` refuses a
route table with anything else, and a test walks the table with every role. Object-level checks
(this coach, this patient) happen in the handler through `coach.access`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from coach.input_check import is_id
from web.api_spec import ApiOperation
from web.auth import csrf
from web.auth.principal import Principal
from web.auth.resolve import resolve_principal
from web.auth.scraper import scraper_refusal
from web.context import ctx_of
from web.errors import Forbidden, NotFound, Unauthenticated

Endpoint = Callable[[Request], Awaitable[Response]]
API_PREFIX = "/api/v1/"


class Access(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed_in"  # any staff member or patient
    STAFF = "staff"  # coach or admin
    COACH = "coach"  # coaches only (they own patients and classes)
    ADMIN = "admin"
    PATIENT = "patient"  # a patient's own session
    DEV = "dev"  # only when TELECOACH_ENV=dev; 404 in production
    # A scraper with `Authorization: Bearer <METRICS_TOKEN>` (web/auth/scraper.py): no person, no
    # session or API token; 404 while no token is configured.
    METRICS = "metrics"


_ROLES: dict[Access, frozenset[str]] = {
    Access.SIGNED_IN: frozenset({"admin", "coach", "patient"}),
    Access.STAFF: frozenset({"admin", "coach"}),
    Access.COACH: frozenset({"coach"}),
    Access.ADMIN: frozenset({"admin"}),
    Access.PATIENT: frozenset({"patient"}),
}


def authorize(access: Access, principal: Principal | None, production: bool) -> None:
    if access is Access.PUBLIC:
        return
    if access is Access.DEV:
        if production:
            raise NotFound("not found")
        return
    if access is Access.METRICS:
        raise NotFound("not found")  # checked before any principal (`_guard`); never a person's
    if principal is None:
        raise Unauthenticated("sign in first")
    if principal.role not in _ROLES[access]:
        raise Forbidden("your role may not use this page")


def _guard(endpoint: Endpoint, access: Access, check_csrf: bool) -> Endpoint:
    async def guarded(request: Request) -> Response:
        ctx = ctx_of(request)
        try:
            if access is Access.METRICS:
                refusal = scraper_refusal(
                    request.headers.get("authorization"), ctx.settings.metrics_token
                )
                return refusal or await endpoint(request)
            principal = await resolve_principal(request)
            request.state.principal = principal
            authorize(access, principal, ctx.settings.production)
            if check_csrf:
                await csrf.check(request, principal, ctx.settings.secret_key)
            if not all(is_id(v) for v in request.path_params.values() if isinstance(v, int)):
                raise NotFound("not found")  # no such row, and too big for the database to look up
            return await endpoint(request)
        finally:
            # Starlette leaves a parsed form's uploaded files open; close them whatever happened.
            await request.close()

    guarded.__name__ = getattr(endpoint, "__name__", "endpoint")
    guarded.__doc__ = endpoint.__doc__
    return guarded


class GuardedRoute(Route):
    def __init__(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        access: Access,
        methods: Sequence[str] = ("GET",),
        name: str | None = None,
        check_csrf: bool = True,
        api: ApiOperation | Mapping[str, ApiOperation] | None = None,
    ) -> None:
        self.access = access
        self.check_csrf = check_csrf
        # What each JSON method takes and answers (web/api_spec.py): /api/v1/openapi.json is
        # built from these, and `create_app` refuses an /api/v1 route without them.
        if isinstance(api, ApiOperation):
            api = {method.upper(): api for method in methods}
        self.operations: dict[str, ApiOperation] = {
            method.upper(): op for method, op in (api or {}).items()
        }
        super().__init__(
            path,
            _guard(endpoint, access, check_csrf),
            methods=list(methods),
            name=name or endpoint.__name__,
        )


class GuardedWebSocketRoute(WebSocketRoute):
    """The websocket endpoint authenticates itself (join link or session); this records the rule."""

    def __init__(
        self, path: str, endpoint: Callable[..., Any], *, access: Access, name: str | None = None
    ) -> None:
        self.access = access
        super().__init__(path, endpoint, name=name)


class GuardedMount(Mount):
    def __init__(self, path: str, app: Any, *, access: Access, name: str | None = None) -> None:
        if access is not Access.PUBLIC:
            raise ValueError("only public mounts (static files) are supported")
        self.access = access
        super().__init__(path, app=app, name=name)


def route(
    path: str, endpoint: Endpoint, access: Access, methods: Sequence[str] = ("GET",), **kwargs: Any
) -> GuardedRoute:
    return GuardedRoute(path, endpoint, access=access, methods=methods, **kwargs)


def undecided_routes(routes: Sequence[BaseRoute]) -> list[str]:
    """Paths of routes that carry no access decision, and JSON API routes whose methods are not
    all declared (web/api_spec.py): `create_app` refuses to build with any."""
    undecided = [
        getattr(r, "path", repr(r))
        for r in routes
        if not isinstance(getattr(r, "access", None), Access)
    ]
    for r in routes:
        if isinstance(r, GuardedRoute) and r.path.startswith(API_PREFIX):
            missing = sorted((r.methods or set()) - {"HEAD"} - set(r.operations))
            undecided += [f"{method} {r.path} (no ApiOperation)" for method in missing]
    return undecided


def int_param(request: Request, name: str) -> int:
    """A path parameter declared `{name:int}`; anything else is a 404, never a 500."""
    raw = request.path_params.get(name)
    if not isinstance(raw, int):
        raise NotFound("not found")
    return raw

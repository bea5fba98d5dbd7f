"""A staff member's own settings page: the language and time zone their pages are written in,
and their password."""

from __future__ import annotations

import asyncio

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach.models import StaffUser
from usecases.staff_settings import SettingsRefused, change_own_password, update_own_settings
from web.auth import sessions
from web.auth.passwords import MAX_LENGTH, MIN_LENGTH
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import TooMany
from web.pages.auth import attempt_sign_in, set_session_cookie
from web.pages.form_fields import time_zone_choices
from web.pages.render import render
from web.prescribing.forms import read_form, single
from web.routing import Access, route

PAGE = "account_settings.html"
_ERRORS = {"language": "staff.settings.bad_language", "time_zone": "staff.settings.bad_zone"}


_PASSWORD_FIELDS = ("current_password", "new_password", "confirm_password")
_P = "staff.settings.password."  # its words in the catalogues


def _page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    password_errors: dict[str, str] | None = None,
) -> Response:
    notice = request.query_params.get("notice")
    refused = bool(errors or password_errors)
    context = {
        "values": values,
        "errors": errors,
        "password_errors": password_errors or {},
        "password_min": MIN_LENGTH,
        "zones": time_zone_choices(values.get("time_zone", "")),
        "languages": ctx_of(request).catalogues.languages,
        "saved": notice == "saved" and not refused,
        "password_changed": notice == "password" and not refused,
    }
    return render(request, PAGE, context, status_code=status_code)


async def _own_settings(request: Request) -> dict[str, str]:
    principal: Principal = request.state.principal

    def load(session: Session) -> dict[str, str]:
        staff = session.get(StaffUser, principal.actor.staff_id)
        assert staff is not None
        return {"language": staff.language, "time_zone": staff.time_zone, "email": staff.email}

    return await ctx_of(request).db.run(load)


async def settings_page(request: Request) -> Response:
    return _page(request, await _own_settings(request), {})


async def save_settings(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    form = await read_form(request)
    values = {name: (single(form, name) or "").strip()[:64] for name in ("language", "time_zone")}
    outcome = await ctx.db.run(
        update_own_settings,
        principal.actor,
        values["language"],
        values["time_zone"],
        ctx.catalogues.languages,
    )
    if isinstance(outcome, SettingsRefused):
        errors = {outcome.field: _ERRORS[outcome.field]}
        return _page(request, values, errors, status_code=422)
    return RedirectResponse("/account/settings?notice=saved", status_code=303)


def _password_problems(current: str, new: str, again: str) -> dict[str, str]:
    """What is wrong with the form before any password is checked (nothing counted, nothing
    throttled): a field left empty, a new password too short or too long, a confirmation that
    differs."""
    problems = {}
    if not current:
        problems["current_password"] = _P + "current_missing"
    if len(new) < MIN_LENGTH:
        problems["new_password"] = _P + "too_short"
    elif len(new) > MAX_LENGTH:
        problems["new_password"] = _P + "too_long"
    elif again != new:
        problems["confirm_password"] = _P + "mismatch"
    return problems


async def change_password(request: Request) -> Response:
    """The current password confirms it is the staff member (throttled as a sign-in is); the new
    one replaces it, and every sign-in the old one opened ends but this browser's, which gets a
    new session. API tokens stay: they are credentials of their own, revoked on their page."""
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    form = await read_form(request)
    current, new, again = (single(form, name) or "" for name in _PASSWORD_FIELDS)
    own = await _own_settings(request)

    def refused(problems: dict[str, str]) -> Response:
        return _page(request, own, {}, status_code=422, password_errors=problems)

    problems = _password_problems(current, new, again)
    if problems:
        return refused(problems)
    ip = request.client.host if request.client else "unknown"
    staff, problem = await attempt_sign_in(ctx, own["email"], current, ip)
    if problem == "throttled":
        raise TooMany(
            "too many wrong passwords; wait a few minutes",
            retry_after=60 * ctx.settings.login_window_minutes,
        )
    if staff is None or staff.id != principal.actor.staff_id:
        return refused({"current_password": _P + "wrong"})
    if new == current:
        return refused({"new_password": _P + "same"})
    password_hash = await asyncio.to_thread(ctx.passwords.hash, new)

    def change(session: Session) -> str:
        change_own_password(session, principal.actor, password_hash)
        sessions.end_all_for_staff(session, staff.id or 0)
        _, raw = sessions.start(session, staff_id=staff.id, now=ctx.clock.now())
        return raw

    raw = await ctx.db.run(change)
    response = RedirectResponse("/account/settings?notice=password#password-h", status_code=303)
    set_session_cookie(ctx, response, raw)
    return response


ROUTES = [
    route("/account/settings", settings_page, Access.STAFF),
    route("/account/settings", save_settings, Access.STAFF, methods=["POST"], name="save_settings"),
    route(
        "/account/password", change_password, Access.STAFF, methods=["POST"], name="change_password"
    ),
]

"""The clinic's staff, for an admin: who has an account (and how many patients each coaches), a
form to add a coach or an admin, and deactivating one who leaves (usecases/staff_accounts.py).

A new account's password is generated and shown once, on the answer to the form itself (never in
an address or a redirect), as `telecoach create-user` prints it once; its owner changes it on
"My settings"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach.input_check import is_id
from usecases.staff_accounts import (
    ROLES,
    StaffRefused,
    check_new_staff,
    create_staff,
    hand_over,
    set_active,
    staff_list,
)
from web.auth import sessions
from web.auth.principal import Principal
from web.auth.secrets_util import new_token
from web.context import ctx_of
from web.errors import NotFound
from web.pages.form_fields import printable, time_zone_choices
from web.pages.render import render
from web.prescribing.forms import read_form, single
from web.routing import Access, int_param, route

PAGE = "staff_accounts.html"
FIELDS = ("name", "email", "role", "time_zone", "language")
TYPED_AT_MOST = 300  # characters of a refused field written back: an email is at most 254
_NOTICES = ("deactivated", "reactivated", "handed_over")


async def _page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    created: dict[str, str] | None = None,
    status_code: int = 200,
    hand_over_errors: dict[str, str] | None = None,
) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    notice = request.query_params.get("notice")
    context: dict[str, Any] = {
        "team": await ctx.db.run(staff_list),
        "values": values,
        "errors": errors or {},
        "hand_over_errors": hand_over_errors or {},
        "created": created,
        "roles": ROLES,
        "languages": ctx.catalogues.languages,
        "zones": time_zone_choices(values.get("time_zone", "")),
        "me": principal.actor.staff_id,
        "notice": notice
        if notice in _NOTICES and not errors and not hand_over_errors and not created
        else None,
    }
    return render(request, PAGE, context, status_code=status_code)


def _defaults(request: Request) -> dict[str, str]:
    """A new account starts in the admin's own zone and language: most of a clinic shares them."""
    principal: Principal = request.state.principal
    return {"role": "coach", "time_zone": principal.time_zone, "language": principal.language}


async def team_page(request: Request) -> Response:
    return await _page(request, _defaults(request))


async def add_staff(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    form = await read_form(request)
    typed = {name: single(form, name) or "" for name in FIELDS}
    shown = {name: printable(value)[:TYPED_AT_MOST] for name, value in typed.items()}
    checked = check_new_staff(
        typed["email"],
        typed["name"],
        typed["role"],
        typed["time_zone"],
        typed["language"],
        ctx.catalogues.languages,
    )
    if isinstance(checked, StaffRefused):
        return await _page(request, shown, _refused(checked), status_code=422)
    password = new_token(12)
    password_hash = await asyncio.to_thread(ctx.passwords.hash, password)
    made = await ctx.db.run(create_staff, principal.actor, checked, password_hash)
    if isinstance(made, StaffRefused):
        return await _page(request, shown, _refused(made), status_code=422)
    created = {"name": made.name, "email": made.email, "password": password}
    return await _page(request, _defaults(request), created=created)


def _refused(refused: StaffRefused) -> dict[str, str]:
    return {refused.field: f"staff.team.refused.{refused.reason}"}


def _activation(active: bool) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        ctx = ctx_of(request)
        principal: Principal = request.state.principal
        staff_id = int_param(request, "staff_id")

        def work(session: Session) -> bool:
            staff = set_active(session, principal.actor, staff_id, active)
            if staff is None:
                return False
            if not active:
                sessions.end_all_for_staff(session, staff_id)
            return True

        if not await ctx.db.run(work):
            raise NotFound("no such staff member (or your own account)")
        notice = "reactivated" if active else "deactivated"
        return RedirectResponse(f"/staff?notice={notice}#team-h", status_code=303)

    return handler


def _staff_id(raw: str) -> int | None:
    """A chosen account's id as the form sends it (ASCII digits), or None."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        return None
    return int(raw) if is_id(int(raw)) else None


async def hand_over_page(request: Request) -> Response:
    """One coach's patients and classes to another (a coach who leaves, a caseload rebalanced)."""
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    form = await read_form(request)
    ids = {name: _staff_id(single(form, name) or "") for name in ("from", "to")}
    giver, taker = ids["from"], ids["to"]
    if giver is None or taker is None:
        missing = "from" if giver is None else "to"
        refused = StaffRefused(missing, missing)
    else:
        done = await ctx.db.run(hand_over, principal.actor, giver, taker)
        if not isinstance(done, StaffRefused):
            return RedirectResponse("/staff?notice=handed_over#hand-over-h", status_code=303)
        refused = done
    return await _page(
        request, _defaults(request), status_code=422, hand_over_errors=_refused(refused)
    )


ROUTES = [
    route("/staff", team_page, Access.ADMIN),
    route("/staff", add_staff, Access.ADMIN, methods=["POST"], name="add_staff"),
    route(
        "/staff/{staff_id:int}/deactivate",
        _activation(False),
        Access.ADMIN,
        methods=["POST"],
        name="deactivate_staff",
    ),
    route(
        "/staff/{staff_id:int}/reactivate",
        _activation(True),
        Access.ADMIN,
        methods=["POST"],
        name="reactivate_staff",
    ),
    route("/staff/hand-over", hand_over_page, Access.ADMIN, methods=["POST"], name="hand_over"),
]

"""A staff member's own settings page: the language and time zone their pages are written in."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach.models import StaffUser
from usecases.staff_settings import SettingsRefused, update_own_settings
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.form_fields import time_zone_choices
from web.pages.render import render
from web.prescribing.forms import read_form, single
from web.routing import Access, route

PAGE = "account_settings.html"
_ERRORS = {"language": "staff.settings.bad_language", "time_zone": "staff.settings.bad_zone"}


def _page(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    context = {
        "values": values,
        "errors": errors,
        "zones": time_zone_choices(values.get("time_zone", "")),
        "languages": ctx_of(request).catalogues.languages,
        "saved": request.query_params.get("notice") == "saved" and not errors,
    }
    return render(request, PAGE, context, status_code=status_code)


async def settings_page(request: Request) -> Response:
    principal: Principal = request.state.principal

    def load(session: Session) -> dict[str, str]:
        staff = session.get(StaffUser, principal.actor.staff_id)
        assert staff is not None
        return {"language": staff.language, "time_zone": staff.time_zone}

    return _page(request, await ctx_of(request).db.run(load), {})


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


ROUTES = [
    route("/account/settings", settings_page, Access.STAFF),
    route("/account/settings", save_settings, Access.STAFF, methods=["POST"], name="save_settings"),
]

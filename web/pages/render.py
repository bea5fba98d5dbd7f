"""Render a page with the request's principal, translator and CSRF token in the context."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from web.auth import csrf
from web.context import ctx_of
from web.i18n import Catalogues


def page_language(request: Request) -> str:
    ctx = ctx_of(request)
    principal = getattr(request.state, "principal", None)
    requested = request.query_params.get("lang", "")
    if requested in ctx.catalogues.languages:
        return requested
    if principal is not None and principal.role == "patient":
        return str(principal.language)
    if principal is not None:
        return "en"
    return ctx.catalogues.negotiate(request.headers.get("accept-language", ""))


def _context(request: Request) -> dict[str, Any]:
    ctx = ctx_of(request)
    principal = getattr(request.state, "principal", None)
    language = page_language(request)
    if principal is not None and principal.via == "session":
        token = principal.csrf_token
    else:
        token = csrf.anonymous_token(request, ctx.settings.secret_key)
    return {
        "principal": principal,
        "csrf_token": token,
        "lang": language,
        "t": ctx.catalogues.translator(language),
        "dev": not ctx.settings.production,
    }


def make_templates(directory: str, catalogues: Catalogues) -> Jinja2Templates:
    del catalogues  # translators are per request, chosen by the reader's language
    return Jinja2Templates(directory=directory, context_processors=[_context])


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    ctx = ctx_of(request)
    response = ctx.templates.TemplateResponse(
        request, name, dict(context or {}), status_code=status_code, headers=headers
    )
    csrf.attach_pre_cookie(request, response, secure=ctx.settings.production)
    return response


def render_error(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "message": message},
        status_code=status,
        headers=headers,
    )

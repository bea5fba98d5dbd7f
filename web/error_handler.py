"""The one exception handler: any error a handler lets out (web/errors.py's, or the domain's
from `coach/`) becomes JSON for the API and a page for a browser; a denied object is audited."""

from __future__ import annotations

import logging
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from coach.access import NotVisible
from coach.audit import record
from coach.classes import ClassInputError
from coach.database import NOT_ANSWERING, why_not_answering
from coach.errors import ProfileError
from coach.join_links import JoinLinkInvalid
from coach.patient_import import ImportFailed
from coach.patients import DuplicatePhone, PatientInputError
from web.auth.principal import Principal
from web.auth.resolve import resolve_principal
from web.errors import (
    Conflict,
    Forbidden,
    HTTPError,
    Invalid,
    NotFound,
    RetryLater,
    Unauthenticated,
    Unavailable,
)
from web.pages.render import render_error

log = logging.getLogger("telecoach.web")
# A restarting database is back within seconds; a device or a page retries after this.
DATABASE_RETRY_AFTER_S = 5


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/fhir/", "/healthz", "/readyz")):
        return True
    return "application/json" in request.headers.get("accept", "")


def to_http_error(exc: Exception) -> HTTPError:
    if isinstance(exc, HTTPError):
        return exc
    if isinstance(exc, NotVisible):
        return NotFound(str(exc))
    if isinstance(exc, PatientInputError | ClassInputError):
        return Invalid(str(exc), field=exc.field)
    if isinstance(exc, DuplicatePhone):
        return Conflict(str(exc), field=exc.field)
    if isinstance(exc, JoinLinkInvalid):
        return Forbidden(str(exc), code="join_link_invalid")
    if isinstance(exc, ImportFailed):
        return Invalid(str(exc) + ": " + "; ".join(str(e) for e in exc.errors[:20]))
    if isinstance(exc, HTTPException):
        error = HTTPError(str(exc.detail))
        error.status = exc.status_code
        error.code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return error
    if isinstance(exc, ProfileError):
        return Invalid(str(exc), field=exc.field)
    if isinstance(exc, IntegrityError):
        # Two requests raced for one unique row (one phone, one enrolment): the loser hears so.
        # Nothing of the statement goes out or into the log: its values are patient data.
        return Conflict("this conflicts with a change made at the same moment; reload and retry")
    if isinstance(exc, NOT_ANSWERING):
        # The database refused or dropped the connection, or none was free in time. Nothing of
        # the statement goes out or into the log (patient data); the type says enough.
        log.warning("database unavailable: %s", why_not_answering(exc))
        return Unavailable(
            "the database is not answering: send the same request again shortly",
            DATABASE_RETRY_AFTER_S,
        )
    raise exc


async def handle_error(request: Request, exc: Exception) -> Response:
    error = to_http_error(exc)
    if isinstance(exc, NotVisible):
        await _audit_denied(request, exc)
    if isinstance(error, Unauthenticated) and request.method == "GET" and not wants_json(request):
        target = quote(request.url.path)
        return RedirectResponse(f"/login?next={target}", status_code=303)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RetryLater) else None
    if isinstance(error, Unauthenticated):
        # RFC 9110: a 401 names the scheme that would work.
        headers = {"WWW-Authenticate": 'Bearer realm="telecoach"'}
    if wants_json(request):
        body: dict[str, object] = {"code": error.code, "message": error.message}
        if error.field:
            body["field"] = error.field
        return JSONResponse({"error": body}, status_code=error.status, headers=headers)
    if not hasattr(request.state, "principal") and not isinstance(error, Unavailable):
        request.state.principal = await _signed_in_or_none(request)
    return render_error(request, error.status, error.message, error.code, headers=headers)


async def _signed_in_or_none(request: Request) -> Principal | None:
    """Who is signed in, for a page no route answered (a mistyped address, a method the path
    does not take): the principal is otherwise found per route, and without it a signed-in
    coach's error page had no navigation and spoke the browser's language, not hers."""
    try:
        return await resolve_principal(request)
    except Unauthenticated:
        return None  # a token that is no one's: the page is an error page either way
    except NOT_ANSWERING:
        return None


async def _audit_denied(request: Request, exc: NotVisible) -> None:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return
    ctx = request.app.state.ctx
    await ctx.db.run(
        record,
        principal.actor,
        f"{exc.kind}.access",
        exc.patient_id,
        "denied",
        f"{request.method} {request.url.path}",
    )

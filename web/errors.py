"""The web layer's exceptions and the one handler that turns any of them into JSON or a page.

    HTTPError                       status + code + message (+ field)
     ├── Unauthenticated            401, or a redirect to /login for a page
     ├── Forbidden                  403
     ├── NotFound                   404
     ├── Invalid                    422, names the field
     ├── Conflict                   409
     ├── TooMany                    429 with Retry-After
     └── PayloadTooLarge            413
Domain errors from `coach/` (input errors, NotVisible, JoinLinkInvalid) are mapped here too.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from coach.access import NotVisible
from coach.audit import record
from coach.classes import ClassInputError
from coach.errors import ProfileError
from coach.join_links import JoinLinkInvalid
from coach.patient_import import ImportFailed
from coach.patients import DuplicatePhone, PatientInputError

log = logging.getLogger("telecoach.web")


class HTTPError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r})"


class Unauthenticated(HTTPError):
    status, code = 401, "unauthenticated"


class Forbidden(HTTPError):
    status, code = 403, "forbidden"


class NotFound(HTTPError):
    status, code = 404, "not_found"


class Conflict(HTTPError):
    status, code = 409, "conflict"


class Invalid(HTTPError):
    status, code = 422, "invalid"


class PayloadTooLarge(HTTPError):
    status, code = 413, "payload_too_large"


class TooMany(HTTPError):
    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
    raise exc


async def handle_error(request: Request, exc: Exception) -> Response:
    error = to_http_error(exc)
    if isinstance(exc, NotVisible):
        await _audit_denied(request, exc)
    if isinstance(error, Unauthenticated) and request.method == "GET" and not wants_json(request):
        target = quote(request.url.path)
        return RedirectResponse(f"/login?next={target}", status_code=303)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooMany) else None
    if isinstance(error, Unauthenticated):
        # RFC 9110: a 401 names the scheme that would work.
        headers = {"WWW-Authenticate": 'Bearer realm="telecoach"'}
    if wants_json(request):
        body: dict[str, object] = {"code": error.code, "message": error.message}
        if error.field:
            body["field"] = error.field
        return JSONResponse({"error": body}, status_code=error.status, headers=headers)
    from web.pages.render import render_error

    return render_error(request, error.status, error.message, headers=headers)


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

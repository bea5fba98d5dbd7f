"""CSRF checks for unsafe methods.

Signed-in browsers: the session's token in a `csrf_token` form field or an `X-CSRF-Token` header.
Anonymous forms (login): a signed double-submit cookie. Bearer-token clients carry no cookies, so
they cannot be forged cross-site and need neither.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from web.auth.principal import Principal
from web.errors import Forbidden

PRE_COOKIE = "tc_pre"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _signer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="telecoach.pre-session-csrf")


def anonymous_token(request: Request, secret_key: str) -> str:
    """The form token for a visitor without a session (its cookie half goes out via `attach`)."""
    nonce = request.cookies.get(PRE_COOKIE, "")
    if not nonce or len(nonce) > 64:
        nonce = secrets.token_urlsafe(24)
        request.state.new_pre_nonce = nonce
    return str(_signer(secret_key).dumps(nonce))


def attach_pre_cookie(request: Request, response: Response, secure: bool) -> None:
    nonce = getattr(request.state, "new_pre_nonce", None)
    if nonce:
        response.set_cookie(PRE_COOKIE, nonce, httponly=True, samesite="strict", secure=secure)


async def submitted_token(request: Request) -> str:
    header = request.headers.get(HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def check(request: Request, principal: Principal | None, secret_key: str) -> None:
    if request.method in SAFE_METHODS:
        return
    if principal is not None and principal.via == "token":
        return
    submitted = await submitted_token(request)
    if principal is not None:
        expected = principal.csrf_token or ""
        if not submitted or not hmac.compare_digest(submitted, expected):
            raise Forbidden(
                "missing or wrong CSRF token; reload the page and try again", code="csrf"
            )
        return
    nonce = request.cookies.get(PRE_COOKIE, "")
    try:
        signed_nonce = _signer(secret_key).loads(submitted) if submitted else None
    except BadSignature:
        signed_nonce = None
    if (
        not nonce
        or not isinstance(signed_nonce, str)
        or not hmac.compare_digest(signed_nonce, nonce)
    ):
        raise Forbidden("missing or wrong CSRF token; reload the page and try again", code="csrf")

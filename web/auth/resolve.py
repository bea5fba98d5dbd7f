"""Turn a request's bearer token or session cookie into a `Principal` (or None)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from web.auth.credentials import credential_of, principals_for
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Unauthenticated


async def resolve_principal(conn: HTTPConnection) -> Principal | None:
    ctx = ctx_of(conn)
    credential = credential_of(conn)
    if credential is None or credential.kind == "device":
        return None
    principals = await ctx.db.run(principals_for, [credential], ctx.session_limits, ctx.clock.now())
    principal = principals[0]
    if principal is None and credential.kind == "token":
        raise Unauthenticated("unknown or revoked API token")
    return principal

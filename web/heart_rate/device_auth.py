"""Who is sending readings: a device token from the Authorization header, within its rate."""

from __future__ import annotations

from starlette.requests import Request

from coach import device_tokens
from coach.hr_models import DeviceToken
from web.context import ctx_of
from web.errors import TooMany, Unauthenticated


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, raw = header.partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else None


def is_device_token(raw: str | None) -> bool:
    return raw is not None and raw.startswith(device_tokens.PREFIX)


async def authenticate_device(request: Request) -> DeviceToken:
    ctx = ctx_of(request)
    raw = bearer(request)
    if not is_device_token(raw):
        raise Unauthenticated(
            "send Authorization: Bearer <device token> (hrd_...), issued for one patient"
        )
    assert raw is not None
    token = await ctx.db.run(device_tokens.authenticate, raw)
    if token is None:
        raise Unauthenticated("unknown or revoked device token")
    assert token.id is not None
    retry = await ctx.device_rate.retry_after(token.id)
    if retry is not None:
        raise TooMany(
            f"more than {ctx.device_rate.per_minute} requests a minute from this device", retry
        )
    return token

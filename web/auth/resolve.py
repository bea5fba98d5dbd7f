"""Turn a request's bearer token or session cookie into a `Principal` (or None)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session
from starlette.requests import HTTPConnection

from coach import device_tokens
from coach.access import Actor
from coach.models import Patient, StaffUser
from web.auth import api_tokens, sessions
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Unauthenticated


def _staff_principal(staff: StaffUser, **extra: object) -> Principal:
    role = "admin" if staff.role == "admin" else "coach"
    return Principal(actor=Actor(role=role, staff_id=staff.id), name=staff.name, **extra)  # type: ignore[arg-type]


def _from_token(session: Session, raw: str) -> Principal | None:
    staff = api_tokens.authenticate(session, raw)
    return None if staff is None else _staff_principal(staff, via="token")


def _from_cookie(session: Session, raw: str, idle: timedelta) -> Principal | None:
    row = sessions.load(session, raw, idle)
    if row is None:
        return None
    if row.staff_id is not None:
        staff = session.get(StaffUser, row.staff_id)
        if staff is None or not staff.active:
            return None
        return _staff_principal(staff, session_row_id=row.id, csrf_token=row.csrf_token)
    patient = session.get(Patient, row.patient_id) if row.patient_id is not None else None
    if patient is None:
        return None
    return Principal(
        actor=Actor(role="patient", patient_id=patient.id),
        name=patient.name,
        language=patient.language,
        session_row_id=row.id,
        csrf_token=row.csrf_token,
    )


async def resolve_principal(conn: HTTPConnection) -> Principal | None:
    ctx = ctx_of(conn)
    authorization = conn.headers.get("authorization")
    if authorization is not None:
        scheme, _, raw = authorization.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthenticated("Authorization must be 'Bearer <token>'")
        if raw.strip().startswith(device_tokens.PREFIX):
            # A heart-rate device: nobody as far as access goes (never the cookie). Only the
            # ingest routes accept it, and they check it themselves (web/heart_rate/device_auth).
            return None
        principal = await ctx.db.run(_from_token, raw.strip())
        if principal is None:
            # A wrong token is an error, not a quiet fall-back to the cookie.
            raise Unauthenticated("unknown or revoked API token")
        return principal
    raw_cookie = conn.cookies.get(sessions.COOKIE_NAME)
    if not raw_cookie:
        return None
    idle = timedelta(minutes=ctx.settings.session_idle_minutes)
    return await ctx.db.run(_from_cookie, raw_cookie, idle)

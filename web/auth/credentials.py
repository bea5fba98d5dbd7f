"""A bearer token or session cookie, and who it belongs to now: one query per table for any
number of them (a request has one; a process's open connections are re-checked together)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, col, select
from starlette.requests import HTTPConnection

from coach import device_tokens
from coach.access import Actor
from coach.models import Patient, StaffUser
from web.auth import api_tokens, sessions
from web.auth.models import WebSession
from web.auth.principal import Principal
from web.errors import Unauthenticated


@dataclass(frozen=True)
class Credential:
    kind: Literal["token", "device", "cookie"]
    raw: str


def _staff_principal(staff: StaffUser, **extra: object) -> Principal:
    role: Literal["admin", "coach"] = "admin" if staff.role == "admin" else "coach"
    return Principal(
        actor=Actor(role=role, staff_id=staff.id),
        name=staff.name,
        language=staff.language,
        time_zone=staff.time_zone,
        **extra,  # type: ignore[arg-type]
    )


def _from_token(session: Session, raw: str) -> Principal | None:
    staff = api_tokens.authenticate(session, raw)
    return None if staff is None else _staff_principal(staff, via="token")


def principals_for(
    session: Session,
    credentials: Sequence[Credential],
    limits: sessions.SessionLimits,
    now: datetime,
) -> list[Principal | None]:
    """Who each credential belongs to now (None: nobody, or no longer), in a handful of queries
    however many there are: a request has one, a process's open connections many."""
    cookies = [c.raw for c in credentials if c.kind == "cookie"]
    rows = sessions.load_many(session, cookies, limits, now) if cookies else {}
    staff_ids = {row.staff_id for row in rows.values() if row.staff_id is not None}
    patient_ids = {row.patient_id for row in rows.values() if row.patient_id is not None}
    staff = _by_id(session, StaffUser, staff_ids)
    patients = _by_id(session, Patient, patient_ids)
    found: list[Principal | None] = []
    for credential in credentials:
        if credential.kind == "token":
            found.append(_from_token(session, credential.raw))
        elif credential.kind == "cookie" and credential.raw in rows:
            found.append(_from_session(rows[credential.raw], staff, patients))
        else:
            found.append(None)
    return found


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(ids)))}


def _from_session(
    row: WebSession, staff: dict[int, StaffUser], patients: dict[int, Patient]
) -> Principal | None:
    if row.staff_id is not None:
        member = staff.get(row.staff_id)
        if member is None or not member.active:
            return None
        return _staff_principal(member, session_row_id=row.id, csrf_token=row.csrf_token)
    patient = patients.get(row.patient_id) if row.patient_id is not None else None
    if patient is None:
        return None
    return Principal(
        actor=Actor(role="patient", patient_id=patient.id),
        name=patient.name,
        language=patient.language,
        time_zone=patient.time_zone,
        session_row_id=row.id,
        csrf_token=row.csrf_token,
    )


def credential_of(conn: HTTPConnection) -> Credential | None:
    """The bearer token or session cookie a request carries; a malformed Authorization header is
    an error, not a quiet fall-back to the cookie."""
    authorization = conn.headers.get("authorization")
    if authorization is not None:
        scheme, _, raw = authorization.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthenticated("Authorization must be 'Bearer <token>'")
        raw = raw.strip()
        # A heart-rate device is nobody as far as access goes (never the cookie). Only the
        # ingest routes accept it, and they check it themselves (web/heart_rate/device_auth).
        return Credential("device" if raw.startswith(device_tokens.PREFIX) else "token", raw)
    raw_cookie = conn.cookies.get(sessions.COOKIE_NAME)
    return Credential("cookie", raw_cookie) if raw_cookie else None

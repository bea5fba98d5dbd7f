"""Personal API tokens for staff: shown once, stored as a digest, revocable."""

from __future__ import annotations

from sqlmodel import Session, select

from coach.models import StaffUser, utcnow
from web.auth.models import ApiToken
from web.auth.secrets_util import digest, new_token

PREFIX = "tc_"


def create(session: Session, staff: StaffUser, name: str) -> tuple[ApiToken, str]:
    assert staff.id is not None
    raw = PREFIX + new_token()
    token = ApiToken(
        staff_id=staff.id, name=name[:100] or "token", token_hash=digest(raw), prefix=raw[:10]
    )
    session.add(token)
    session.flush()
    return token, raw


def authenticate(session: Session, raw: str) -> StaffUser | None:
    if not raw.startswith(PREFIX) or len(raw) > 128:
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(raw))).first()
    if token is None or token.revoked_at is not None:
        return None
    staff = session.get(StaffUser, token.staff_id)
    if staff is None or not staff.active:
        return None
    token.last_used_at = utcnow()
    session.add(token)
    return staff


def for_staff(session: Session, staff_id: int) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.staff_id == staff_id)))


def revoke(session: Session, staff_id: int, token_id: int) -> bool:
    token = session.get(ApiToken, token_id)
    if token is None or token.staff_id != staff_id:
        return False
    token.revoked_at = token.revoked_at or utcnow()
    session.add(token)
    return True

"""Join links: a signed, expiring, revocable token bound to one patient, no password needed.

The token signs the id of a `JoinLink` row and a random nonce; the row is what can be revoked or
expire early, the signature is what makes a guessed or edited token worthless.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from coach.models import JoinLink, utcnow

_SALT = "telecoach.join-link"


class JoinLinkInvalid(ValueError):
    """Tampered, expired, revoked or unknown; `reason` says which, for the audit trail only."""

    def __init__(self, reason: str) -> None:
        super().__init__("this join link is not valid")
        self.reason = reason


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def issue(
    session: Session,
    secret_key: str,
    patient_id: int,
    created_by: int | None,
    valid_for: timedelta,
    now: datetime | None = None,
) -> tuple[JoinLink, str]:
    now = now or utcnow()
    link = JoinLink(
        patient_id=patient_id,
        nonce=secrets.token_urlsafe(24),
        created_by=created_by,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(link)
    session.flush()
    return link, token_for(secret_key, link)


def token_for(secret_key: str, link: JoinLink) -> str:
    """The link's token (the same every time): what a person opens to use it."""
    return str(_serializer(secret_key).dumps([link.id, link.nonce]))


def resolve(session: Session, secret_key: str, token: str, now: datetime | None = None) -> JoinLink:
    now = now or utcnow()
    if len(token) > 512:
        raise JoinLinkInvalid("too long")
    try:
        link_id, nonce = _serializer(secret_key).loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise JoinLinkInvalid("bad signature") from exc
    link = session.get(JoinLink, link_id) if isinstance(link_id, int) else None
    if link is None or not secrets.compare_digest(str(nonce), link.nonce):
        raise JoinLinkInvalid("unknown link")
    if link.revoked_at is not None:
        raise JoinLinkInvalid("revoked")
    if link.expires_at <= now:
        raise JoinLinkInvalid("expired")
    return link


def revoke(session: Session, link: JoinLink, now: datetime | None = None) -> None:
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        session.add(link)

"""Per-device bearer tokens for heart-rate ingest: shown once, stored as a digest, revocable.

A device token proves only "this device speaks for this one patient": it is not a staff or patient
session and opens nothing but the ingest routes. Its prefix tells it apart from staff API tokens.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlmodel import Session, col, select

from coach.hr_models import DeviceToken
from coach.models import Patient, utcnow

PREFIX = "hrd_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(
    session: Session, patient_id: int, name: str, created_by: int | None
) -> tuple[DeviceToken, str]:
    raw = PREFIX + secrets.token_urlsafe(32)
    token = DeviceToken(
        patient_id=patient_id,
        name=name.strip()[:100] or "device",
        token_hash=_digest(raw),
        prefix=raw[:10],
        created_by=created_by,
    )
    session.add(token)
    session.flush()
    return token, raw


def authenticate(session: Session, raw: str) -> DeviceToken | None:
    """The live token for `raw`, or None (unknown, revoked, malformed, or its patient is gone)."""
    if not raw.startswith(PREFIX) or len(raw) > 128:
        return None
    token = session.exec(select(DeviceToken).where(DeviceToken.token_hash == _digest(raw))).first()
    if token is None or token.revoked_at is not None:
        return None
    if session.get(Patient, token.patient_id) is None:
        return None
    token.last_used_at = utcnow()
    session.add(token)
    return token


def for_patient(session: Session, patient_id: int) -> list[DeviceToken]:
    query = (
        select(DeviceToken)
        .where(DeviceToken.patient_id == patient_id)
        .order_by(col(DeviceToken.id).desc())
    )
    return list(session.exec(query))


def revoke(session: Session, patient_id: int, token_id: int) -> bool:
    token = session.get(DeviceToken, token_id)
    if token is None or token.patient_id != patient_id:
        return False
    token.revoked_at = token.revoked_at or utcnow()
    session.add(token)
    return True

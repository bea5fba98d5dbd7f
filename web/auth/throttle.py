"""Login throttling per account and per address, shared by every process through the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from coach.models import utcnow
from web.auth.models import LoginFailure


@dataclass(frozen=True)
class ThrottlePolicy:
    per_account: int
    per_ip: int
    window: timedelta


def _scopes(email: str, ip: str) -> tuple[str, str]:
    return f"account:{email.lower()[:250]}", f"ip:{ip[:45]}"


def _count(session: Session, scope: str, window: timedelta) -> int:
    since = utcnow() - window
    query = (
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.scope == scope, col(LoginFailure.at) > since)
    )
    return int(session.exec(query).one())


def record_attempt(session: Session, email: str, ip: str) -> list[int]:
    """Count this attempt as a failure before the password is checked, so that parallel attempts
    each see the others (checking first and recording after the slow hash let 14 of 100 parallel
    guesses through a limit of 5). The ids are for `forget` when it turns out to be no failure."""
    rows = [LoginFailure(scope=scope) for scope in _scopes(email, ip)]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows if row.id is not None]


def is_throttled(session: Session, policy: ThrottlePolicy, email: str, ip: str) -> bool:
    """Over the limit, counting the attempt just recorded."""
    account, address = _scopes(email, ip)
    return (
        _count(session, account, policy.window) > policy.per_account
        or _count(session, address, policy.window) > policy.per_ip
    )


def forget(session: Session, attempt: list[int]) -> None:
    """An attempt that was refused without a guess, or that succeeded, is no failure."""
    session.exec(delete(LoginFailure).where(col(LoginFailure.id).in_(attempt)))


def clear_account(session: Session, email: str, window: timedelta) -> None:
    account, _ = _scopes(email, "")
    session.exec(delete(LoginFailure).where(col(LoginFailure.scope) == account))
    # Old rows for every scope are garbage once outside the window.
    session.exec(delete(LoginFailure).where(col(LoginFailure.at) < utcnow() - window))

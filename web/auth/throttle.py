"""Login throttling, shared by every process through the database.

Three counts: one account from one address (the usual guesser: a few tries), one address over
all accounts (someone trying many), and one account from every address together at ten times
the first (guessing spread over many addresses). Locking an account everywhere after five
failures, as this did, let anyone who knew a coach's email keep the coach out; now a stranger's
failures lock out only the stranger's address, unless they come from many.
"""

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


ACCOUNT_WIDE_FACTOR = 10


def _scopes(email: str, ip: str) -> tuple[str, str, str]:
    """(this account from this address, this address, this account from anywhere)."""
    account = email.lower()[:200]
    return f"pair:{ip[:45]}:{account}", f"ip:{ip[:45]}", f"account:{account}"


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
    pair, address, account = _scopes(email, ip)
    return (
        _count(session, pair, policy.window) > policy.per_account
        or _count(session, address, policy.window) > policy.per_ip
        or _count(session, account, policy.window) > policy.per_account * ACCOUNT_WIDE_FACTOR
    )


def forget(session: Session, attempt: list[int]) -> None:
    """An attempt that was refused without a guess, or that succeeded, is no failure."""
    session.exec(delete(LoginFailure).where(col(LoginFailure.id).in_(attempt)))


def clear_account(session: Session, email: str, ip: str, window: timedelta) -> None:
    """A right password: this account's failures from this address start over. Its count from
    everywhere does not (a coach signing in must not hand a spread-out guesser fresh tries), nor
    the address's over other accounts; both leave the window in time."""
    pair, _, _ = _scopes(email, ip)
    session.exec(delete(LoginFailure).where(col(LoginFailure.scope) == pair))
    # Old rows for every scope are garbage once outside the window.
    session.exec(delete(LoginFailure).where(col(LoginFailure.at) < utcnow() - window))

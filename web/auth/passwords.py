"""Argon2id password hashing; unknown accounts still cost one verification (no timing oracle)."""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 1024


class WeakPassword(ValueError):
    pass


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy(self) -> str:
        # Made on first need, not at start: a full-cost argon2 hash is most of create_app's time.
        return self._hasher.hash("telecoach-timing-equalizer")

    def hash(self, password: str) -> str:
        if len(password) < MIN_LENGTH:
            raise WeakPassword(f"password must be at least {MIN_LENGTH} characters")
        if len(password) > MAX_LENGTH:
            raise WeakPassword(f"password must be at most {MAX_LENGTH} characters")
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        if len(password) > MAX_LENGTH:
            return False
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

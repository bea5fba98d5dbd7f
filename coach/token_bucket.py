"""A token bucket: `rate` tokens a second, at most `burst` saved up. The one shape every limit
here takes: signaling messages a connection may send, heart-rate readings a live socket may
send, texts a sending number may send (scheduler/pacing.py, which also keeps one in Redis).

Time is whatever the caller passes (monotonic seconds, or a clock's), so it is tested without
waiting."""

from __future__ import annotations


class TokenBucket:
    __slots__ = ("at", "burst", "rate", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst  # a new bucket starts full
        self.at = now

    def _refill(self, now: float) -> None:
        if now > self.at:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now

    def take(self, now: float, count: float = 1.0) -> bool:
        """Spend `count` tokens if there are that many; False (nothing spent) if not."""
        self._refill(now)
        if self.tokens < count:
            return False
        self.tokens -= count
        return True

    def reserve(self, now: float) -> float:
        """Spend one token even if there is none yet: the seconds to wait until it is there (the
        balance below zero is the queue of reservations ahead)."""
        self._refill(now)
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

"""Send pacing per sender: a token bucket, in memory (one process) or in Redis (shared by every
process that sends from the same number).

The bucket hands out slots: `reserve` takes the next token and says how long to wait for it, so a
caller makes one round trip and then waits on its own clock. Tokens refill at `rate` a second up to
`burst`; a long code's 1 message a second is `rate=1, burst=1`. Time comes from the injected clock
(hosts sharing a bucket need synchronised clocks, as they do for due times anyway).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from coach.clock import Clock
from coach.token_bucket import TokenBucket


class RateLimiter(Protocol):
    async def reserve(self, sender: str, now: float) -> float:
        """Take the next token for `sender`; the seconds to wait before using it."""
        ...


async def take(limiter: RateLimiter, sender: str, clock: Clock) -> None:
    wait = await limiter.reserve(sender, clock.now().timestamp())
    if wait > 0:
        await clock.sleep(wait)


@dataclass
class MemoryRateLimiter:
    rate: float
    burst: float = 1.0
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    async def reserve(self, sender: str, now: float) -> float:
        bucket = self._buckets.get(sender)
        if bucket is None:
            bucket = self._buckets[sender] = TokenBucket(self.rate, self.burst, now)
        return bucket.reserve(now)


# Atomic in Redis, the arithmetic of coach/token_bucket.py's `reserve`: refill, take one token
# (the balance may go below zero: that is the queue of reservations), and report the wait for
# this one. Returned as a string: Redis truncates numbers.
_RESERVE = """
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, at = burst, now end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('EXPIRE', KEYS[1], ARGV[4])
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""


class RedisRateLimiter:
    def __init__(
        self, redis: Any, rate: float, burst: float = 1.0, prefix: str = "telecoach"
    ) -> None:
        self.redis = redis
        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        self._script = redis.register_script(_RESERVE)

    async def reserve(self, sender: str, now: float) -> float:
        # The key outlives any queue of reservations: an hour, or longer at a very slow rate.
        ttl = max(3600, int(self.burst / self.rate) + 60)
        key = f"{self.prefix}:rate:{sender}"
        raw = await self._script(keys=[key], args=[self.rate, self.burst, repr(now), ttl])
        return float(raw.decode() if isinstance(raw, bytes) else raw)

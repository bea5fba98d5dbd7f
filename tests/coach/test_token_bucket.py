"""The one token bucket behind every limit (signaling messages, live readings, texts a second)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from coach.token_bucket import TokenBucket


def test_a_full_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3.0, now=100.0)
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(100.4)  # 0.8 of a token
    assert bucket.take(100.5)  # one token after half a second at 2 a second
    assert bucket.take(200.0, 3) and not bucket.take(200.0)  # never more than the burst saved


def test_a_refused_take_spends_nothing() -> None:
    bucket = TokenBucket(rate=1.0, burst=5.0, now=0.0)
    assert not bucket.take(0.0, 6)
    assert bucket.take(0.0, 5)


def test_reservations_queue_up_behind_each_other() -> None:
    bucket = TokenBucket(rate=1.0, burst=1.0, now=10.0)
    assert [bucket.reserve(10.0) for _ in range(3)] == [0.0, 1.0, 2.0]
    assert bucket.reserve(12.5) == 0.5  # the third reservation is due at 12, this one at 13


@given(
    st.floats(0.1, 100),
    st.floats(1, 50),
    st.lists(st.tuples(st.floats(0, 5), st.integers(1, 5)), max_size=50),
)
def test_never_more_taken_than_the_burst_plus_what_the_rate_adds(
    rate: float, burst: float, steps: list[tuple[float, int]]
) -> None:
    bucket, now, taken = TokenBucket(rate, burst, 0.0), 0.0, 0
    for gap, count in steps:
        now += gap
        taken += count if bucket.take(now, count) else 0
    assert taken <= burst + rate * now + 1e-6

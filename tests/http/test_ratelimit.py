"""Group server mode's rate limits on a fake clock: token buckets that never let more through than their
burst plus their rate over any window, say how long to wait, and keep each token's bucket apart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsmsyncd.http.ratelimit import Limiter, TokenBucket, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_new_bucket_lets_its_burst_through_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(rate=0.5, capacity=3)
    assert [bucket.take(10.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(10.0) == pytest.approx(2.0)  # one request per 2 s
    assert bucket.take(11.0) == pytest.approx(1.0)  # a refused request takes nothing
    assert bucket.take(12.0) == 0.0


def test_a_bucket_refills_up_to_its_capacity_and_no_more() -> None:
    bucket = TokenBucket(rate=1.0, capacity=2)
    bucket.take(0.0), bucket.take(0.0)
    assert bucket.wait(1000.0) == 0.0 and bucket.level == 2


def test_a_clock_that_goes_backwards_refills_nothing() -> None:
    bucket = TokenBucket(rate=1.0, capacity=1)
    assert bucket.take(100.0) == 0.0
    assert bucket.take(50.0) > 0  # the clock jumped back: no new room
    assert bucket.take(100.5) == pytest.approx(0.5)
    assert bucket.take(101.0) == 0.0


@settings(max_examples=200, deadline=None)
@given(rate=st.floats(0.1, 50), capacity=st.integers(1, 20),
       gaps=st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=200),
       window=st.floats(0.01, 30))
def test_no_window_ever_lets_more_through_than_the_burst_plus_the_rate(rate: float, capacity: int,
                                                                      gaps: list[float], window: float) -> None:
    """Whatever the spacing of requests, in any window of t seconds at most capacity + rate * t pass."""
    bucket, now, passed = TokenBucket(rate, capacity), 0.0, []
    for gap in gaps:
        now += gap
        if bucket.take(now) == 0.0:
            passed.append(now)
    for i, start in enumerate(passed):
        inside = sum(1 for t in passed[i:] if t - start <= window)
        assert inside <= capacity + rate * window + 1e-9


@pytest.mark.parametrize(("wait", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (1799.5, "1800")])
def test_retry_after_is_whole_seconds_rounded_up(wait: float, header: str) -> None:
    assert retry_after(wait) == header


def test_each_token_has_its_own_bucket_and_its_own_rate() -> None:
    clock = Clock()
    limiter = Limiter(per_token=1.0, burst=2, overall=1000, overall_burst=1000, clock=clock)
    assert [limiter.admit_token("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.admit_token("a") > 0
    assert limiter.admit_token("b") == 0.0  # another client is not slowed by the first
    # A token with a rate of its own: 2 per hour, both at once, then one every 30 minutes.
    assert [limiter.admit_token("c", 2 / 3600, 2) for _ in range(2)] == [0.0, 0.0]
    assert limiter.admit_token("c", 2 / 3600, 2) == pytest.approx(1800)
    clock.now += 1800
    assert limiter.admit_token("c", 2 / 3600, 2) == 0.0


def test_the_overall_bucket_counts_every_request() -> None:
    clock = Clock()
    limiter = Limiter(per_token=100, burst=100, overall=2.0, overall_burst=3, clock=clock)
    assert [limiter.admit() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.admit() == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.admit() == 0.0


def test_forgotten_buckets_come_back_full() -> None:
    clock = Clock()
    limiter = Limiter(per_token=0.001, burst=1, overall=1000, overall_burst=1000, clock=clock, max_tokens=2)
    assert limiter.admit_token("a") == 0.0 and limiter.admit_token("a") > 0
    limiter.admit_token("b"), limiter.admit_token("c")  # "a" is the least recently used: forgotten
    assert limiter.admit_token("a") == 0.0


def test_a_bucket_without_room_or_rate_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0, capacity=1)
    with pytest.raises(ValueError):
        TokenBucket(rate=1, capacity=0.5)

"""Group server mode's rate limits: token buckets, pure (the clock is passed in), one per client token and
one for every caller together.

A bucket holds up to ``capacity`` requests and refills at ``rate`` per second; a request takes one or is
told how many seconds until one is there (what ``Retry-After`` says). So in any window of ``t`` seconds a
bucket lets at most ``capacity + rate * t`` requests through, however they are spaced. A clock that goes
backwards (a suspended machine, a changed clock) refills nothing, and never lets more through.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Limiter", "TokenBucket", "retry_after"]


@dataclass
class TokenBucket:
    rate: float  # requests per second
    capacity: float  # the burst
    level: float = field(default=-1.0)
    at: float | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.capacity < 1:
            raise ValueError("a bucket needs a rate above 0 and room for one request")
        if self.level < 0:
            self.level = self.capacity  # a new bucket starts full

    def _fill(self, now: float) -> None:
        if self.at is not None and now > self.at:
            self.level = min(self.capacity, self.level + (now - self.at) * self.rate)
        if self.at is None or now > self.at:
            self.at = now

    def wait(self, now: float) -> float:
        """Seconds until a request would be let through (0: now); takes nothing."""
        self._fill(now)
        return 0.0 if self.level >= 1 else (1 - self.level) / self.rate

    def take(self, now: float) -> float:
        """Let one request through (0.0), or say how long to wait, taking nothing."""
        waited = self.wait(now)
        if waited == 0.0:
            self.level -= 1
        return waited


def retry_after(seconds: float) -> str:
    """The ``Retry-After`` value for a wait: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))


class Limiter:
    """One bucket per token (``per_token`` requests per second, ``burst`` at once, or a token's own rate)
    and one for everyone (``overall``, ``overall_burst``). Buckets of tokens unused for long are forgotten
    (at most ``max_tokens`` kept, least recently used out first): a full bucket is what a new one is."""

    def __init__(self, per_token: float, burst: int, overall: float, overall_burst: int, *,
                 clock: Callable[[], float], max_tokens: int = 10_000) -> None:
        self._per_token, self._burst, self._clock, self._max = per_token, burst, clock, max_tokens
        self._overall = TokenBucket(overall, overall_burst)
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def admit(self) -> float:
        """Every request, before anything else is done for it: 0.0, or the seconds to wait."""
        return self._overall.take(self._clock())

    def admit_token(self, token_id: str, rate: float | None = None, burst: int | None = None) -> float:
        """A request of this token: 0.0, or the seconds to wait. ``rate`` (per second) and ``burst`` are
        the token's own, when it has them."""
        per_second = rate or self._per_token
        capacity = float(burst or self._burst)
        bucket = self._buckets.get(token_id)
        if bucket is None or bucket.rate != per_second or bucket.capacity != capacity:
            bucket = TokenBucket(per_second, capacity)
            self._buckets[token_id] = bucket
        self._buckets.move_to_end(token_id)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        return bucket.take(self._clock())

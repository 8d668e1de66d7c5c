"""Politeness toward Blizzard's API: a request budget per second and per hour, and the retry schedule.

Blizzard allows 100 requests per second and 36,000 per hour per client; going over the per-second limit
earns a 429 "for the remainder of the second" (reference §4). The limiter keeps a sliding log of request
start times, so no window of one second (or one hour) ever holds more than its budget — a token bucket
would let a full bucket plus a second's refill through in the same second. Clock and sleep are injected
so tests can check the schedule exactly.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import monotonic

__all__ = ["RateLimiter", "RetryPolicy"]


class RateLimiter:
    """At most ``per_second`` request starts in any 1 s window and ``per_hour`` in any hour."""

    def __init__(
        self,
        per_second: int = 90,
        per_hour: int = 36_000,
        *,
        clock: Callable[[], float] = monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second < 1 or per_hour < 1:
            raise ValueError("rate limits must be at least 1 request")
        self.per_second, self.per_hour = per_second, per_hour
        self._clock, self._sleep = clock, sleep
        self._second: deque[float] = deque()
        self._hour: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more request fits both windows, then count it."""
        async with self._lock:  # FIFO: requests start in the order they asked
            while True:
                now = self._clock()
                wait = max(self._wait(self._second, self.per_second, 1.0, now),
                           self._wait(self._hour, self.per_hour, 3600.0, now))
                if wait <= 0:
                    break
                await self._sleep(wait)
            self._second.append(now)
            self._hour.append(now)

    @staticmethod
    def _wait(log: deque[float], budget: int, window: float, now: float) -> float:
        while log and log[0] <= now - window:
            log.popleft()
        return 0.0 if len(log) < budget else log[0] + window - now


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before retry ``n`` (1-based): exponential with full jitter, capped, and a bounded
    number of attempts. ``Retry-After`` (when Blizzard sends one) wins over the schedule, up to ``max_wait``."""

    attempts: int = 4  # total tries of one request, the first included
    base: float = 1.0
    cap: float = 20.0
    max_wait: float = 60.0  # never sleep longer than this for one retry, whatever a server asks
    jitter: Callable[[float, float], float] = random.uniform  # "half to full": spreads retries, never zero

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_wait)
        ceiling = min(self.cap, self.base * 2 ** (retry - 1))
        return self.jitter(ceiling / 2, ceiling)

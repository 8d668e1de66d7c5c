"""Politeness toward Blizzard's API: a request budget per second and per hour, and the retry schedule.

Blizzard allows 100 requests per second and 36,000 per hour per client; going over the per-second limit
earns a 429 "for the remainder of the second" (reference §4). The limiter keeps a sliding log of request
times, so no window of one second (or one hour) ever holds more than its budget — a token bucket would
let a full bucket plus a second's refill through in the same second.

What is counted is a *slot*, from the moment it is granted until the request has provably gone out. A
request starts some unknown time after its slot is granted (the event loop may be busy, the connection
pool may wait), so a log of grant times alone can let two requests that were granted a second apart
start within the same second. Instead a slot occupies its window while it is in flight, and its time in
the log is the moment the caller marks it sent (response headers in hand: later than the real start) or
releases it. The next grant that would exceed the budget waits until that stamp is a whole window old,
so for any request ``i``, request ``i + budget`` starts at least one window after request ``i`` did,
whatever the scheduling delays. Clock and sleep are injected so tests check the schedule exactly.
"""

from __future__ import annotations

import asyncio
import bisect
import random
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from time import monotonic

__all__ = ["RateLimiter", "RetryPolicy", "Slot"]


class Slot:
    """One granted request. ``mark()`` when the request has certainly started (e.g. its response
    arrived); a slot released unmarked is stamped at release, which is later still and so also safe."""

    __slots__ = ("_limiter", "stamp")

    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter
        self.stamp: float | None = None

    def mark(self) -> None:
        if self.stamp is None:
            self.stamp = self._limiter._clock()


class RateLimiter:
    """At most ``per_second`` requests in any 1 s window and ``per_hour`` in any hour, counting every
    request in flight as inside the window. ``margin`` widens the windows a little, because Blizzard
    counts arrivals and the network delays some requests more than others."""

    def __init__(
        self,
        per_second: int = 90,
        per_hour: int = 36_000,
        *,
        margin: float = 0.0,
        clock: Callable[[], float] = monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second < 1 or per_hour < 1:
            raise ValueError("rate limits must be at least 1 request")
        if not 0 <= margin < 1:
            raise ValueError("the margin is a fraction of a second")
        self.per_second, self.per_hour, self.margin = per_second, per_hour, margin
        self._clock, self._sleep = clock, sleep
        self._second: deque[float] = deque()
        self._hour: deque[float] = deque()
        self._in_flight = 0
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """Wait for room in both windows, hold it while the request runs, and log it when done."""
        await self._grant()
        slot = Slot(self)
        try:
            yield slot
        finally:
            slot.mark()
            assert slot.stamp is not None
            _insert(self._second, slot.stamp)
            _insert(self._hour, slot.stamp)
            self._in_flight -= 1
            self._released.set()

    async def acquire(self) -> None:
        """A slot released at once: for callers that only need the pacing (and tests)."""
        async with self.slot():
            pass

    async def _grant(self) -> None:
        async with self._lock:  # FIFO: requests are granted in the order they asked
            while True:
                now = self._clock()
                wait = max(self._wait(self._second, self.per_second, 1.0 + self.margin, now),
                           self._wait(self._hour, self.per_hour, 3600.0 + self.margin, now))
                if wait == 0.0:
                    break
                if wait == float("inf"):  # the window is full of requests still in flight
                    self._released.clear()
                    await self._released.wait()
                else:
                    await self._sleep(wait)
            self._in_flight += 1

    def _wait(self, log: deque[float], budget: int, window: float, now: float) -> float:
        while log and log[0] <= now - window:
            log.popleft()
        if len(log) + self._in_flight < budget:
            return 0.0
        if len(log) + self._in_flight - budget >= len(log):  # even if every logged stamp expired: no room
            return float("inf")
        # Room opens when enough logged stamps have left the window.
        return log[len(log) + self._in_flight - budget] + window - now


def _insert(log: deque[float], stamp: float) -> None:
    """Keep the log sorted: slots are released in any order, but mostly in order (a cheap append)."""
    if not log or stamp >= log[-1]:
        log.append(stamp)
    else:
        bisect.insort(log, stamp)


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

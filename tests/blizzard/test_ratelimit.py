"""The rate limiter on a virtual clock: the per-second budget holds for the times requests really start,
whatever delays the event loop adds between a grant and the start (issue 10, class 9: the flaky burst test
was a real bug — grant times were logged, so two requests granted a second apart could start within one)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random

import pytest

from tsmsyncd.blizzard.ratelimit import RateLimiter


class VirtualClock:
    """Time that passes only when every task is waiting: ``sleep`` parks a task until the clock reaches
    its deadline; ``run`` advances to the next deadline when the loop has nothing else to do."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(seconds, 0.0), next(self._order), future))
        await future

    async def run(self, work: asyncio.Future) -> None:
        while not work.done():
            for _ in range(50):  # let every runnable task reach its next wait
                await asyncio.sleep(0)
            if self._timers and not work.done():
                when, _, future = heapq.heappop(self._timers)
                self.now = max(self.now, when)
                future.set_result(None)


def most_in_any_window(starts: list[float], window: float = 1.0) -> int:
    starts = sorted(starts)
    return max(sum(t <= u < t + window for u in starts[i:]) for i, t in enumerate(starts))


@pytest.mark.parametrize("seed", range(20))
async def test_no_second_ever_holds_more_starts_than_the_budget_whatever_the_delays(seed: int) -> None:
    """Each request starts a random time after its grant (a busy loop, a connection pool) and its
    response arrives later still; the starts never exceed 10 in any one-second window."""
    rng = random.Random(seed)
    clock = VirtualClock()
    limiter = RateLimiter(per_second=10, clock=clock.clock, sleep=clock.sleep)
    starts: list[float] = []

    async def request() -> None:
        async with limiter.slot() as slot:
            await clock.sleep(rng.choice([0.0, 0.0, rng.uniform(0, 0.6)]))  # scheduling delay before the send
            starts.append(clock.now)
            await clock.sleep(rng.uniform(0.001, 0.3))  # until the response headers arrive
            slot.mark()
            await clock.sleep(rng.uniform(0, 0.2))  # reading the body

    work = asyncio.ensure_future(asyncio.gather(*(request() for _ in range(40))))
    await clock.run(work)
    await work
    assert len(starts) == 40
    assert most_in_any_window(starts) <= 10
    assert max(starts) >= 3.0  # 40 requests at 10 per second need more than three seconds


async def test_requests_in_flight_fill_the_window_until_they_are_released() -> None:
    """With the whole budget in flight, the next request waits for a release, not for the clock."""
    clock = VirtualClock()
    limiter = RateLimiter(per_second=2, clock=clock.clock, sleep=clock.sleep)
    granted: list[tuple[str, float]] = []

    async def slow(name: str) -> None:
        async with limiter.slot():
            granted.append((name, clock.now))
            await clock.sleep(5.0)

    async def late() -> None:
        await clock.sleep(0.1)
        async with limiter.slot():
            granted.append(("late", clock.now))

    work = asyncio.ensure_future(asyncio.gather(slow("a"), slow("b"), late()))
    await clock.run(work)
    await work
    assert granted == [("a", 0.0), ("b", 0.0), ("late", 6.0)]  # released at 5.0, counted for one second


async def test_the_margin_widens_the_window() -> None:
    clock = VirtualClock()
    limiter = RateLimiter(per_second=1, margin=0.25, clock=clock.clock, sleep=clock.sleep)
    times: list[float] = []

    async def three() -> None:
        for _ in range(3):
            await limiter.acquire()
            times.append(clock.now)

    work = asyncio.ensure_future(three())
    await clock.run(work)
    assert times == [0.0, 1.25, 2.5]


def test_limits_must_be_sane() -> None:
    with pytest.raises(ValueError):
        RateLimiter(per_second=0)
    with pytest.raises(ValueError):
        RateLimiter(margin=1.5)

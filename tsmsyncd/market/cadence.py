"""When to ask Blizzard again: learn each source's publish cadence from the ``Last-Modified`` times of its
stored snapshots (reference blizzard-api.md §3: hourly, drifting, sometimes late), and back off while a
snapshot is overdue. Pure: the times and the clock are given.

    next check = newest snapshot + the shortest recent interval − a little (``EARLY``)
    overdue    → 1, 5, 15, then every 30 minutes after the last check, until a new snapshot arrives

The shortest of the recent intervals (not the mean) is used because a late snapshot stretches one interval
and would otherwise push every later check late too; intervals under ``MIN_INTERVAL`` are duplicates or
mirrors catching up and are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

__all__ = ["BACKOFF", "DEFAULT_INTERVAL", "EARLY", "expected_next", "next_check"]

DEFAULT_INTERVAL = timedelta(hours=1)
MIN_INTERVAL = timedelta(minutes=20)
MAX_INTERVAL = timedelta(hours=6)
EARLY = timedelta(minutes=2)
RECENT = 12  # intervals looked at
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=30))


def interval_of(published: Sequence[datetime]) -> timedelta:
    """The source's cadence: the shortest sensible interval between its recent snapshots."""
    times = sorted(published)[-(RECENT + 1):]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False) if MIN_INTERVAL <= b - a <= MAX_INTERVAL]
    return min(gaps) if gaps else DEFAULT_INTERVAL


def expected_next(published: Sequence[datetime]) -> datetime | None:
    """When the next snapshot should appear (None: nothing stored yet)."""
    if not published:
        return None
    return max(published) + interval_of(published)


def next_check(published: Sequence[datetime], last_checked: datetime | None, now: datetime) -> datetime:
    """When to check this source next. ``last_checked`` is the last request (200, 304 or an error)."""
    expected = expected_next(published)
    if expected is None:
        return now  # nothing known: ask now
    early = expected - EARLY
    if last_checked is None or last_checked < early:
        return max(early, now) if last_checked is not None else now
    # Overdue: each check since the expected time found nothing new; wait longer after each.
    checks_since = _misses(early, last_checked)
    return max(last_checked + BACKOFF[min(checks_since, len(BACKOFF) - 1)], now)


def _misses(early: datetime, last_checked: datetime) -> int:
    """How many backoff steps fit between the expected time and the last check (the checks already made
    while overdue, if each waited its step)."""
    elapsed, steps, waited = last_checked - early, 0, timedelta(0)
    for step in BACKOFF:
        if waited + step > elapsed:
            return steps
        waited += step
        steps += 1
    return steps + int((elapsed - waited) / BACKOFF[-1])

"""When to ask Blizzard again, on a fake clock: the cadence is learned from stored snapshot times and an
overdue snapshot is asked for at 1, 5, 15, then every 30 minutes (market/cadence.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tsmsyncd.market.cadence import EARLY, expected_next, interval_of, next_check

T0 = datetime(2026, 12, 1, 12, 7, tzinfo=UTC)


def hourly(n: int, drift: timedelta = timedelta(0)) -> list[datetime]:
    return [T0 + i * (timedelta(hours=1) + drift) for i in range(n)]


def test_nothing_stored_means_ask_now() -> None:
    assert next_check([], None, T0) == T0


def test_the_next_check_is_the_newest_snapshot_plus_the_shortest_interval_a_little_early() -> None:
    times = hourly(6)
    times[3] += timedelta(minutes=25)  # one late snapshot: 85 min, then 35 min to the next (on time again)
    assert interval_of(times) == timedelta(minutes=35)  # the shortest: asking early costs one 304, late costs data
    steady = hourly(6, drift=timedelta(minutes=2))
    assert interval_of(steady) == timedelta(minutes=62)
    assert expected_next(steady) == steady[-1] + timedelta(minutes=62)
    checked = steady[-1] + timedelta(minutes=1)
    assert next_check(steady, checked, checked) == steady[-1] + timedelta(minutes=62) - EARLY


def test_duplicates_and_long_gaps_are_not_the_cadence() -> None:
    times = [T0, T0 + timedelta(minutes=3), T0 + timedelta(hours=1), T0 + timedelta(hours=9)]
    assert interval_of(times) == timedelta(minutes=57)  # not the 3-minute duplicate, not the 8-hour outage


def test_an_overdue_snapshot_is_asked_for_at_1_5_15_then_every_30_minutes() -> None:
    times = hourly(4)
    due = times[-1] + timedelta(hours=1) - EARLY
    checks, now = [], due
    for _ in range(7):
        when = next_check(times, now, now)  # each check found nothing new
        checks.append(round((when - now).total_seconds() / 60))
        now = when
    assert checks == [1, 5, 15, 30, 30, 30, 30]


def test_a_new_snapshot_resets_the_backoff() -> None:
    times = hourly(4)
    late = times[-1] + timedelta(hours=1, minutes=20)
    times.append(late)
    checked = late + timedelta(seconds=30)
    assert next_check(times, checked, checked) == late + timedelta(hours=1) - EARLY


def test_never_in_the_past() -> None:
    times = hourly(3)
    now = times[-1] + timedelta(hours=5)
    assert next_check(times, times[-1], now) == now

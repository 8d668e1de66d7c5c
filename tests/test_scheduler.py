"""The schedule on a real AsyncIOScheduler: a manual refresh is never lost, whenever it is asked for."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tsmsyncd.scheduler import Schedule

pytestmark = pytest.mark.asyncio


async def _nothing() -> None:
    return None


async def test_a_refresh_asked_for_while_the_last_one_plans_the_next_still_runs() -> None:
    """The window between a refresh's end and the planning of the next one (an await on the database) used
    to let a manual refresh add a run that APScheduler dropped as a second instance, and then replace it
    with the next scheduled one, an hour away: the player's "Refresh now" silently did nothing."""
    runs: list[int] = []
    planning, go_on = asyncio.Event(), asyncio.Event()
    second = asyncio.Event()

    async def refresh() -> None:
        runs.append(len(runs) + 1)
        if len(runs) == 2:
            second.set()

    async def next_refresh() -> datetime:
        if len(runs) == 1:
            planning.set()
            await go_on.wait()  # the first run is done and is planning the next: the player clicks now
        return datetime.now(UTC) + timedelta(hours=1)

    async def report(job: str, message: str) -> None:
        raise AssertionError(f"{job}: {message}")

    schedule = Schedule(refresh=refresh, next_refresh=next_refresh, watch=_nothing, backups=_nothing,
                        daily=_nothing, report=report, watch_every=60, jitter=0)
    schedule.start()
    try:
        schedule.plan_refresh(datetime.now(UTC), jitter=False)
        await asyncio.wait_for(planning.wait(), 20)
        await schedule.refresh_now()
        go_on.set()
        await asyncio.wait_for(second.wait(), 20)
        assert runs == [1, 2]
    finally:
        schedule.shutdown()

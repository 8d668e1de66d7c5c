"""The schedule on a real AsyncIOScheduler: a manual refresh asked for while a refresh ends (its next time
being worked out) runs after it, never dropped by APScheduler as a second instance of the running job."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tsmsyncd.scheduler import Schedule


async def _nothing() -> None:
    return None


async def _report(name: str, text: str) -> None:
    raise AssertionError(f"{name}: {text}")


async def test_a_refresh_asked_for_while_the_next_one_is_planned_still_runs() -> None:
    runs: list[int] = []
    second = asyncio.Event()
    planning, release = asyncio.Event(), asyncio.Event()

    async def refresh() -> None:
        runs.append(len(runs) + 1)
        if len(runs) == 2:
            second.set()

    async def next_refresh() -> datetime:
        planning.set()  # the first run is done and works out the next time: the window a click can fall in
        await release.wait()
        return datetime.now(UTC) + timedelta(hours=1)

    schedule = Schedule(refresh=refresh, next_refresh=next_refresh, watch=_nothing, backups=_nothing,
                        daily=_nothing, report=_report, watch_every=3600, jitter=0)
    schedule.start()
    try:
        await asyncio.wait_for(planning.wait(), 30)
        await schedule.refresh_now()  # "Refresh now" pressed just as the start-up refresh ends
        release.set()
        await asyncio.wait_for(second.wait(), 30)
    finally:
        schedule.shutdown()
    assert runs == [1, 2]

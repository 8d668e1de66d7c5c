"""The schedule: a thin APScheduler 3.x ``AsyncIOScheduler`` adapter whose jobs call the engine and
nothing else (reference daemon-and-ui.md §2).

Jobs, each with ``coalesce=True``, ``max_instances=1`` and a misfire grace as long as its own interval
(APScheduler's default of 1 s silently drops runs after a sleep or suspend), and each under a timeout so a
hung run cannot block every later one:

    refresh   when the next snapshot of any source is due (``market/cadence.py``), with a little jitter;
              rescheduled after every run
    watch     every 2.5 s: one process-table pass, pending plans applied once the game has closed
    backups   hourly: a backup of every target's file that changed since its newest backup
    daily     retention prune, backup compaction, history prune, discovery of new installs/profiles
    update    every 15 minutes, a look whether an update check is due (``sync/updates.py`` ``tick``: daily
              with jitter, backing off after a refusal; nothing at all with ``update_check`` off)

A run that is missed, fails or times out goes to history (the event bus announces it).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

__all__ = ["Schedule"]

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[Any]]
Report = Callable[[str, str], Coroutine[Any, Any, None]]  # (job name, what went wrong) → history


class Schedule:
    """The daemon's jobs on the running loop. ``next_refresh`` computes when to refresh next."""

    def __init__(self, *, refresh: Work, next_refresh: Callable[[], Awaitable[datetime]], watch: Work,
                 backups: Work, daily: Work, report: Report, update: Work | None = None, watch_every: float = 2.5,
                 timeouts: dict[str, float] | None = None, jitter: float = 20.0) -> None:
        self._refresh, self._next_refresh, self._report = refresh, next_refresh, report
        self._work = {"watch": watch, "backups": backups, "daily": daily}
        if update is not None:
            self._work["update"] = update
        self._timeouts = {"refresh": 1800.0, "watch": 120.0, "backups": 600.0, "daily": 1800.0, "update": 300.0,
                          **(timeouts or {})}
        self._watch_every, self._jitter = watch_every, jitter
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self.next_refresh_at: datetime | None = None
        self._refreshing = False
        self._again = False  # a refresh was asked for while one ran

    def start(self) -> None:
        """Needs a running loop (APScheduler 3 on Python 3.11+)."""
        s = self._scheduler
        s.add_listener(self._missed, EVENT_JOB_MISSED)
        s.add_job(self._run, IntervalTrigger(seconds=self._watch_every), args=["watch"], id="watch",
                  coalesce=True, max_instances=1, misfire_grace_time=max(int(self._watch_every * 4), 10))
        s.add_job(self._run, IntervalTrigger(hours=1), args=["backups"], id="backups", coalesce=True,
                  max_instances=1, misfire_grace_time=3600)
        s.add_job(self._run, IntervalTrigger(days=1, start_date=datetime.now(UTC) + timedelta(minutes=10)),
                  args=["daily"], id="daily", coalesce=True, max_instances=1, misfire_grace_time=86400)
        if "update" in self._work:  # the tick is cheap; when a check is due is the update policy's business
            s.add_job(self._run, IntervalTrigger(minutes=15, jitter=60), args=["update"], id="update",
                      coalesce=True, max_instances=1, misfire_grace_time=900)
        s.start()
        self.plan_refresh(datetime.now(UTC))

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def set_watch_every(self, seconds: float) -> None:
        """The game watch's new interval (the player changed ``watch_seconds``)."""
        self._watch_every = seconds
        if self._scheduler.get_job("watch") is not None:
            self._scheduler.reschedule_job("watch", trigger=IntervalTrigger(seconds=seconds))

    def plan_refresh(self, when: datetime, *, jitter: bool = True) -> None:
        """Run the refresh at ``when`` (plus jitter when it lies ahead: many daemons, one Blizzard). A
        refresh running now is never interrupted: the new run waits for it (``max_instances=1`` would
        otherwise drop a run that falls due while one is still going)."""
        now = datetime.now(UTC)
        if self._refreshing:
            self._again = self._again or when <= now
            if when <= now:
                return  # runs as soon as the current one ends
        if when > now and jitter:
            when += timedelta(seconds=random.uniform(0, self._jitter))
        self.next_refresh_at = max(when, now)
        self._scheduler.add_job(self._refresh_and_replan, DateTrigger(run_date=self.next_refresh_at), id="refresh",
                                replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=3600)

    async def refresh_now(self) -> None:
        """A manual refresh: runs at once, or right after the one running now."""
        self.plan_refresh(datetime.now(UTC))

    async def _refresh_and_replan(self) -> None:
        self._refreshing = True
        try:
            await self._guarded("refresh", self._refresh)
        finally:
            try:
                upcoming = await self._next_refresh()
            except Exception as exc:  # never lose the schedule: fall back to an hour from now
                log.exception("planning the next refresh failed")
                await self._report("refresh", f"planning the next refresh failed: {exc}")
                upcoming = datetime.now(UTC) + timedelta(hours=1)
            # Still "refreshing" until here, with no await left before the next run is planned: a manual
            # refresh asked for during the awaits above set ``_again`` instead of adding a run that
            # APScheduler would drop as a second instance of this one. This run is still "running" for
            # APScheduler until it returns, so the next is always at least a second away.
            soon = datetime.now(UTC) + timedelta(seconds=1)
            when = soon if self._again else max(upcoming, soon)
            self._refreshing = self._again = False
            self.plan_refresh(when, jitter=when > soon)

    async def _run(self, name: str) -> None:
        await self._guarded(name, self._work[name])

    async def _guarded(self, name: str, work: Work) -> None:
        try:
            await asyncio.wait_for(work(), self._timeouts[name])
        except asyncio.CancelledError:
            log.debug("job %s stopped: the schedule is shutting down", name)  # not a failure
        except TimeoutError:
            log.warning("job %s timed out", name)
            await self._report(name, f"did not finish within {self._timeouts[name]:.0f} s and was stopped")
        except Exception as exc:  # one failed job never stops the daemon or the next run
            log.exception("job %s failed", name)
            await self._report(name, f"failed: {type(exc).__name__}: {exc}")

    def _missed(self, event: JobExecutionEvent) -> None:
        asyncio.get_running_loop().create_task(self._report(str(event.job_id), "was missed (the machine slept?)"))

"""The engine: the one place the whole cycle lives (DESIGN.md "The flow").

refresh the sources the targets' realms need → generate those realms' GroupSets → for each target in
``merge`` mode: if a game of its install runs, plan (dry run) and keep the plan **pending**; when the game
has exited and the file has been quiet for a few seconds, apply (the merger re-reads and re-plans, so the
file the game wrote at exit is what gets merged) → record in history → tell (events).

A target whose groups come from a group server (``sync/remote.py``) is not refreshed from Blizzard: its
realm's GroupSet is polled from the server on the same schedule (``If-None-Match``, honouring
``Retry-After`` and backing off), kept under its own key, and planned and applied like local groups; a
server that fails leaves the last good groups in place and says why (status, history). A daemon that
serves as a group server (``serving``) also refreshes the realms its clients want, up to its cap.

The decisions are pure (``sync/transitions.py``); this module runs them. Heavy work (refresh, generation,
every merge) runs in worker processes (``sync/jobs.py``), so the daemon stays small; a plan that waits is
written to the database before the target says pending, and an apply removes it in the same process that
replaced the file, so a restart finds it pending or applied, never lost or applied twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tsmsyncd.config import GroupSource, Settings
from tsmsyncd.db import groups as groups_db
from tsmsyncd.db import history as history_db
from tsmsyncd.db import realms as realms_db
from tsmsyncd.db import remote as remote_db
from tsmsyncd.db import targets as targets_db
from tsmsyncd.db import watchlist as watch_db
from tsmsyncd.db.history import Kind
from tsmsyncd.errors import BusyError, GameRunningError, InputError, TsmSyncError
from tsmsyncd.events import EventBus, EventType
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.store.backups import BackupStore
from tsmsyncd.store.playerfile import PlayerFile, identity
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.sync.remote import RemoteGroups
from tsmsyncd.sync.runner import WorkerRunner
from tsmsyncd.sync.server import TokenService, regions_of
from tsmsyncd.sync.targets import TargetService
from tsmsyncd.sync.transitions import Action, Situation, decide, resting_state
from tsmsyncd.wow.process import GameProcess, games_blocking, running_games
from tsmsyncd.wow.targets import Mode, State, Target

__all__ = ["Engine"]


def _realm_key(target: Target) -> RealmKey:
    assert target.realm is not None
    return RealmKey(target.realm.region, target.realm.connected_realm_id, target.flavor)

log = logging.getLogger(__name__)
INDEX_MAX_AGE = 7 * 86400.0  # realm lists change with new realms and merges, rarely


class Engine:
    def __init__(self, db: DbWriter, targets: TargetService, runner: WorkerRunner, bus: EventBus,
                 settings: Callable[[], Settings], *, quiet_seconds: float = 5.0,
                 processes: Callable[[], Sequence[GameProcess]] = running_games,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), remote: RemoteGroups | None = None,
                 tokens: TokenService | None = None) -> None:
        self._db, self._targets, self._runner, self._bus = db, targets, runner, bus
        self._remote, self._tokens = remote, tokens
        self.serving = False  # a group server: refresh what its clients want too
        self.remote_error: str | None = None  # the group server's last error, while it lasts
        self.cycles = 0  # cycles finished since start (status shows it: a script can wait for the next one)
        self._settings, self.quiet_seconds, self._processes, self._now = settings, quiet_seconds, processes, now
        self.paused = False
        self._cycle_lock = asyncio.Lock()
        self._check_lock = asyncio.Lock()
        self._apply_lock = asyncio.Lock()
        self._busy: set[str] = set()  # targets with a job running
        self.last_refresh: dict[str, Any] | None = None
        self.last_error: str | None = None
        self.refreshing = False
        self._kicked = False
        self._kick_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()  # applies the API started

    # -- the cycle -------------------------------------------------------------------------------------

    async def startup(self) -> None:
        """At start: find the targets and settle each one's state (a daemon killed mid-apply left it
        "applying"; a pending plan from before the restart is still pending)."""
        await self._targets.discover(self._now())
        for target in await self._targets.all():
            if target.state in (State.APPLYING, State.REFRESHING):
                await self._set_state(target, State.IDLE, None)
        await self.check()

    async def cycle(self, why: str = "scheduled") -> dict[str, Any]:
        """Discover, refresh what the merge/string targets need, generate, then plan or apply each."""
        async with self._cycle_lock:
            targets = await self._targets.discover(self._now())
            summary = await self._refresh(targets, why)
            await self.check(targets=await self._targets.all())
            self.cycles += 1
            return summary

    async def _refresh(self, targets: Sequence[Target], why: str) -> dict[str, Any]:
        settings = self._settings()
        summary: dict[str, Any] = {"why": why, "regions": []}
        self.remote_error = None
        if settings.group_source is not None and self._remote is not None:
            targets, summary["group_server"] = await self._from_group_server(targets, settings.group_source)
        local = [t for t in targets if not self._targets.remote(t)]
        if not settings.has_credentials:
            needs = any(t.mode is not Mode.OFF and t.realm is not None and t.present for t in local)
            if settings.group_source is not None and not needs and not settings.realms and not self.serving:
                self.last_refresh = {"at": self._now().isoformat(timespec="seconds"), **summary}
                return summary  # every target takes its groups from the server: nothing to ask Blizzard
            self.last_error = "Blizzard API credentials are not set (client_id, client_secret)"
            return {"skipped": self.last_error, **summary}
        groups: dict[tuple[str, str], set[int]] = {}  # the realms whose groups are made
        for t in local:
            if t.mode is not Mode.OFF and t.realm is not None and t.present:
                groups.setdefault((t.realm.region, str(t.flavor)), set()).add(t.realm.connected_realm_id)
        for number in settings.realms:
            groups.setdefault((settings.region, str(settings.flavor)), set()).add(number)
        for key, numbers in regions_of(await self._served_realms()).items():
            groups.setdefault(key, set()).update(numbers)
        wanted = {key: set(realms) for key, realms in groups.items()}  # and those refreshed
        for item in await self._db(watch_db.items):  # watched realms join the schedule: new snapshots, new rows
            wanted.setdefault((settings.region, "retail"), set()).update(item.realms)
        home = {(settings.region, str(settings.flavor))} if self.serving else set()  # what its clients infer with
        await self._ensure_indexes(set(wanted) | home | {(settings.region, str(t.flavor)) for t in targets})
        self.refreshing = True
        try:
            for (region, flavor), realms in sorted(wanted.items()):
                made = sorted(groups.get((region, flavor), set()))
                summary["regions"].append(await self._refresh_region(region, flavor, sorted(realms), made, why))
        finally:
            self.refreshing = False
        self.last_refresh = {"at": self._now().isoformat(timespec="seconds"), **summary}
        return summary

    async def _refresh_region(self, region: str, flavor: str, realms: list[int], generate: list[int],
                              why: str) -> dict[str, Any]:
        self._bus.publish(EventType.REFRESH_STARTED, {"region": region, "flavor": flavor, "realms": realms,
                                                      "why": why})
        try:
            result = await self._runner.run("cycle", {"region": region, "flavor": flavor, "realms": realms,
                                                      "generate": generate}, progress=self._progress)
        except TsmSyncError as exc:
            self.last_error = str(exc)
            await self._history(Kind.REFRESH_FAILED, f"refresh of {region} failed: {exc}")
            self._bus.publish(EventType.REFRESH_FAILED, {"region": region, "error": str(exc)})
            return {"region": region, "error": str(exc)}
        failed = [s for s in result["sources"] if s["status"] == "error"]
        self.last_error = failed[0]["error"] if failed else None
        for source in failed:
            await self._history(Kind.REFRESH_FAILED, f"{source['source']}: {source['error']}")
        self._bus.publish(EventType.REFRESH_FAILED if failed else EventType.REFRESH_FINISHED,
                          {"region": region, "sources": result["sources"]})
        for key, made in result["groups"].items():
            if made.get("new"):
                self._bus.publish(EventType.GROUPS_GENERATED, {"realm": key, **made})
                await self._history(Kind.GROUPS, f"new groups for {key}: version {made['version']}, "
                                                 f"{made['items']} items", data=made)
        return {"region": region, "flavor": flavor, **result}

    async def _served_realms(self) -> list[RealmKey]:
        """A group server's clients' realms that its realm lists know, up to its cap."""
        if not self.serving or self._tokens is None:
            return []
        chosen, left = await self._tokens.wanted_realms()
        if left:
            log.info("clients ask for %d realm(s) beyond this server's max_realms", len(left))
        return chosen

    def _groups_key(self, target: Target) -> str:
        """Where the target's GroupSets are kept: its realm's own, or the group server's copy of them."""
        key = _realm_key(target)
        return remote_db.groups_key(key) if self._targets.remote(target) else str(key)

    def _remote_realms(self, targets: Sequence[Target]) -> list[RealmKey]:
        """The realms to ask the group server about: those of its targets that merge (a string-mode target
        shows import strings of this machine's rules; asking for it would only cost the server)."""
        return sorted({_realm_key(t) for t in targets if self._targets.remote(t) and t.mode is Mode.MERGE
                       and t.realm is not None and t.present})

    async def _from_group_server(self, targets: Sequence[Target], source: GroupSource) -> tuple[
            Sequence[Target], dict[str, Any]]:
        """Without Blizzard credentials, the realm lists (to infer the targets' realms) come from the group
        server too; then the due realms are polled (``sync/remote.py``)."""
        assert self._remote is not None
        settings = self._settings()
        if not settings.has_credentials:
            flavors = {str(t.flavor) for t in targets} | {str(settings.flavor)}
            if await self._remote.realm_lists(source, settings.region, flavors, INDEX_MAX_AGE):
                targets = await self._targets.discover(self._now())
        shown, self.remote_error = await self._remote.pull(self._remote_realms(targets), source)
        return targets, shown

    async def _ensure_indexes(self, wanted: set[tuple[str, str]]) -> None:
        """Fetch a region's realm list when it is missing or a week old (realm inference needs it)."""
        for region, flavor in sorted(wanted):
            age = await self._db(realms_db.index_age, region, flavor)
            if age is not None and (self._now() - age).total_seconds() < INDEX_MAX_AGE:
                continue
            try:
                await self._runner.run("realms", {"region": region, "flavor": flavor})
            except TsmSyncError as exc:
                self.last_error = f"the {region} realm list: {exc}"
                await self._history(Kind.REFRESH_FAILED, self.last_error)
                continue
            await self._targets.discover(self._now())  # infer realms with the new list

    # -- planning and applying -------------------------------------------------------------------------

    async def check(self, targets: Sequence[Target] | None = None) -> None:
        """One pass over every target: the game-watch tick, and the end of every cycle. One process-table
        read for all installs."""
        async with self._check_lock:  # the watch tick, a kick and a cycle's end never decide twice at once
            games = list(self._processes())
            for target in targets if targets is not None else await self._targets.all():
                if target.id in self._busy or not target.present:
                    continue
                try:
                    await self._step(target, games)
                except TsmSyncError as exc:  # one target's trouble never stops the others
                    await self._set_state(target, State.ERROR, str(exc))

    async def _situation(self, target: Target, games: Sequence[GameProcess]) -> Situation:
        stored = await self._db(groups_db.groupset_row, self._groups_key(target)) if target.realm else None
        pending = (await self._db(targets_db.pending)).get(target.id)
        path = target.path
        running = bool(games_blocking(path, games)) if games else False
        held = (target.last_apply or {}).get("file_identity")
        try:
            st = path.stat()
            quiet = time.time() - st.st_mtime >= self.quiet_seconds
            changed = pending is not None and tuple(pending.file_identity) != identity(st)
            rewritten = held is not None and tuple(held) != identity(st)
        except OSError:
            quiet, changed, rewritten = False, False, False
        return Situation(
            target.mode, target.realm is not None, stored[3] if stored else None,
            (target.last_apply or {}).get("groupset_hash"), pending.groupset_hash if pending else None,
            running, quiet, self.paused, changed, rewritten, bool((target.last_apply or {}).get("undone_at")))

    async def _step(self, target: Target, games: Sequence[GameProcess]) -> None:
        situation = await self._situation(target, games)
        action = decide(situation)
        if action is Action.FORGET:
            await self._db(targets_db.clear_pending, target.id)
            situation = replace(situation, pending_hash=None)
        elif action is Action.PLAN:
            await self._plan(target)
            return
        elif action is Action.APPLY:
            await self._apply(target)
            return
        state, reason = resting_state(situation)
        if (state, reason) != (target.state, target.reason):
            await self._set_state(target, state, reason)

    async def _plan(self, target: Target) -> None:
        """A dry run while the game runs; a plan with changes waits as pending (written first)."""
        result = await self._job(target, "merge", self._merge_payload(target, apply=False))
        if result is None:
            return
        if result["status"] == "unchanged":
            await self._db(targets_db.clear_pending, target.id)
            await self._set_state(target, State.APPLIED, "up to date")
            return
        reason = "World of Warcraft is running; the groups are applied once it is closed"
        pending = targets_db.Pending(target.id, result["groupset_hash"], result["groupset_version"],
                                     str(_realm_key(target)) if target.realm else "", self._now(),
                                     tuple(result["file_identity"]), result.get("report") or {}, reason)
        await self._db(targets_db.set_pending, pending)
        await self._history(Kind.PENDING, f"{target.file} ({target.profile}): {reason}", target.id,
                            {"groupset_version": result["groupset_version"]})
        await self._set_state(target, State.PENDING, reason)

    async def _apply(self, target: Target) -> dict[str, Any] | None:
        async with self._apply_lock:  # one merge at a time: each may hold hundreds of MB for a moment
            await self._set_state(target, State.APPLYING, None)
            result = await self._job(target, "merge", self._merge_payload(target, apply=True))
        if result is None:
            return None
        fresh = await self._targets.get(target.id)
        self._bus.publish(EventType.APPLY_APPLIED, {"target": target.id, "status": result["status"],
                                                    "backup": result.get("backup"), "report": result.get("report")})
        self._publish_state(fresh)
        return result

    async def _job(self, target: Target, job: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Run a job for a target; a running game makes the plan wait, other failures are the target's error."""
        self._busy.add(target.id)
        try:
            return await self._runner.run(job, payload, progress=self._progress)
        except GameRunningError:
            if job == "merge" and payload.get("apply"):
                await self._plan(target)  # the game started meanwhile: the plan waits after all
            return None
        except TsmSyncError as exc:
            await self._history(Kind.APPLY_FAILED, f"{target.file} ({target.profile}): {exc}", target.id)
            self._bus.publish(EventType.APPLY_FAILED, {"target": target.id, "error": str(exc)})
            await self._set_state(target, State.ERROR, str(exc))
            return None
        finally:
            self._busy.discard(target.id)

    def _merge_payload(self, target: Target, *, apply: bool) -> dict[str, Any]:
        assert target.realm is not None
        return {"target_id": target.id, "file": target.file, "profile": target.profile, "apply": apply,
                "realm": str(_realm_key(target)), "groups": self._groups_key(target),
                "adopt_root": target.adopt_root}

    # -- what the player asks for ----------------------------------------------------------------------

    async def apply_now(self, target_id: str) -> dict[str, Any]:
        """Apply the newest groups now; GameRunningError (HTTP 409) while a game of that install runs."""
        target = await self._targets.get(target_id)
        if target.realm is None:
            raise InputError("this target has no realm yet; set one first")
        self._refuse_while_playing(target)
        result = await self._apply(target)
        if result is None:
            fresh = await self._targets.get(target_id)
            raise InputError(fresh.reason or "the apply did not happen")
        return result

    async def apply_soon(self, target_id: str) -> None:
        """``POST /targets/{id}/apply``: refuse now what would be refused (no realm, no groups, the game
        running), else start the apply in the background; its progress and result arrive as events."""
        target = await self._targets.get(target_id)
        if target.realm is None:
            raise InputError("this target has no realm yet; set one first")
        if await self._db(groups_db.groupset_row, self._groups_key(target)) is None:
            raise InputError(f"no groups have been generated for {target.realm.name} yet; refresh first")
        self._refuse_while_playing(target)
        if target.id in self._busy:
            raise InputError("this target is being planned or applied right now")
        task = asyncio.get_running_loop().create_task(self._apply(target))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def plan_now(self, target_id: str) -> dict[str, Any]:
        """What an apply would change now (a dry run; nothing is stored, the game may be running)."""
        target = await self._targets.get(target_id)
        if target.realm is None:
            raise InputError("this target has no realm yet; set one first")
        result = await self._runner.run("merge", {**self._merge_payload(target, apply=False), "record": False})
        return {k: result.get(k) for k in ("status", "groupset_version", "report", "changed_keys", "profiles")}

    async def undo(self, target_id: str) -> dict[str, Any]:
        """Put back the backup taken before the last apply (refused while the game runs)."""
        target = await self._targets.get(target_id)
        backup = (target.last_apply or {}).get("backup_id")
        if not backup:
            raise InputError("nothing to undo: tsmsyncd has not applied anything to this target")
        self._refuse_while_playing(target)
        # Under the check lock: a game-watch tick that read the target before the undo was recorded must not
        # decide on that stale row (it would see a rewritten, quiet file and apply the undone groups again).
        async with self._check_lock, self._apply_lock:
            self._busy.add(target.id)
            try:
                result = await self._runner.run("undo", {"target_id": target.id, "file": target.file,
                                                         "backup_id": backup})
            finally:
                self._busy.discard(target.id)
        self._bus.publish(EventType.BACKUP_RESTORED, {"target": target.id, "backup": backup})
        return result

    def _refuse_while_playing(self, target: Target) -> None:
        running = games_blocking(target.path, list(self._processes()))
        if running:
            names = ", ".join(sorted({g.name for g in running}))
            raise GameRunningError(f"World of Warcraft is running ({names}); close the game first")

    def pause(self, paused: bool) -> None:
        self.paused = paused

    # -- what must not overlap a player's file being rewritten (an update's install) ------------------

    def busy(self) -> str | None:
        """What rewrites a player's file right now (a merge, an undo, a restore), or None."""
        return "a merge is running" if self._apply_lock.locked() else self.busy_jobs()

    @asynccontextmanager
    async def exclusive(self, wait: float = 120.0) -> AsyncIterator[None]:
        """No merge starts while the caller's block runs; a merge or restore that runs is waited for (they
        take seconds), and after ``wait`` seconds it is a ``BusyError``."""
        async with self._apply_lock:
            deadline = time.monotonic() + wait
            while (reason := self.busy_jobs()) is not None:
                if time.monotonic() > deadline:
                    raise BusyError(f"{reason}; try again when it has finished")
                await asyncio.sleep(0.2)
            yield

    def busy_jobs(self) -> str | None:
        """``busy`` without the apply lock (which ``exclusive`` holds itself)."""
        for job, what in (("merge", "a merge"), ("undo", "an undo"), ("restore", "a restore")):
            if self._runner.active.get(job):
                return f"{what} is running"
        return None

    def kick(self) -> None:
        """Check every target soon, in the background (a changed mode, a finished refresh): the caller does
        not wait for an apply. Runs once at a time; a kick during a check asks for one more."""
        self._kicked = True
        if self._kick_task is None or self._kick_task.done():
            self._kick_task = asyncio.get_running_loop().create_task(self._kick_loop())

    async def _kick_loop(self) -> None:
        while self._kicked:
            self._kicked = False
            try:
                await self.check()
            except Exception:  # the tick will try again; never an unhandled task error
                log.exception("checking the targets failed")

    # -- housekeeping ----------------------------------------------------------------------------------

    async def next_refresh(self) -> datetime:
        """When any source's next snapshot is due (``market/cadence.py``); now when none is known yet."""
        from tsmsyncd.db import sources as sources_db
        from tsmsyncd.market.cadence import next_check

        now = self._now()
        polls = await self._next_polls(now)
        settings = self._settings()
        if settings.group_source is not None and not (settings.has_credentials or self.serving):
            # A client of a group server alone: its polls are the schedule (and, with nothing to poll
            # yet, a look every poll interval for targets that merge).
            return min(polls) if polls else now + timedelta(seconds=settings.group_source.poll_seconds)
        sources = await self._db(sources_db.known_sources)
        if not sources:
            return now
        times = list(polls)
        for source in sources:
            published = await self._db(sources_db.snapshot_times, source)
            state = await self._db(sources_db.source_state, source)
            times.append(next_check(published, state.last_checked, now))
        return min(times)

    async def _next_polls(self, now: datetime) -> list[datetime]:
        """When each realm taken from the group server is due to be asked again."""
        source = self._settings().group_source
        if source is None or self._remote is None:
            return []
        return await self._remote.next_polls(self._remote_realms(await self._targets.all()), source, now)

    async def backup_changed(self, backups: BackupStore) -> int:
        """An hourly backup of every target's file that changed since its newest backup."""
        made = 0
        for file in sorted({t.file for t in await self._targets.all() if t.present}):
            try:
                data = (await asyncio.to_thread(PlayerFile.read, Path(file))).data
                if await asyncio.to_thread(backups.create_if_changed, Path(file), data) is not None:
                    made += 1
            except TsmSyncError as exc:
                await self._history(Kind.BACKUP, f"scheduled backup of {file} failed: {exc}")
        if made:
            self._bus.publish(EventType.BACKUP_CREATED, {"scheduled": made})
        return made

    async def daily(self, backups: BackupStore) -> None:
        """Retention prune and compaction of every target's backups, history prune, a fresh discovery."""
        for file in sorted({t.file for t in await self._targets.all()}):
            try:
                await asyncio.to_thread(backups.prune, Path(file))
                await asyncio.to_thread(backups.compact, Path(file), 0)
            except TsmSyncError as exc:
                await self._history(Kind.BACKUP, f"backup housekeeping of {file} failed: {exc}")
        await self._db(history_db.prune, self._now())
        await self._targets.discover(self._now())

    async def report(self, job: str, problem: str) -> None:
        """A scheduled job that failed, timed out or was missed: history, and an event."""
        await self._history(Kind.JOB_FAILED, f"the {job} job {problem}")
        self._bus.publish(EventType.JOB_FAILED, {"job": job, "problem": problem})

    # -- state and events ------------------------------------------------------------------------------

    def _progress(self, data: dict[str, Any]) -> None:
        """A worker's progress line, as a ``progress`` event (the UI's progress bars)."""
        self._bus.publish(EventType.PROGRESS, data)

    async def _set_state(self, target: Target, state: State, reason: str | None) -> None:
        fresh = await self._db(targets_db.update_target, target.id, self._now(), state=state, reason=reason)
        self._publish_state(fresh)

    def _publish_state(self, target: Target) -> None:
        self._bus.publish(EventType.TARGET_STATE, {"id": target.id, "state": str(target.state),
                                                   "reason": target.reason})

    async def _history(self, kind: Kind, message: str, target_id: str | None = None,
                       data: dict[str, Any] | None = None) -> None:
        await self._db(history_db.record, kind, message, self._now(), target_id, data)

    async def status(self) -> dict[str, Any]:
        targets = await self._targets.all()
        pending = await self._db(targets_db.pending)
        by_state: dict[str, int] = {}
        for t in targets:
            by_state[str(t.state)] = by_state.get(str(t.state), 0) + 1
        if any(t.state is State.ERROR for t in targets) or self.last_error or self.remote_error:
            overall = "error"
        elif self.refreshing:
            overall = "refreshing"
        elif pending:
            overall = "pending"
        else:
            overall = "idle"
        settings = self._settings()
        setup = {"credentials": settings.has_credentials, "targets": len(targets),
                 "merging": sum(1 for t in targets if t.mode is Mode.MERGE),
                 "realm_index": await self._db(realms_db.index_age, settings.region, str(settings.flavor)) is not None}
        return {"state": "paused" if self.paused else overall, "paused": self.paused, "targets": by_state,
                "pending": len(pending), "last_refresh": self.last_refresh,
                "last_error": self.last_error or self.remote_error,
                "jobs_running": self._runner.running, "pid": os.getpid(), "setup": setup, "cycles": self.cycles}

    async def targets_json(self) -> list[dict[str, Any]]:
        pending = await self._db(targets_db.pending)
        source = self._settings().group_source
        return [replace(t, extra={**({"pending": pending[t.id].as_json()} if t.id in pending else {}),
                                  "groups_from": source.url if source and self._targets.remote(t) else "local"}
                        ).as_json() for t in await self._targets.all()]

"""Apply a GroupSet to a TradeSkillMaster.lua on disk: the one place a planned merge meets the file.

Order of work, and why:
1. Refuse at once if a game client that may write this file is running (it would overwrite us).
2. Read the bytes once. Lua 5.1 loads the whole file on one thread; meanwhile this thread scans the
   bytes, loads only the meta and the merge tables from their own bytes in a small sandbox (the
   preview: of the groups table only the base group and ours — the player's groups stand as ``false``),
   plans and splices; the player's groups are never converted to Python (``Unread`` placeholders pass
   through the plan and keep their bytes). The plan is kept only if Lua then finds the full load equal
   to the preview on every key the plan read; otherwise it is made again from the full load. Every
   error about the file itself comes from the full load.
3. Nothing to change → stop; the file is not touched (same GroupSet twice is a no-op).
4. Splice the changed top-level values into the original bytes; everything else stays byte-identical.
5. Back up the original on another thread from the start: a hard link to the file as read (instant; the
   replace gives the live file a new inode, so the link keeps the old bytes) or, on another volume, a
   plain copy; durable before step 7. ``BackupStore.compact`` compresses it after the merge.
6. Write a temp file in the same folder and fsync it; meanwhile Lua 5.1 loads the new bytes and checks
   every untouched global and top-level key equal to before and every changed key equal to the plan.
7. Just before ``os.replace``: the backup is durable, the check passed (else nothing is written), the
   game is still closed, and the file is still the one we read (device, inode, size, mtime — and its
   bytes on filesystems whose timestamps are too coarse to show every write).
8. After the replace, the file at the path must be the very file we wrote (same device, inode and
   size); if another program replaced it in that instant, its newer file is left alone and we say so.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import lupa.lua51 as lua51

from tsmsyncd.errors import (
    ApplyError,
    FileChangedError,
    ProfileError,
    SavedVariablesError,
    TsmSyncError,
    VerifyError,
)
from tsmsyncd.groups.groupset import GroupSet
from tsmsyncd.sync.atomic import remove_stale_temps, write_atomic
from tsmsyncd.sync.backups import Backup, BackupStore, PendingBackup
from tsmsyncd.sync.playerfile import PlayerFile
from tsmsyncd.sync.roots import RootRecord
from tsmsyncd.tsm.luaformat import lua_shape, splice
from tsmsyncd.tsm.luasandbox import LuaLimits, to_python
from tsmsyncd.tsm.luascan import EntryLayout
from tsmsyncd.tsm.merge import MergePlan, is_managed, plan_merge, profile_keys
from tsmsyncd.tsm.operations import Flavor
from tsmsyncd.tsm.savedvars import (
    DB_NAME,
    GROUPS_SUFFIX,
    SHARED_OPERATIONS_KEYS,
    ParseJob,
    Preview,
    SavedVariables,
    TsmMeta,
    load_chunk,
)
from tsmsyncd.wow.process import GameProcess, games_blocking, require_closed

__all__ = ["MergeOutcome", "Merger", "select_profiles"]


@dataclass(frozen=True)
class MergeOutcome:
    status: str  # "applied", "unchanged" or "dry-run"
    path: Path
    profiles: tuple[str, ...]
    plan: MergePlan
    backup: Backup | None = None
    timings: dict[str, float] = field(default_factory=dict)


class _Speculative:
    """The merge's backup, made on its own thread from the start (a hard link made durable, or a plain
    copy when the store is on another volume) before we know whether anything will be written. It is
    listed (committed) right before the replace and thrown away whenever nothing is written: the same
    GroupSet twice, a refused file, a failed check. It never prunes anything."""

    def __init__(self, store: BackupStore, original: PlayerFile, pool: ThreadPoolExecutor) -> None:
        self._store, self._path = store, original.path
        self._future: Future[PendingBackup] = pool.submit(
            store.begin, original.path, original.data, "before-merge", same_file=original.stat)
        self._kept: Backup | None = None

    def commit(self) -> Backup:
        """Listed and durable (raises BackupError: then nothing has been changed yet)."""
        self._kept = self._future.result().commit()
        return self._kept

    def keep(self) -> Backup:
        assert self._kept is not None
        backup, self._kept = self._kept, None
        self._future = None  # type: ignore[assignment]
        return backup

    def release(self) -> None:
        """Remove the backup unless ``keep()`` was called: the live file was not replaced."""
        if self._future is None or self._future.cancel():
            return
        try:
            pending = self._future.result()
        except TsmSyncError:
            return  # the backup itself failed; there is nothing to remove
        try:
            if self._kept is not None:
                self._store.discard(self._path, self._kept)
            pending.release()
        except TsmSyncError:
            pass  # cannot be removed: it is a true copy of the file as it still is; the next prune takes it


@dataclass
class Merger:
    """Merges GroupSets into SavedVariables files. ``games`` answers "which clients may write this file?"."""

    backups: BackupStore
    games: Callable[[Path], Sequence[GameProcess]] = games_blocking
    limits: LuaLimits | None = None

    def merge(
        self, path: Path, groupset: GroupSet, profiles: Sequence[str] = (), *, dry_run: bool = False,
        adopt_root: bool = False,
    ) -> MergeOutcome:
        clock = _Clock()
        self._check_game(path)
        original = PlayerFile.read(path)  # devices, FIFOs, huge or re-encoded files are refused unread
        remove_stale_temps(original.real)
        record = RootRecord(self.backups, path, original.real)
        owned = record.owned(groupset.root)
        clock.lap("read")
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="lua") as lua,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="backup") as pool,
        ):
            backup = None if dry_run else _Speculative(self.backups, original, pool)
            job = ParseJob(original.data, path.name, self.limits, lua)
            try:
                outcome = self._merge(original, groupset, profiles, backup, job, clock, owned, adopt_root)
            finally:
                if backup is not None:
                    backup.release()
                _free_later(job)
        if outcome.status in ("applied", "unchanged"):
            record.add(groupset.root, outcome.profiles)
        if outcome.backup is not None:
            self.backups.prune(path)
        return outcome

    def _merge(
        self, original: PlayerFile, groupset: GroupSet, profiles: Sequence[str], backup: _Speculative | None,
        job: ParseJob, clock: _Clock, owned: frozenset[str], adopt: bool,
    ) -> MergeOutcome:
        path = original.path
        sv, chosen, plan, new_data = self._plan(job, groupset, profiles, owned, adopt)
        clock.lap("load+plan+splice")
        if new_data is None or backup is None:
            return MergeOutcome("unchanged" if plan.unchanged else "dry-run", path, chosen, plan, None, clock.timings)
        # Lua checks the new bytes while they are written and fsynced and the backup is made durable.
        checking = job.then(lambda sv: verify_bytes(sv, new_data, plan))
        written = self._write(original, new_data, checking, backup)
        made = backup.keep()
        clock.lap("write+verify")
        self._confirm(original.real, written, made)
        clock.lap("confirm")
        return MergeOutcome("applied", path, chosen, plan, made, clock.timings)

    def _plan(
        self, job: ParseJob, groupset: GroupSet, profiles: Sequence[str], owned: frozenset[str], adopt: bool,
    ) -> tuple[SavedVariables, tuple[str, ...], MergePlan, bytes | None]:
        """Plan and splice from the preview while Lua still loads the whole file; keep that work only if
        the full load then agrees with the preview, else plan again from the full load. Either way every
        error about the file itself comes from the full load first."""
        early = None
        preview = job.preview(groups=lambda path: path == "" or is_managed(path, groupset.root))
        if preview is not None:
            try:
                chosen = select_profiles(preview.meta, profiles)
                # Lua compares the preview with the full load on its own thread while we plan and splice.
                agrees = job.then(lambda sv: preview.matches(sv, _keys_read(chosen)))
                plan = plan_for(preview, groupset, chosen, job.entries, owned=owned, adopt=adopt)
                early = (chosen, plan, None if plan.unchanged else _splice(job, plan))
            except TsmSyncError:
                early = None  # the full load decides what is wrong with the file
        sv = job.result()
        if early is not None and agrees.result():
            return sv, *early
        chosen = select_profiles(sv.meta, profiles)
        plan = plan_for(sv, groupset, chosen, job.entries, owned=owned, adopt=adopt)
        return sv, chosen, plan, None if plan.unchanged else _splice(job, plan)

    def _write(
        self, original: PlayerFile, new_data: bytes, checking: Future[str | None], backup: _Speculative
    ) -> os.stat_result:
        path = original.path

        def last_check() -> None:
            # The file is compared first (bytes too on coarse-timestamp filesystems), while Lua may still
            # be verifying; right before the replace the game and the file's stat are checked again.
            same = original.still_on_disk()
            backup.commit()  # raises BackupError: nothing has been changed yet
            problem = checking.result()
            if problem is not None:
                raise VerifyError(f"the merged {path.name} did not verify ({problem}); nothing was written")
            self._check_game(path)
            if not (same and original.still_on_disk(read=False)):
                raise FileChangedError(f"{path.name} changed on disk while merging; nothing was written, try again")

        try:
            # The real file is replaced: a symlinked TradeSkillMaster.lua stays a link to the new bytes.
            return write_atomic(original.real, new_data, before_replace=last_check, mode=original.mode)
        except TsmSyncError:
            raise
        except OSError as exc:
            raise ApplyError(f"could not write {path}: {exc.strerror or exc}; the original file is untouched") from exc

    def _check_game(self, path: Path) -> None:
        require_closed(path, self.games, f"{path.name} was left untouched")

    @staticmethod
    def _confirm(path: Path, written: os.stat_result, backup: Backup) -> None:
        """After the replace, ``path`` must be the very file we wrote and fsynced, whose bytes Lua
        verified before the replace. If another program replaced it in between, its file is newer than
        ours and is left alone; the player's original is in the backup."""
        try:
            now = path.stat()
            ours = (now.st_dev, now.st_ino, now.st_size) == (written.st_dev, written.st_ino, written.st_size)
        except OSError:
            ours = False
        if not ours:
            raise FileChangedError(
                f"another program replaced {path.name} right after tsmsyncd wrote it; it was left as that "
                f"program wrote it (your file from before the merge is backup {backup.id})"
            )


def _free_later(job: ParseJob) -> None:
    """Drop the job's Lua states (hundreds of MB for a big file) on a background thread, a moment after
    the merge has returned: closing them holds the GIL for a while and nobody needs to wait for it."""
    timer = threading.Timer(0.2, job.close)
    timer.daemon = True
    timer.name = "lua-free"
    timer.start()


def _splice(job: ParseJob, plan: MergePlan) -> bytes:
    assert job.layout is not None  # there is a plan, so there is a layout
    try:
        return splice(job.data, job.layout, plan.changes, plan.previous, job.entries)
    except (ValueError, TypeError) as exc:
        raise SavedVariablesError(f"{job.name}: {exc}; refusing to guess which one TSM uses") from exc


def _keys_read(profiles: Sequence[str]) -> list[str]:
    """Every top-level key ``plan_for`` reads (or checks for) for these profiles."""
    return [SHARED_OPERATIONS_KEYS[0], SHARED_OPERATIONS_KEYS[1], *(k for p in profiles for k in profile_keys(p))]


def plan_for(
    sv: SavedVariables | Preview, groupset: GroupSet, profiles: Sequence[str],
    entries: Mapping[str, EntryLayout | None] | None = None, *, owned: frozenset[str] = frozenset(),
    adopt: bool = False,
) -> MergePlan:
    """Read the tables the merge needs from a loaded file (or its preview) and plan. A groups table the
    splice can edit entry by entry (``entries``) is read lazily: the player's own groups stand as
    placeholders the plan passes through untouched, so they are neither converted nor rewritten."""
    shared_key = sv.shared_operations_key()
    keys = {shared_key} | {k for p in profiles for k in profile_keys(p)}
    read = lambda path: path == "" or is_managed(path, groupset.root)  # noqa: E731  # base group + ours
    current = {
        key: sv.value(key, only=read) if key.endswith(GROUPS_SUFFIX) and (entries or {}).get(key) else sv.value(key)
        for key in keys
    }
    return plan_merge(
        groupset,
        current,
        tuple(profiles),
        global_operations=sv.meta.global_operations,
        shared_operations_key=shared_key,
        flavor=infer_flavor(current.values()),
        owned=owned,
        adopt=adopt,
    )


def verify_bytes(sv: SavedVariables, new_data: bytes, plan: MergePlan) -> str | None:
    """None if Lua 5.1 reads ``new_data`` as the original with exactly the planned changes, else what is
    wrong (one phrase): every untouched global and top-level key equal to before (compared inside Lua),
    every changed key equal to the plan."""
    try:
        env = load_chunk(sv.sandbox, new_data, sv.name)
    except SavedVariablesError as exc:
        return f"Lua 5.1 cannot load it: {exc}"
    other_globals = sv.sandbox.differing(sv.env, env, frozenset({DB_NAME.encode()}))
    if other_globals:
        return f"global {other_globals[0]} changed"
    db = env[DB_NAME.encode()]  # type: ignore[index]
    changed = frozenset(k.encode("utf-8", "surrogateescape") for k in plan.changes)
    untouched = sv.sandbox.differing(sv.db, db, changed)
    if untouched:
        return f"untouched key {untouched[0]!r} changed"
    for key, value in plan.changes.items():
        if not _holds_plan(sv, db, key, value, plan.previous.get(key)):
            return f"{key} does not hold the planned value"
    return None


def _holds_plan(sv: SavedVariables, db: object, key: str, value: object, previous: object) -> bool:
    """Whether the new file's ``key`` equals ``value``. For a table that was edited entry by entry, the
    entries the plan kept are compared with the original inside Lua and only the changed entries are
    converted to Python: a 100,000-item table costs milliseconds, not a full conversion."""
    raw_key = _lua_key(key)
    new_table = db[raw_key]  # type: ignore[index]
    old_table = sv.db[raw_key]  # type: ignore[index]
    if not (isinstance(value, dict) and isinstance(previous, dict) and old_table is not None):
        return to_python(new_table) == lua_shape(value)
    if lua51.lua_type(new_table) != "table":
        return False
    # The plan keeps the very objects it read for entries it does not change, so `is` settles most.
    changed = {k for k, v in value.items() if k not in previous or (previous[k] is not v and previous[k] != v)}
    changed.update(k for k in previous if k not in value)
    lua_changed = frozenset(_lua_key(k) for k in changed)
    if sv.sandbox.differing(old_table, new_table, lua_changed, limit=1):
        return False
    return all(to_python(new_table[_lua_key(k)]) == lua_shape(value.get(k)) for k in changed)  # type: ignore[index]


def _lua_key(key: object) -> object:
    return key.encode("utf-8", "surrogateescape") if isinstance(key, str) else key


def select_profiles(meta: TsmMeta, requested: Sequence[str]) -> tuple[str, ...]:
    """The requested profiles (each must exist), or the profiles characters actually use."""
    if requested:
        missing = [p for p in requested if p not in meta.profiles]
        if missing:
            have = ", ".join(meta.profiles) or "none"
            raise ProfileError(f"profile '{missing[0]}' is not in this file (it has: {have})")
        return tuple(dict.fromkeys(requested))
    used = meta.used_profiles()
    if not used:
        raise ProfileError(f"no character uses a profile yet; pass --profile (profiles: {', '.join(meta.profiles)})")
    return used


def infer_flavor(tables: object) -> Flavor:
    """Which client wrote the file, judged by the fields its Auctioning operations carry (TSM adds
    ``blacklist`` on classic clients and stack fields where the auction house still has stacks)."""
    keys: set[str] = set()
    for table in tables:  # type: ignore[attr-defined]
        auctioning = table.get("Auctioning") if isinstance(table, dict) else None
        if isinstance(auctioning, dict):
            for op in auctioning.values():
                if isinstance(op, dict):
                    keys.update(k for k in op if isinstance(k, str))
    if "matchStackSize" in keys:
        return Flavor.CLASSIC_ERA
    if "blacklist" in keys:
        return Flavor.CLASSIC
    return Flavor.RETAIL


class _Clock:
    """Wall time per step, reported with the outcome (the benchmark prints them)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._last
        self._last = now

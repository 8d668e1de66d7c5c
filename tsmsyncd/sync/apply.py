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
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from tsmsyncd.errors import ApplyError, FileChangedError, TsmSyncError, VerifyError
from tsmsyncd.store.atomic import remove_stale_temps, write_atomic
from tsmsyncd.store.backups import Backup, BackupStore, PendingBackup
from tsmsyncd.store.playerfile import PlayerFile
from tsmsyncd.store.roots import RootRecord
from tsmsyncd.tsm.groupset import GroupSet
from tsmsyncd.tsm.luasandbox import LuaLimits
from tsmsyncd.tsm.merge import MergePlan
from tsmsyncd.tsm.planning import plan_target, verify_bytes
from tsmsyncd.tsm.savedvars import ParseJob
from tsmsyncd.wow.process import GameProcess, games_blocking, require_closed

__all__ = ["MergeOutcome", "MergeStatus", "Merger"]


class MergeStatus(StrEnum):
    APPLIED = "applied"  # the file was replaced
    UNCHANGED = "unchanged"  # the file already holds this GroupSet: nothing written
    DRY_RUN = "dry-run"  # planned and reported, nothing written


@dataclass(frozen=True)
class MergeOutcome:
    status: MergeStatus
    path: Path
    profiles: tuple[str, ...]
    plan: MergePlan
    backup: Backup | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """The plan and the result, as the CLI's ``--json``, the API and history show them."""
        report = self.plan.report
        return {
            "status": str(self.status),
            "file": str(self.path),
            "profiles": list(self.profiles),
            "changed_keys": sorted(self.plan.changes),
            "report": asdict(report) if report else None,
            "backup": self.backup.as_json() if self.backup else None,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


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
    compact: Callable[[Path], None] = lambda path: None  # after a merge: what happens to older backups

    def merge(
        self, path: Path, groupset: GroupSet, profiles: Sequence[str] = (), *, dry_run: bool = False,
        adopt_root: bool = False, plan_while_playing: bool = False,
    ) -> MergeOutcome:
        """Merge (or with ``dry_run`` only plan). ``plan_while_playing``: a dry run may read the file while the
        game runs (the daemon plans what will wait); the CLI's dry run refuses like a merge (exit 3)."""
        clock = _Clock()
        if not (dry_run and plan_while_playing):
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
        if outcome.status is not MergeStatus.DRY_RUN:
            record.add(groupset.root, outcome.profiles)
        if outcome.backup is not None:
            self.backups.prune(path)
            self.compact(path)  # the newest stays where the outcome says; older ones are compressed
        return outcome

    def _merge(
        self, original: PlayerFile, groupset: GroupSet, profiles: Sequence[str], backup: _Speculative | None,
        job: ParseJob, clock: _Clock, owned: frozenset[str], adopt: bool,
    ) -> MergeOutcome:
        path = original.path
        sv, chosen, plan, new_data = plan_target(job, groupset, profiles, owned, adopt)
        clock.lap("load+plan+splice")
        if new_data is None or backup is None:
            status = MergeStatus.UNCHANGED if plan.unchanged else MergeStatus.DRY_RUN
            return MergeOutcome(status, path, chosen, plan, None, clock.timings)
        # Lua checks the new bytes while they are written and fsynced and the backup is made durable.
        checking = job.then(lambda sv: verify_bytes(sv, new_data, plan))
        written = self._write(original, new_data, checking, backup)
        made = backup.keep()
        clock.lap("write+verify")
        self._confirm(original.real, written, made)
        clock.lap("confirm")
        return MergeOutcome(MergeStatus.APPLIED, path, chosen, plan, made, clock.timings)

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


class _Clock:
    """Wall time per step, reported with the outcome (the benchmark prints them)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._last
        self._last = now

"""Put a backup back, and prove it: the restore players can trust.

Order of work, and why:
1. Refuse while a game client that may write the file runs (it would overwrite the restore at logout).
2. Read the backup and check it against its manifest entry (size, sha256) and that Lua 5.1 loads it: a
   damaged backup is reported and nothing is overwritten.
3. Take a ``before-restore`` backup of the current file, so the restore itself can be undone.
4. Replace the file atomically (game checked again right before the replace).
5. Read the file back: its sha256 must be the manifest's and Lua must load it; otherwise the previous
   bytes go back and the error says so.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tsmsyncd.errors import ApplyError, BackupError, SavedVariablesError, TsmSyncError, VerifyError
from tsmsyncd.store.atomic import remove_stale_temps, write_atomic
from tsmsyncd.store.backups import Backup, BackupStore
from tsmsyncd.store.playerfile import PlayerFile
from tsmsyncd.tsm.luasandbox import LuaLimits, LuaSandbox
from tsmsyncd.tsm.savedvars import load_chunk
from tsmsyncd.wow.process import GameProcess, games_blocking, require_closed

__all__ = ["RestoreOutcome", "RestoreStatus", "Restorer"]


class RestoreStatus(StrEnum):
    RESTORED = "restored"
    UNCHANGED = "unchanged"  # the file already holds exactly those bytes


@dataclass(frozen=True)
class RestoreOutcome:
    status: RestoreStatus
    path: Path
    restored: Backup
    undo: Backup | None  # the before-restore backup of what the file held

    def as_json(self) -> dict[str, object]:
        return {"status": str(self.status), "restored": self.restored.as_json(),
                "undo": self.undo.as_json() if self.undo else None}


@dataclass
class Restorer:
    backups: BackupStore
    games: Callable[[Path], Sequence[GameProcess]] = games_blocking
    limits: LuaLimits | None = None

    def restore(self, path: Path, backup_id: str) -> RestoreOutcome:
        self._check_game(path)
        backup = self.backups.get(path, backup_id)
        data = self.backups.read(path, backup)  # BackupError when damaged: nothing touched yet
        problem = self._lua_problem(data, path.name)
        if problem:
            raise BackupError(f"backup {backup.id} does not load in Lua 5.1 ({problem}); nothing was changed")
        # The live file obeys the merge's rules (no devices, FIFOs, giant files; a symlink is written through).
        live = PlayerFile.read(path) if os.path.lexists(path) else None
        target = live.real if live else path
        remove_stale_temps(target)
        current, mode = (live.data, live.mode) if live else (None, 0o644)
        if current == data:
            return RestoreOutcome(RestoreStatus.UNCHANGED, path, backup, None)
        undo = self.backups.create(path, current, "before-restore") if current is not None else None
        try:
            write_atomic(target, data, before_replace=lambda: self._check_game(path), mode=mode)
        except TsmSyncError:
            raise
        except OSError as exc:
            raise ApplyError(f"could not write {path}: {exc.strerror or exc}; the live file is untouched") from exc
        self._confirm_or_roll_back(target, backup, current, mode)
        return RestoreOutcome(RestoreStatus.RESTORED, path, backup, undo)

    def _confirm_or_roll_back(self, path: Path, backup: Backup, previous: bytes | None, mode: int) -> None:
        try:
            written = path.read_bytes()
            problem = None if hashlib.sha256(written).hexdigest() == backup.sha256 else "its checksum does not match"
            problem = problem or self._lua_problem(written, path.name)
        except OSError as exc:
            problem = f"it could not be read back ({exc.strerror or exc})"
        if problem is None:
            return
        try:
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, previous, mode=mode)
        except OSError as exc:
            raise VerifyError(
                f"the restored {path.name} did not verify ({problem}) and putting the previous file back failed "
                f"({exc.strerror or exc}); use the before-restore backup"
            ) from exc
        raise VerifyError(f"the restored {path.name} did not verify ({problem}); the previous file was put back")

    def _lua_problem(self, data: bytes, name: str) -> str | None:
        try:
            load_chunk(LuaSandbox(self.limits), data, name)
        except SavedVariablesError as exc:
            return str(exc)
        return None

    def _check_game(self, path: Path) -> None:
        require_closed(path, self.games, "nothing was restored")

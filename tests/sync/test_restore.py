"""Restoring a backup: the original bytes come back, verified, and nothing is lost on the way."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from sv_factory import render, tsm_db

from tsmsyncd.cli import main
from tsmsyncd.errors import ApplyError, BackupError, GameRunningError
from tsmsyncd.store.backups import BackupStore
from tsmsyncd.sync.apply import Merger
from tsmsyncd.sync.restore import Restorer
from tsmsyncd.tsm.groupset import GroupSet

GROUPSET = {"format": "tsmsyncd.groupset/1", "root": "TSM Sync",
            "groups": [{"path": ["Flips"], "items": ["i:2447"], "operations": {}}], "operations": {}}


def no_games(path: Path) -> list:
    return []


@pytest.fixture
def merged(real_file: Path, tmp_path: Path) -> tuple[Path, BackupStore, bytes]:
    """A real file that was merged into: its before-merge backup holds the original bytes."""
    original = real_file.read_bytes()
    store = BackupStore(tmp_path / "backups")
    Merger(store, games=no_games).merge(real_file, GroupSet.from_dict(GROUPSET))
    assert real_file.read_bytes() != original
    return real_file, store, original


def test_restore_gives_back_the_original_bytes_and_can_itself_be_undone(merged) -> None:
    path, store, original = merged
    after_merge = path.read_bytes()
    (before_merge,) = store.backups_of(path)
    outcome = Restorer(store, games=no_games).restore(path, before_merge.id)
    assert outcome.status == "restored" and path.read_bytes() == original
    assert outcome.undo is not None and outcome.undo.reason == "before-restore"
    Restorer(store, games=no_games).restore(path, outcome.undo.id)
    assert path.read_bytes() == after_merge


def test_restoring_what_is_already_there_changes_nothing(merged) -> None:
    path, store, original = merged
    (backup,) = store.backups_of(path)
    Restorer(store, games=no_games).restore(path, backup.id)
    count = len(store.backups_of(path))
    assert Restorer(store, games=no_games).restore(path, backup.id).status == "unchanged"
    assert len(store.backups_of(path)) == count


def test_a_restore_into_a_missing_file_recreates_it(merged) -> None:
    path, store, original = merged
    (backup,) = store.backups_of(path)
    path.unlink()
    outcome = Restorer(store, games=no_games).restore(path, backup.id)
    assert outcome.undo is None and path.read_bytes() == original


def test_a_damaged_backup_overwrites_nothing(merged) -> None:
    path, store, _ = merged
    (backup,) = store.backups_of(path)
    copy = store.folder_for(path) / backup.file
    raw = bytearray(copy.read_bytes())
    raw[-5] ^= 0xFF
    copy.write_bytes(bytes(raw))
    current = path.read_bytes()
    with pytest.raises(BackupError, match="damaged"):
        Restorer(store, games=no_games).restore(path, backup.id)
    assert path.read_bytes() == current
    assert len(store.backups_of(path)) == 1  # not even a before-restore backup was needed


def test_a_backup_that_is_not_lua_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "TradeSkillMaster.lua"
    path.write_bytes(render(tsm_db()))
    store = BackupStore(tmp_path / "backups")
    bad = store.create(path, b"TradeSkillMasterDB = {", "manual")
    with pytest.raises(BackupError, match="does not load in Lua 5.1"):
        Restorer(store, games=no_games).restore(path, bad.id)
    assert path.read_bytes() == render(tsm_db())


def test_a_full_disk_during_the_restore_leaves_the_live_file_untouched(
    merged, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, store, _ = merged
    (backup,) = store.backups_of(path)
    current = path.read_bytes()
    real_write = os.write

    def full_in_the_game_folder(fd: int, data: bytes) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(path.parent)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_in_the_game_folder)
    with pytest.raises(ApplyError, match="No space left on device; the live file is untouched"):
        Restorer(store, games=no_games).restore(path, backup.id)
    monkeypatch.undo()
    assert path.read_bytes() == current
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, "TradeSkillMaster.tsmsyncd.json"]


def test_a_full_disk_during_the_merge_backup_leaves_the_live_file_untouched(
    real_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = real_file.read_bytes()
    backups = tmp_path / "backups"
    real_write = os.write

    def full_in_the_backup_folder(fd: int, data: bytes) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(backups)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_in_the_backup_folder)
    with pytest.raises(BackupError, match="No space left on device; nothing was changed"):
        Merger(BackupStore(backups), games=no_games).merge(real_file, GroupSet.from_dict(GROUPSET))
    assert real_file.read_bytes() == before


def test_restore_is_refused_while_the_game_runs(merged, fake_wow, capsys: pytest.CaptureFixture[str]) -> None:
    path, store, _ = merged
    (backup,) = store.backups_of(path)
    current = path.read_bytes()
    with pytest.raises(GameRunningError):
        Restorer(store).restore(path, backup.id)
    code = main(["backups", "restore", str(path), backup.id, "--backup-dir", str(store.root)])
    assert code == 3 and "World of Warcraft is running (Wow.exe); nothing was restored" in capsys.readouterr().err
    assert path.read_bytes() == current


def test_the_backups_commands(merged, capsys: pytest.CaptureFixture[str]) -> None:
    path, store, original = merged
    root = ["--backup-dir", str(store.root)]

    def run(*args: str) -> tuple[int, str, str]:
        code = main([*args, *root])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run("backups", "create", str(path), "--note", "before I try something")
    assert code == 0 and "before I try something" in out
    code, out, _ = run("backups", "list", str(path), "--json")
    listed = json.loads(out)
    assert [b["reason"] for b in listed] == ["before-merge", "manual"]
    first = listed[0]["id"]
    assert run("backups", "pin", str(path), first)[0] == 0
    assert json.loads(run("backups", "list", str(path), "--json")[1])[0]["pinned"] is True
    assert run("backups", "unpin", str(path), first)[0] == 0
    code, out, _ = run("backups", "prune", str(path), "--dry-run")
    assert code == 0 and out.startswith("Would remove 0 backup(s)")
    code, out, _ = run("backups", "restore", str(path), first)
    assert code == 0 and "to undo: tsmsyncd backups restore" in out
    assert path.read_bytes() == original
    code, _, err = run("backups", "restore", str(path), "../../etc/passwd")
    assert code == 1 and "is not a backup id" in err and err.count("\n") == 1

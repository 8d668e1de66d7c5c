"""The backup store: what it keeps, how it checks what it kept, and what it refuses."""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tsmsyncd.errors import BackupError, NotFoundError
from tsmsyncd.store.backups import Backup, BackupStore, RetentionPolicy, plan_prune

START = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def live(tmp_path: Path) -> Path:
    path = tmp_path / "wow" / "TradeSkillMaster.lua"
    path.parent.mkdir()
    path.write_bytes(b"TradeSkillMasterDB = {}\r\n")
    return path


def test_sixty_days_of_backups_keep_exactly_what_the_policy_says(live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    made: list[Backup] = []
    for day in range(60):
        for hour in (3, 9, 15, 21):  # four changed files a day
            now = START + timedelta(days=day, hours=hour)
            made.append(store.create(live, f"day {day} hour {hour}".encode(), "scheduled", now=now))
            if len(made) == 6:  # day 1, 09:00: pinned right away, so it outlives everything
                pinned = store.set_pinned(live, made[5].id, True)
    end = START + timedelta(days=59, hours=21)
    store.prune(live, now=end)
    kept = {b.id for b in store.backups_of(live)}

    last_20 = {b.id for b in made[-20:]}
    horizon = end - timedelta(days=30)
    newest_per_day = {}
    for b in made:
        if b.created_at >= horizon:
            newest_per_day[b.created_at.date()] = b.id  # later ones overwrite: the newest of each day
    assert kept == last_20 | set(newest_per_day.values()) | {pinned.id}
    assert len(kept) == len(last_20 | set(newest_per_day.values())) + 1
    files = {p.name for p in store.folder_for(live).iterdir()} - {"manifest.json"}
    assert files == {f"{i}.lua.zst" for i in kept}  # pruned copies are gone from disk too


def test_the_last_backup_is_never_pruned() -> None:
    old = Backup("20200101T000000000000Z-manual-00000000", "x", "2020-01-01T00:00:00+00:00", "manual", 1, "0" * 64,
                 "0", "/x")
    assert plan_prune([old], datetime(2026, 1, 1, tzinfo=UTC), RetentionPolicy(keep_last=0, daily_days=0)) == []


def test_scheduled_backups_only_when_the_file_changed(live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    assert store.create_if_changed(live, b"one") is not None
    assert store.create_if_changed(live, b"one") is None
    assert store.create_if_changed(live, b"two") is not None
    assert [b.reason for b in store.backups_of(live)] == ["scheduled", "scheduled"]


def test_manifest_entries_say_when_why_size_checksum_and_version(live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    b = store.create(live, live.read_bytes(), "manual", note="before patch 11.1")
    assert b.reason == "manual" and b.note == "before patch 11.1" and b.size == len(live.read_bytes())
    assert len(b.sha256) == 64 and b.app_version and b.source == str(live.resolve())
    assert store.read(live, b) == live.read_bytes()


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "delete"])
def test_a_damaged_backup_is_detected(damage: str, live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    b = store.create(live, b"x" * 10_000, "manual")
    copy = store.folder_for(live) / b.file
    raw = bytearray(copy.read_bytes())
    if damage == "flip a byte":
        raw[len(raw) // 2] ^= 0x40
        copy.write_bytes(bytes(raw))
    elif damage == "truncate":
        copy.write_bytes(bytes(raw[: len(raw) // 2]))
    else:
        copy.unlink()
    with pytest.raises(BackupError, match="damaged"):
        store.read(live, b)


@pytest.mark.parametrize("bad_id", ["../../x", "..", "/etc/passwd", "20261125T120000123456Z-manual-1a2b3c4d/../../x",
                                    "20261125T120000123456Z-manual-1A2B3C4D", "manifest.json", ""])
def test_backup_ids_cannot_smuggle_paths(bad_id: str, live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    store.create(live, b"x", "manual")
    with pytest.raises(NotFoundError, match="is not a backup id"):
        store.get(live, bad_id)


def test_a_full_disk_during_a_backup_leaves_nothing_behind(
    live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BackupStore(tmp_path / "backups")

    def disk_full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(BackupError, match="No space left on device; nothing was changed"):
        store.create(live, b"data", "manual")
    monkeypatch.undo()
    assert store.backups_of(live) == []
    assert not [p for p in store.folder_for(live).iterdir()]


def read_with_stat(path: Path) -> tuple[bytes, os.stat_result]:
    with path.open("rb") as f:
        return f.read(), os.fstat(f.fileno())


def test_a_merge_backup_is_a_hard_link_to_the_file_as_read(live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    data, stat = read_with_stat(live)
    b = store.create(live, data, "before-merge", same_file=stat)
    linked = store.folder_for(live) / b.file
    assert b.file == f"{b.id}.lua" and linked.stat().st_ino == stat.st_ino
    assert store.read(live, b) == data


def test_a_file_that_changed_since_it_was_read_is_copied_not_linked(live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    data, stat = read_with_stat(live)
    live.write_bytes(b"TradeSkillMasterDB = {} -- the game saved meanwhile\r\n")
    os.utime(live, ns=(stat.st_mtime_ns + 10**9, stat.st_mtime_ns + 10**9))
    b = store.create(live, data, "before-merge", same_file=stat)
    copy = store.folder_for(live) / b.file
    assert b.file == f"{b.id}.lua" and copy.stat().st_ino != live.stat().st_ino
    assert store.read(live, b) == data  # the bytes the merge planned from, not the game's newer file
    assert sorted(p.name for p in store.folder_for(live).iterdir()) == sorted([b.file, "manifest.json"])


def test_compact_compresses_a_merge_backup_and_keeps_its_bytes(live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    data, stat = read_with_stat(live)
    b = store.create(live, data, "before-merge", same_file=stat)
    assert store.compact(live) == 1
    (packed,) = store.backups_of(live)
    assert packed.file == f"{b.id}.lua.zst" and store.read(live, packed) == data
    assert sorted(p.name for p in store.folder_for(live).iterdir()) == sorted([packed.file, "manifest.json"])
    assert store.compact(live) == 0


def test_another_volume_gets_a_plain_copy_compressed_later(live: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == live.stat().st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the temp dir")
    store = BackupStore(shm / f"tsmsyncd-test-{os.getpid()}")
    try:
        data, stat = read_with_stat(live)
        b = store.create(live, data, "before-merge", same_file=stat)
        assert b.file == f"{b.id}.lua" and store.read(live, b) == data
        assert store.compact(live) == 1 and store.backups_of(live)[0].file == f"{b.id}.lua.zst"
    finally:
        shutil.rmtree(store.root, ignore_errors=True)


def test_compact_leaves_a_link_whose_bytes_changed_in_place_and_read_calls_it_damaged(
    live: Path, tmp_path: Path
) -> None:
    store = BackupStore(tmp_path / "backups")
    data, stat = read_with_stat(live)
    b = store.create(live, data, "before-merge", same_file=stat)
    with live.open("r+b") as f:  # something wrote into the live file in place, through the shared inode
        f.write(b"X")
    assert store.compact(live) == 0
    assert store.backups_of(live) == [b]
    with pytest.raises(BackupError, match="damaged"):
        store.read(live, b)


def test_a_manifest_that_names_a_foreign_file_is_refused(live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    b = store.create(live, b"x", "manual")
    with pytest.raises(BackupError, match="unexpected file"):
        store.read(live, replace(b, file="../../../etc/passwd"))


# -- issue 10, class 3: refusals, printed paths, damaged manifests, missing files, killed merges ----------


def test_refused_merges_never_push_real_backups_out_of_retention(live: Path, tmp_path: Path) -> None:
    """Issue 10, class 3: each refused merge made a speculative backup and pruned at once, so 21 refusals
    pushed a noted manual backup out. Now a speculative backup prunes nothing and is discarded."""
    from tsmsyncd.errors import SavedVariablesError
    from tsmsyncd.sync.apply import Merger
    from tsmsyncd.tsm.groupset import GroupSet

    store = BackupStore(tmp_path / "backups")
    # A store at the edge of its retention: the noted backup is the oldest of the last 20 (months ago,
    # so no "newest of the day" rule keeps it either).
    noted = store.create(live, b"noted", "manual", now=START, note="before trying the new rules")
    for hour in range(1, 20):
        store.create(live, f"scheduled {hour}".encode(), "scheduled", now=START + timedelta(hours=hour))
    before = store.backups_of(live)
    live.write_bytes(b"TradeSkillMasterDB = { broken\r\n")
    gs = GroupSet.from_dict({"format": "tsmsyncd.groupset/1", "root": "TSM Sync", "groups": []})
    for _ in range(21):
        with pytest.raises(SavedVariablesError):
            Merger(store, games=lambda p: []).merge(live, gs)
    assert store.backups_of(live) == before and noted in before
    assert sorted(p.name for p in store.folder_for(live).iterdir()) == sorted([*(b.file for b in before),
                                                                              "manifest.json"])


@pytest.mark.parametrize("damage", ["garbage", "truncated", "not a list", "wrong types", "unknown field", "deep"])
def test_a_damaged_manifest_is_set_aside_and_rebuilt_from_the_files_that_verify(
    damage: str, live: Path, tmp_path: Path
) -> None:
    store = BackupStore(tmp_path / "backups")
    a = store.create(live, b"first", "manual", now=START)
    b = store.create(live, b"second", "before-restore", now=START + timedelta(hours=1))
    manifest = store.folder_for(live) / "manifest.json"
    good = manifest.read_bytes()
    manifest.write_bytes({
        "garbage": b"\x00\xffnot json", "truncated": good[: len(good) // 2], "not a list": b'{"a": 1}',
        "wrong types": good.replace(b'"size": 5', b'"size": "5"'), "unknown field": good.replace(b'"pinned"', b'"pin"'),
        "deep": b"[" * 100_000,
    }[damage])
    fresh = BackupStore(tmp_path / "backups")
    found = fresh.backups_of(live)
    assert [x.id for x in found] == [a.id, b.id]
    assert [fresh.read(live, x) for x in found] == [b"first", b"second"]
    (notice,) = fresh.notices
    assert "was damaged" in notice and "kept as manifest.json.damaged-" in notice and "2 backup file(s)" in notice
    assert len([p for p in store.folder_for(live).iterdir() if p.name.startswith("manifest.json.damaged-")]) == 1
    fresh.create(live, b"third", "manual")  # and backups work again
    assert len(fresh.backups_of(live)) == 3


def test_a_backup_file_that_does_not_verify_is_kept_aside_during_a_rebuild(live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    a = store.create(live, b"first", "manual")
    folder = store.folder_for(live)
    (folder / a.file).write_bytes(b"tampered")
    (folder / "manifest.json").write_bytes(b"nonsense")
    assert store.backups_of(live) == []
    assert (folder / "damaged" / a.file).read_bytes() == b"tampered"
    assert "1 file(s) that do not verify were moved to damaged/" in store.notices[0]


def test_a_listed_backup_whose_file_is_gone_is_shown_as_missing(live: Path, tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "backups")
    b = store.create(live, b"x", "manual")
    store.path_of(live, b).unlink()
    assert store.backups_of(live) == [b] and not store.exists(live, b)
    with pytest.raises(BackupError, match=f"backup {b.id} is missing: its file .* is gone"):
        store.read(live, b)


def test_leftovers_of_a_killed_process_are_swept_and_a_listed_pending_file_is_completed(
    live: Path, tmp_path: Path
) -> None:
    from tsmsyncd.store.manifest import pending_name

    store = BackupStore(tmp_path / "backups")
    made = store.create(live, b"x", "manual")
    folder = store.folder_for(live)
    dead = 2**22 + 12345  # above Linux's pid_max: never a running process
    (folder / pending_name("20260101T000000000000Z-before-merge-00000000.lua", dead)).write_bytes(b"spec")
    (folder / "20260101T000000000000Z-manual-00000000.lua.zst").write_bytes(b"pruned, never deleted")
    os.replace(folder / made.file, folder / pending_name(made.file, dead))  # listed, killed before the rename
    mine = folder / pending_name("20260101T000000000000Z-before-merge-11111111.lua")  # this process: in flight
    mine.write_bytes(b"in flight")
    assert store.backups_of(live) == [made]
    assert sorted(p.name for p in folder.iterdir()) == sorted([made.file, "manifest.json", mine.name])
    assert store.read(live, made) == b"x"

"""Merging on disk: real and generated files, every untouched byte identical, backups, verify and rollback."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import zstandard
from sv_factory import render, tsm_db

from tsmsyncd.errors import FileChangedError, VerifyError
from tsmsyncd.store.backups import BackupStore
from tsmsyncd.sync.apply import Merger
from tsmsyncd.tsm.groupset import GroupSet
from tsmsyncd.tsm.luasandbox import LuaLimits
from tsmsyncd.tsm.luascan import scan_global_table
from tsmsyncd.tsm.savedvars import read_savedvars

GROUPSET = {
    "format": "tsmsyncd.groupset/1",
    "root": "TSM Sync",
    "groups": [
        {"path": ["Flips"], "items": [], "operations": {"Shopping": ["TSM Sync Flip Buy"]}},
        {"path": ["Flips", "High Volume"], "items": ["i:2447", "i:765", "p:39"], "operations": {}},
        {"path": ["Deals"], "items": ["i:152505", "i:168487"], "operations": {"Auctioning": ["TSM Sync Post"]}},
    ],
    "operations": {
        "Shopping": {"TSM Sync Flip Buy": {"maxPrice": "dbmarket * 0.8", "restockQuantity": "10"}},
        "Auctioning": {"TSM Sync Post": {"minPrice": "dbmarket * 0.9", "postCap": "3"}},
    },
}


def no_games(path: Path) -> list:
    return []


def merger(tmp_path: Path, **kw) -> Merger:
    return Merger(BackupStore(tmp_path / "backups"), games=kw.pop("games", no_games), **kw)


def assert_only_changed_keys_differ(before: bytes, after: bytes, changed: set[str]) -> None:
    """Cut every changed value out of both files: what is left must be byte-identical."""
    old, new = scan_global_table(before), scan_global_table(after)

    def without_changed(data: bytes, layout) -> bytes:
        spans = sorted((f.start, f.value_end) for f in layout.fields if f.key in changed)
        out, pos = [], 0
        for start, end in spans:
            out.append(data[pos:start])
            pos = end
        out.append(data[pos:])
        return b"".join(out)

    inserted = [f for f in new.fields if f.key in changed and not old.find(f.key)]
    if not inserted:
        assert without_changed(before, old) == without_changed(after, new)
    for field in old.fields:
        if field.key not in changed:
            match = new.find(field.key)[0]
            assert after[match.start : match.value_end] == before[field.start : field.value_end], field.key
    assert after[: new.open] == before[: old.open]  # everything before the table, byte for byte
    tail_old, tail_new = before[old.close :], after[new.close :]
    assert tail_new == tail_old  # the closing brace and every global after it (TSMItemInfoDB)


def test_merge_into_real_files_changes_only_the_managed_keys(real_file: Path, tmp_path: Path) -> None:
    before = real_file.read_bytes()
    outcome = merger(tmp_path).merge(real_file, GroupSet.from_dict(GROUPSET))
    after = real_file.read_bytes()
    assert outcome.status == "applied"
    changed = set(outcome.plan.changes)
    assert changed == {"p@Default@userData@groups", "p@Default@userData@items", "p@Default@userData@operations"}
    assert_only_changed_keys_differ(before, after, changed)
    sv = read_savedvars(real_file)  # loads in Lua 5.1 and still passes TSM's meta checks
    groups = sv.value("p@Default@userData@groups")
    assert groups["TSM Sync`Flips"]["Shopping"] == {1: "TSM Sync Flip Buy", "override": True}
    items = sv.value("p@Default@userData@items")
    assert items["i:2447"] == "TSM Sync`Flips`High Volume" and items["p:39"] == "TSM Sync`Flips`High Volume"
    assert b"\r\n" in after and after.count(b"\n") == after.count(b"\r\n")  # the file's own line endings


def test_the_backup_holds_the_original_bytes(real_file: Path, tmp_path: Path) -> None:
    before = real_file.read_bytes()
    inode = real_file.stat().st_ino
    store = BackupStore(tmp_path / "backups")
    outcome = Merger(store, games=no_games).merge(real_file, GroupSet.from_dict(GROUPSET))
    backup = outcome.backup
    assert backup is not None and backup.reason == "before-merge"
    # Same volume: the backup is the original file itself, hard-linked; the merge gave the live file a new inode.
    stored = store.folder_for(real_file) / backup.file
    assert backup.file == f"{backup.id}.lua" and stored.stat().st_ino == inode != real_file.stat().st_ino
    assert stored.read_bytes() == before and real_file.read_bytes() != before
    assert store.read(real_file, backup) == before
    assert store.compact(real_file) == 1  # later, off the merge's path: compressed, the link let go
    (packed,) = store.backups_of(real_file)
    assert packed.file == f"{backup.id}.lua.zst" and not stored.exists()
    assert zstandard.ZstdDecompressor().decompress((stored.parent / packed.file).read_bytes()) == before
    assert store.read(real_file, packed) == before


def test_the_same_groupset_twice_leaves_the_bytes_alone_and_makes_no_backup(real_file: Path, tmp_path: Path) -> None:
    m = merger(tmp_path)
    m.merge(real_file, GroupSet.from_dict(GROUPSET))
    once = real_file.read_bytes()
    stat = real_file.stat()
    outcome = m.merge(real_file, GroupSet.from_dict(GROUPSET))
    assert outcome.status == "unchanged" and outcome.backup is None
    assert real_file.read_bytes() == once and real_file.stat().st_mtime_ns == stat.st_mtime_ns
    assert len(m.backups.backups_of(real_file)) == 1


def test_dry_run_writes_nothing(real_file: Path, tmp_path: Path) -> None:
    before = real_file.read_bytes()
    outcome = merger(tmp_path).merge(real_file, GroupSet.from_dict(GROUPSET), dry_run=True)
    assert outcome.status == "dry-run" and outcome.plan.changes
    assert real_file.read_bytes() == before
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").rglob("*.lua*"))


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_generated_files_with_several_profiles_and_global_operations(tmp_path: Path, eol: bytes) -> None:
    db = tsm_db(profiles=("Main", "Alt"), global_operations=True)
    db["_currentProfile"] = {"A - Illidan": "Main", "B - Illidan": "Alt"}
    db["g@ @userData@sharedOperations"] = {"Shopping": {"#Default": {"maxPrice": "dbmarket"}}}
    path = tmp_path / "TradeSkillMaster.lua"
    path.write_bytes(render(db, eol=eol))
    before = path.read_bytes()
    outcome = merger(tmp_path).merge(path, GroupSet.from_dict(GROUPSET))
    changed = set(outcome.plan.changes)
    assert changed == {"g@ @userData@sharedOperations", "p@Main@userData@groups", "p@Main@userData@items",
                       "p@Alt@userData@groups", "p@Alt@userData@items"}
    assert_only_changed_keys_differ(before, path.read_bytes(), changed)
    sv = read_savedvars(path)
    assert "TSM Sync Flip Buy" in sv.value("g@ @userData@sharedOperations")["Shopping"]
    assert sv.value("p@Alt@userData@items")["i:2447"] == "TSM Sync`Flips`High Volume"
    if eol == b"\n":
        assert b"\r" not in path.read_bytes()


def test_a_missing_table_is_inserted_before_the_closing_brace(tmp_path: Path) -> None:
    db = tsm_db()
    del db["p@Default@userData@items"]
    path = tmp_path / "TradeSkillMaster.lua"
    path.write_bytes(render(db))
    before = path.read_bytes()
    outcome = merger(tmp_path).merge(path, GroupSet.from_dict(GROUPSET))
    assert "p@Default@userData@items" in outcome.plan.changes
    assert_only_changed_keys_differ(before, path.read_bytes(), set(outcome.plan.changes))
    assert read_savedvars(path).value("p@Default@userData@items")["i:2447"] == "TSM Sync`Flips`High Volume"


@pytest.mark.parametrize("change", ["appended", "same size"])
def test_a_file_changed_by_the_game_during_the_merge_is_not_overwritten(
    real_file: Path, tmp_path: Path, change: str
) -> None:
    original = real_file.read_bytes()
    game_wrote = original + b"\r\n" if change == "appended" else original.replace(b"\t", b" ", 1)
    assert len(game_wrote) == len(original) + (2 if change == "appended" else 0)
    calls = []

    def game_writes_at_the_last_moment(path: Path) -> list:
        calls.append(path)
        if len(calls) == 2:  # the check right before the replace
            path.write_bytes(game_wrote)
        return []

    with pytest.raises(FileChangedError, match="changed on disk"):
        merger(tmp_path, games=game_writes_at_the_last_moment).merge(real_file, GroupSet.from_dict(GROUPSET))
    assert real_file.read_bytes() == game_wrote
    assert not list(real_file.parent.glob("*.tsmsyncd-tmp"))


def test_merged_bytes_that_do_not_verify_are_never_written(tmp_path: Path) -> None:
    # The sandbox gets enough memory for the original but not for the merged file (60,000 more items),
    # so Lua cannot verify the new bytes: the replace must not happen.
    path = tmp_path / "TradeSkillMaster.lua"
    path.write_bytes(render(tsm_db()))
    before = path.read_bytes()
    big = dict(GROUPSET, groups=[{"path": ["Many"], "items": [f"i:{i}" for i in range(1, 60001)], "operations": {}}],
               operations={})
    limits = LuaLimits(base_memory=2 * 2**20, memory_per_byte=0)
    with pytest.raises(VerifyError, match="did not verify .*nothing was written"):
        merger(tmp_path, limits=limits).merge(path, GroupSet.from_dict(big))
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.tsmsyncd-tmp"))


def test_a_file_another_program_swaps_in_right_after_the_replace_is_left_alone(
    real_file: Path, tmp_path: Path
) -> None:
    theirs = real_file.read_bytes() + b"-- something else wrote here\r\n"
    ours = tmp_path / "ours.lua"
    ours.write_bytes(b"the bytes Lua verified")
    real_file.write_bytes(theirs)  # a new file took the place of ours in between
    backup = merger(tmp_path).backups.create(real_file, theirs, "before-merge")
    with pytest.raises(FileChangedError, match="another program replaced .* left as that program wrote it"):
        Merger._confirm(real_file, ours.stat(), backup)
    assert real_file.read_bytes() == theirs
    Merger._confirm(ours, ours.stat(), backup)  # our own file passes


def test_file_mode_is_kept(real_file: Path, tmp_path: Path) -> None:
    real_file.chmod(0o640)
    merger(tmp_path).merge(real_file, GroupSet.from_dict(GROUPSET))
    assert real_file.stat().st_mode & 0o777 == 0o640


def test_no_temp_files_are_left_behind(real_file: Path, tmp_path: Path) -> None:
    merger(tmp_path).merge(real_file, GroupSet.from_dict(GROUPSET))
    # The file and tsmsyncd's record of the root groups it created there (store/roots.py), nothing else.
    names = sorted(p.name for p in real_file.parent.iterdir())
    assert names == ["TradeSkillMaster.lua", "TradeSkillMaster.tsmsyncd.json"]


def test_merging_a_copy_elsewhere_keeps_separate_backups(real_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / "TradeSkillMaster.lua"
    other.parent.mkdir()
    shutil.copyfile(real_file, other)
    store = BackupStore(tmp_path / "backups")
    Merger(store, games=no_games).merge(real_file, GroupSet.from_dict(GROUPSET))
    Merger(store, games=no_games).merge(other, GroupSet.from_dict(GROUPSET))
    assert store.folder_for(real_file) != store.folder_for(other)
    assert len(store.backups_of(real_file)) == len(store.backups_of(other)) == 1


def test_the_players_entries_keep_their_bytes_inside_the_tables_we_edit(tmp_path: Path) -> None:
    name = b"\xc8\xfe Kr\xe4uter".decode("utf-8", "surrogateescape")  # not UTF-8, as old clients wrote
    path = tmp_path / "TradeSkillMaster.lua"
    path.write_bytes(render(tsm_db(player_groups=(name, "Ore"), player_items={"i:1": name, "i:2": "Ore"})))
    before = path.read_bytes()
    merger(tmp_path).merge(path, GroupSet.from_dict(GROUPSET))
    after = path.read_bytes()
    old_groups = scan_global_table(before).find("p@Default@userData@groups")[0]
    old_items = scan_global_table(before).find("p@Default@userData@items")[0]
    for field in (old_groups, old_items):
        for line in before[field.value_start : field.value_end].split(b"\r\n")[1:-1]:
            assert line in after  # every line of the player's own entries is still there, byte for byte
    sv = read_savedvars(path)
    assert sv.value("p@Default@userData@items")["i:1"] == name
    assert name in sv.value("p@Default@userData@groups")


def test_stale_temp_files_of_ours_are_cleaned_but_fresh_ones_and_others_stay(real_file: Path, tmp_path: Path) -> None:
    folder = real_file.parent
    stale = folder / ".TradeSkillMaster.lua.abc123.tsmsyncd-tmp"
    fresh = folder / ".TradeSkillMaster.lua.def456.tsmsyncd-tmp"
    other = folder / "TradeSkillMaster.lua.bak"
    for p in (stale, fresh, other):
        p.write_bytes(b"x")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    merger(tmp_path).merge(real_file, GroupSet.from_dict(GROUPSET))
    assert not stale.exists() and fresh.exists() and other.exists()


@pytest.mark.parametrize("source", ["real", "generated"])
def test_planning_with_the_players_groups_left_in_lua_writes_the_same_bytes(
    source: str, real_file: Path, tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tsmsyncd.tsm.planning import _splice, plan_for
    from tsmsyncd.tsm.savedvars import ParseJob, Unread

    data = real_file.read_bytes() if source == "real" else render(tsm_db(
        player_groups=[f"Mine {i}`Sub {j}" for i in range(30) for j in range(5)] + ["TSM Sync`Stale"]))
    groupset = GroupSet.from_dict(GROUPSET)
    with ThreadPoolExecutor(max_workers=1) as pool:
        job = ParseJob(data, "TradeSkillMaster.lua", None, pool)
        sv = job.result()
        ours = frozenset({"Default"})  # the stale managed group was tsmsyncd's
        full = plan_for(sv, groupset, ("Default",), owned=ours)
        lazy = plan_for(sv, groupset, ("Default",), job.entries, owned=ours)
        left_in_lua = [v for v in lazy.previous["p@Default@userData@groups"].values() if isinstance(v, Unread)]
        assert left_in_lua or source == "real"  # the player's groups were never converted (real files have none)
        assert lazy.report == full.report and set(lazy.changes) == set(full.changes)
        assert _splice(job, lazy) == _splice(job, full)

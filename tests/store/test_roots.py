"""A GroupSet can never delete, move or rewrite the player's own groups, items or operations (issue 10,
class 1). Its root must be absent from the file, recorded as created by tsmsyncd (in a record that
survives a lost data folder), or adopted explicitly; the same guard covers every path that merges."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sv_factory import render, tsm_db

from tsmsyncd.errors import RootError
from tsmsyncd.store.backups import BackupStore
from tsmsyncd.store.roots import sidecar_path
from tsmsyncd.sync.apply import Merger
from tsmsyncd.tsm.groupset import GroupSet


def no_games(path: Path) -> list:
    return []


def groupset(root: str, **extra: object) -> GroupSet:
    return GroupSet.from_dict({"format": "tsmsyncd.groupset/1", "root": root,
                               "groups": [{"path": ["Flips"], "items": ["i:2447"]}], **extra})


@pytest.fixture
def live(tmp_path: Path) -> Path:
    path = tmp_path / "SavedVariables" / "TradeSkillMaster.lua"
    path.parent.mkdir()
    path.write_bytes(render(tsm_db(player_groups=("Herbs", "Herbs`Rare", "Ore"),
                                   player_items={"i:765": "Herbs", "i:785": "Herbs`Rare", "i:2770": "Ore"})))
    return path


def merger(home: Path) -> Merger:
    return Merger(BackupStore(home / "backups"), games=no_games)


def test_a_root_that_names_the_players_group_is_refused_and_nothing_changes(live: Path, tmp_path: Path) -> None:
    before = live.read_bytes()
    with pytest.raises(RootError, match=r"group 'Herbs' already exists in profile Default \(2 groups, 2 items\)"):
        merger(tmp_path).merge(live, groupset("Herbs"))
    assert live.read_bytes() == before
    assert not sidecar_path(live).exists()
    assert BackupStore(tmp_path / "backups").backups_of(live) == []  # the speculative backup is gone too


def test_adopting_it_explicitly_replaces_it_and_says_so(live: Path, tmp_path: Path) -> None:
    outcome = merger(tmp_path).merge(live, groupset("Herbs"), adopt_root=True)
    (profile,) = outcome.plan.report.profiles
    assert profile.root == "adopted"
    assert set(profile.groups_removed) == {"Herbs`Rare"} and set(profile.items_removed) == {"i:765", "i:785"}
    # From now on the root is tsmsyncd's: the next merge needs no flag.
    again = merger(tmp_path).merge(live, groupset("Herbs", groups=[{"path": ["Deals"], "items": ["i:2449"]}]))
    assert again.plan.report.profiles[0].root == "kept"


def test_a_root_tsmsyncd_created_stays_its_own_even_when_the_data_folder_is_lost(live: Path, tmp_path: Path) -> None:
    first = merger(tmp_path / "home").merge(live, groupset("TSM Sync"))
    assert first.plan.report.profiles[0].root == "created"
    assert json.loads(sidecar_path(live).read_bytes())["roots"] == {"Default": ["TSM Sync"]}
    shutil.rmtree(tmp_path / "home")  # reinstalled, or a new machine with the same WTF folder
    changed = groupset("TSM Sync", groups=[{"path": ["Deals"], "items": ["i:2449"]}])
    assert merger(tmp_path / "home").merge(live, changed).plan.report.profiles[0].root == "kept"


def test_the_record_in_the_data_folder_counts_when_the_file_beside_the_game_is_lost(
    live: Path, tmp_path: Path
) -> None:
    merger(tmp_path).merge(live, groupset("TSM Sync"))
    sidecar_path(live).unlink()
    changed = groupset("TSM Sync", groups=[{"path": ["Deals"], "items": ["i:2449"]}])
    assert merger(tmp_path).merge(live, changed).plan.report.profiles[0].root == "kept"


def test_with_both_records_lost_the_root_must_be_adopted_again(live: Path, tmp_path: Path) -> None:
    merger(tmp_path / "a").merge(live, groupset("TSM Sync"))
    sidecar_path(live).unlink()
    with pytest.raises(RootError, match="merge --adopt-root"):
        merger(tmp_path / "b").merge(live, groupset("TSM Sync", groups=[{"path": ["Deals"], "items": ["i:2449"]}]))


def test_a_root_created_in_one_profile_is_not_the_groups_of_the_same_name_in_another(tmp_path: Path) -> None:
    live = tmp_path / "TradeSkillMaster.lua"
    db = tsm_db(profiles=("Main", "Alt"), player_groups=("Mine",), player_items={})
    db["p@Alt@userData@groups"]["Auction Sync"] = db["p@Alt@userData@groups"]["Mine"]
    live.write_bytes(render(db))
    merger(tmp_path).merge(live, groupset("Auction Sync"), ["Main"])
    with pytest.raises(RootError, match="profile Alt"):
        merger(tmp_path).merge(live, groupset("Auction Sync"), ["Alt"])


def test_an_operation_of_the_players_with_the_roots_prefix_is_never_overwritten(tmp_path: Path) -> None:
    live = tmp_path / "TradeSkillMaster.lua"
    db = tsm_db(player_groups=(), player_items={})
    db["p@Default@userData@operations"]["Shopping"]["TSM Sync Buy"] = {"maxPrice": "mine", "ignorePlayer": {}}
    live.write_bytes(render(db))
    before = live.read_bytes()
    doc = groupset("TSM Sync", operations={"Shopping": {"TSM Sync Buy": {"maxPrice": "dbmarket"}}},
                   groups=[{"path": ["Flips"], "items": ["i:2447"], "operations": {"Shopping": ["TSM Sync Buy"]}}])
    with pytest.raises(RootError, match="Shopping operation 'TSM Sync Buy' already exists"):
        merger(tmp_path).merge(live, doc)
    assert live.read_bytes() == before


def test_the_cli_refuses_with_exit_1_naming_the_group_and_adopts_on_request(live: Path, tmp_path: Path) -> None:
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps(groupset("Herbs").to_dict()))
    before = live.read_bytes()
    env = {"TSMSYNCD_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    base = [sys.executable, "-m", "tsmsyncd", "merge", str(live), "--groups", str(groups)]
    refused = subprocess.run(base, capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode == 1 and "group 'Herbs' already exists" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and live.read_bytes() == before
    adopted = subprocess.run([*base, "--adopt-root"], capture_output=True, text=True, env=env, timeout=60)
    assert adopted.returncode == 0, adopted.stderr
    assert "adopted 'Herbs'" in adopted.stdout

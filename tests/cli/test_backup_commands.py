"""What the backup commands print is true when the command returns (issue 10, class 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sv_factory import render, tsm_db

from tsmsyncd.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def groups_file(tmp_path: Path, items: list[str]) -> Path:
    path = tmp_path / f"groups-{len(items)}.json"
    path.write_text(json.dumps({"format": "tsmsyncd.groupset/1", "root": "TSM Sync",
                                "groups": [{"path": ["Flips"], "items": items}]}))
    return path


def test_the_printed_backup_path_names_the_file_that_exists(
    tmp_path: Path, tsm_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "TradeSkillMaster.lua"
    live.write_bytes(render(tsm_db()))
    printed = []
    for items in (["i:2447"], ["i:2447", "i:2449"], ["i:2449"]):
        code, out, err = run(capsys, "merge", live, "--groups", groups_file(tmp_path, items))
        assert code == 0, err
        printed.append(Path(re.search(r"backup: \S+ \((.+)\)", out)[1]))
        assert printed[-1].is_file(), out
    code, out, _ = run(capsys, "backups", "list", live, "--json")
    files = {entry["file"] for entry in json.loads(out)}
    assert printed[-1].name in files and "MISSING" not in out


def test_backups_list_marks_a_backup_whose_file_is_gone(
    tmp_path: Path, tsm_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "TradeSkillMaster.lua"
    live.write_bytes(render(tsm_db()))
    code, out, _ = run(capsys, "backups", "create", live, "--json")
    made = json.loads(out)
    (next((tsm_home / "backups").glob(f"*/{made['file']}"))).unlink()
    code, out, _ = run(capsys, "backups", "list", live)
    assert code == 0 and "MISSING: its file is gone" in out
    code, out, _ = run(capsys, "backups", "list", live, "--json")
    assert json.loads(out)[0]["missing"] is True
    code, _, err = run(capsys, "backups", "restore", live, made["id"])
    assert code == 1 and f"backup {made['id']} is missing" in err


def test_a_damaged_manifest_is_reported_and_does_not_block_merges(
    tmp_path: Path, tsm_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "TradeSkillMaster.lua"
    live.write_bytes(render(tsm_db()))
    assert run(capsys, "backups", "create", live)[0] == 0
    (manifest,) = (tsm_home / "backups").glob("*/manifest.json")
    manifest.write_text('[{"id": 1}]')
    code, out, err = run(capsys, "merge", live, "--groups", groups_file(tmp_path, ["i:2447"]))
    assert code == 0, err
    assert "tsmsyncd: note: the backup list" in err and "was damaged" in err and "__init__" not in err
    code, out, _ = run(capsys, "backups", "list", live)
    assert "2 backup(s)" in out


def test_the_undo_command_after_a_restore_can_be_pasted_into_a_shell(
    tmp_path: Path, tsm_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "World of Warcraft" / "_retail_" / "WTF" / "Account" / "ME" / "SavedVariables"
    folder.mkdir(parents=True)
    live = folder / "TradeSkillMaster.lua"
    live.write_bytes(render(tsm_db()))
    code, out, _ = run(capsys, "backups", "create", live, "--json")
    made = json.loads(out)["id"]
    live.write_bytes(render(tsm_db(player_groups=("Other",))))
    code, out, err = run(capsys, "backups", "restore", live, made)
    assert code == 0, err
    undo = out.split("to undo: ", 1)[1].strip()
    assert undo.startswith("tsmsyncd backups restore '") and str(live) in undo  # quoted: the path has spaces
    import shlex
    words = shlex.split(undo)
    assert words[3] == str(live) and words[4].endswith(tuple("0123456789abcdef"))

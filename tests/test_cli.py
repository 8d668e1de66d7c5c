"""``tsmsyncd merge`` as a player or a script sees it: exit codes 0/1/3, one-line reasons, untouched files."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bad_files import BAD_FILE_CASES

from tsmsyncd import __version__
from tsmsyncd.cli import main

GROUPSET = {
    "format": "tsmsyncd.groupset/1",
    "root": "TSM Sync",
    "groups": [
        {"path": ["Flips"], "items": ["i:2447", "i:765"], "operations": {"Shopping": ["TSM Sync Flip Buy"]}},
    ],
    "operations": {"Shopping": {"TSM Sync Flip Buy": {"maxPrice": "dbmarket * 0.8"}}},
}


@pytest.fixture
def groups_file(tmp_path: Path) -> Path:
    path = tmp_path / "groups.json"
    path.write_text(json.dumps(GROUPSET))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"tsmsyncd {__version__}"


def test_merge_names_the_backup_and_a_second_run_has_nothing_to_do(
    real_file: Path, groups_file: Path, tsm_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "merge", real_file, "--groups", groups_file)
    assert code == 0, err
    assert out.startswith("Merged 'TSM Sync' into")
    assert "skipped" in out and "backup: " in out and "before-merge" in out
    assert str(tsm_home / "backups") in out
    code, out, _ = run(capsys, "merge", real_file, "--groups", groups_file)
    assert code == 0 and out.startswith("Nothing to do")


def test_merge_json_prints_plan_and_result(
    real_file: Path, groups_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "merge", real_file, "--groups", groups_file, "--json",
                       "--backup-dir", tmp_path / "bk", "--profile", "Default")
    result = json.loads(out)
    assert code == 0
    assert result["status"] == "applied" and result["profiles"] == ["Default"]
    assert result["backup"]["reason"] == "before-merge"
    assert Path(tmp_path / "bk").is_dir()
    assert result["report"]["operations_created"] == ["Shopping/TSM Sync Flip Buy"]
    assert "p@Default@userData@items" in result["changed_keys"]


def test_dry_run_changes_nothing(real_file: Path, groups_file: Path, tsm_home: Path, capsys) -> None:
    before = real_file.read_bytes()
    code, out, _ = run(capsys, "merge", real_file, "--groups", groups_file, "--dry-run")
    assert code == 0 and out.startswith("Dry run")
    assert real_file.read_bytes() == before


def test_unknown_profile_is_refused(real_file: Path, groups_file: Path, tsm_home: Path, capsys) -> None:
    before = real_file.read_bytes()
    code, _, err = run(capsys, "merge", real_file, "--groups", groups_file, "--profile", "Nope")
    assert code == 1 and "profile 'Nope' is not in this file (it has: Default)" in err
    assert real_file.read_bytes() == before


BAD_GROUPSETS = {
    "wrong format": ({**GROUPSET, "format": "tsm/2"}, "format"),
    "backtick in a name": ({**GROUPSET, "groups": [{"path": ["A`B"], "items": [], "operations": {}}]}, "backtick"),
    "malformed item": ({**GROUPSET, "groups": [{"path": ["A"], "items": ["item:12"], "operations": {}}]}, "items[0]"),
    "unknown module": ({**GROUPSET, "groups": [{"path": ["A"], "items": [], "operations": {"Shoping": ["x"]}}]},
                       "Shoping"),
}


@pytest.mark.parametrize("case", sorted(BAD_GROUPSETS))
def test_an_invalid_groupset_is_refused_naming_the_field(
    case: str, real_file: Path, tmp_path: Path, tsm_home: Path, capsys
) -> None:
    doc, field = BAD_GROUPSETS[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    before = real_file.read_bytes()
    code, _, err = run(capsys, "merge", real_file, "--groups", path)
    assert code == 1 and field in err and err.count("\n") == 1
    assert real_file.read_bytes() == before


def test_groupset_that_is_not_json(real_file: Path, tmp_path: Path, tsm_home: Path, capsys) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{nope")
    code, _, err = run(capsys, "merge", real_file, "--groups", path)
    assert code == 1 and err.count("\n") == 1


@pytest.mark.parametrize("case", sorted(BAD_FILE_CASES))
def test_bad_savedvariables_exit_1_with_one_line_and_stay_untouched(
    case: str, tmp_path: Path, groups_file: Path, tsm_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, expected = BAD_FILE_CASES[case]
    path = tmp_path / "TradeSkillMaster.lua"
    path.write_bytes(data)
    started = time.monotonic()
    code, out, err = run(capsys, "merge", path, "--groups", groups_file)
    assert code == 1
    assert expected in err and err.startswith("tsmsyncd: ") and err.count("\n") == 1
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["TradeSkillMaster.lua", "groups.json", "home"]) or (
        not any(tmp_path.glob("*.tsmsyncd-tmp"))
    )
    assert time.monotonic() - started < 30


def test_json_errors_are_json_too(tmp_path: Path, groups_file: Path, tsm_home: Path, capsys) -> None:
    path = tmp_path / "TradeSkillMaster.lua"
    path.write_bytes(b"garbage {")
    code, out, _ = run(capsys, "merge", path, "--groups", groups_file, "--json")
    assert code == 1 and json.loads(out) == {"status": "error", "error": json.loads(out)["error"], "exit_code": 1}


def test_a_running_game_means_exit_3_and_an_untouched_file(
    real_file: Path, groups_file: Path, tsm_home: Path, fake_wow: subprocess.Popen, capsys
) -> None:
    before = real_file.read_bytes()
    code, _, err = run(capsys, "merge", real_file, "--groups", groups_file)
    assert code == 3
    assert "World of Warcraft is running (Wow.exe)" in err and err.count("\n") == 1
    assert real_file.read_bytes() == before
    assert not (tsm_home / "backups").exists()


def test_the_console_script_runs_as_a_real_process(real_file: Path, groups_file: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tsmsyncd", "merge", str(real_file), "--groups", str(groups_file),
         "--backup-dir", str(tmp_path / "bk"), "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "applied"


PRINT_ALPHABET = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789()")


def test_export_string_prints_a_tsm_import_string(groups_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from importdecoder import decode_import_string

    code, out, _ = run(capsys, "export-string", groups_file)
    text = out.strip()
    assert code == 0 and set(text) <= PRINT_ALPHABET
    magic, version, name, items, groups, group_ops, operations, custom = decode_import_string(text)
    assert (magic, version, name) == ("TSM_EXPORT", 1, "TSM Sync")
    assert items == {"i:2447": "Flips", "i:765": "Flips"} and groups == {"": True, "Flips": True}
    assert group_ops["Flips"]["Shopping"] == {1: "TSM Sync Flip Buy", "override": True}
    assert operations["Shopping"]["TSM Sync Flip Buy"]["maxPrice"] == "dbmarket * 0.8"
    assert "ignorePlayer" not in operations["Shopping"]["TSM Sync Flip Buy"]  # TSM strips these on export
    assert custom == {}


def test_export_string_list_format(groups_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export-string", groups_file, "--format", "list")
    assert code == 0 and out == "group:TSM Sync`Flips,i:2447,i:765\n"


def test_export_string_refuses_an_invalid_groupset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**GROUPSET, "root": "A`B"}))
    code, out, err = run(capsys, "export-string", path)
    assert code == 1 and out == "" and "backtick" in err and err.count("\n") == 1

"""``tsmsyncd installs [--json]`` on real install trees: what it prints, where its folders come from, and that it
stays light to start. The command is run through its own argparse wiring (``add_installs_commands``)."""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import real_fixture
from wow_trees import make_install

from tsmsyncd.cli.installs import add_commands as add_installs_commands
from tsmsyncd.errors import SettingsError

PACKAGE = Path(__file__).resolve().parents[2] / "tsmsyncd"


def installs(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="tsmsyncd")
    add_installs_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["installs", *argv])
    return args.run(args)


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home with nothing installed and tsmsyncd's own folder in the temp dir."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TSMSYNCD_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("TSMSYNCD_WOW_ROOTS", raising=False)
    monkeypatch.delenv("WINEPREFIX", raising=False)
    (tmp_path / "home").mkdir()
    return tmp_path


def wow(machine: Path) -> Path:
    """An install with a real classic file, an account without TSM, and an account with a damaged file."""
    root = make_install(machine / "World of Warcraft", flavors=("_classic_era_",), accounts=("EMPTY",), tsm=False)
    accounts = root / "_classic_era_" / "WTF" / "Account"
    (accounts / "313607748#1" / "SavedVariables").mkdir(parents=True)
    shutil.copyfile(real_fixture("real-tbc-classic.lua"),
                    accounts / "313607748#1" / "SavedVariables" / "TradeSkillMaster.lua")
    (accounts / "BROKEN" / "SavedVariables").mkdir(parents=True)
    (accounts / "BROKEN" / "SavedVariables" / "TradeSkillMaster.lua").write_bytes(b"TradeSkillMasterDB = {")
    return root


def test_text_lists_installs_accounts_profiles_and_rejected_folders(machine, monkeypatch, capsys) -> None:
    root = wow(machine)
    monkeypatch.setenv("TSMSYNCD_WOW_ROOTS", os.pathsep.join([str(root / "_classic_era_"), str(machine / "gone")]))
    assert installs() == 0
    out = capsys.readouterr().out
    assert "TSMSYNCD_WOW_ROOTS is set: only its folders were looked at." in out
    assert f"  {root}\n    found by environment: TSMSYNCD_WOW_ROOTS, picked {root / '_classic_era_'}" in out
    assert "_classic_era_ (Classic Era): 3 account(s)" in out
    assert "313607748#1: TradeSkillMaster.lua, 1 profile(s)" in out
    assert "profile Default: Liandrii - Earthfury, Eurydice - Skyfury" in out
    assert "EMPTY: no TradeSkillMaster.lua yet" in out
    assert "BROKEN: TradeSkillMaster.lua cannot be used: TradeSkillMaster.lua cannot be read" in out
    assert f"Folders that gave no install (1):\n  {machine / 'gone'}: does not exist" in out


def test_json_carries_each_accounts_profiles_or_the_reason(machine, monkeypatch, capsys) -> None:
    root = wow(machine)
    monkeypatch.setenv("TSMSYNCD_WOW_ROOTS", str(root))
    assert installs("--json") == 0
    payload = json.loads(capsys.readouterr().out)
    (install,) = payload["installs"]
    accounts = {a["name"]: a for a in install["flavors"][0]["accounts"]}
    real = accounts["313607748#1"]["profiles"]
    assert real["version"] == 103
    assert real["profiles"][0]["characters"] == [{"name": "Liandrii", "realm": "Earthfury"},
                                                 {"name": "Eurydice", "realm": "Skyfury"}]
    assert accounts["313607748#1"]["profiles_error"] is None
    assert accounts["EMPTY"]["profiles"] is None and accounts["EMPTY"]["profiles_error"] is None
    assert accounts["BROKEN"]["profiles"] is None and "cannot be read" in accounts["BROKEN"]["profiles_error"]
    assert payload["replaced_by"] == "TSMSYNCD_WOW_ROOTS" and payload["rejected"] == []


def test_settings_wow_roots_add_to_discovery(machine, capsys) -> None:
    root = wow(machine)
    wine = make_install(machine / "home" / ".wine" / "drive_c" / "World of Warcraft")
    (machine / "data").mkdir()
    (machine / "data" / "settings.json").write_text(json.dumps({"region": "us", "wow_roots": [str(root)]}))
    assert installs("--json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert [(i["root"], i["source"]) for i in payload["installs"]] == [(str(root), "settings"), (str(wine), "wine")]
    assert payload["replaced_by"] is None


def test_duplicates_are_shown_under_the_install_they_are(machine, monkeypatch, capsys) -> None:
    root = wow(machine)
    (machine / "link").symlink_to(root)
    monkeypatch.setenv("TSMSYNCD_WOW_ROOTS", os.pathsep.join([str(root), str(machine / "link")]))
    assert installs() == 0
    out = capsys.readouterr().out
    assert f"    also named by environment: TSMSYNCD_WOW_ROOTS ({machine / 'link'})" in out
    assert "Folders that gave no install" not in out


def test_nothing_found_says_how_to_add_a_folder(machine, capsys) -> None:
    assert installs() == 0
    out = capsys.readouterr().out
    assert 'No World of Warcraft install found. Add its folder to settings.json "wow_roots"' in out
    assert "usual folder(s) that do not exist (--json lists them)" in out


def test_bad_wow_roots_name_the_setting(machine) -> None:
    (machine / "data").mkdir()
    (machine / "data" / "settings.json").write_text(json.dumps({"wow_roots": "C:/WoW"}))
    with pytest.raises(SettingsError, match="setting wow_roots: must be a list of folders"):
        installs()
    (machine / "data" / "settings.json").write_text("{not json")
    with pytest.raises(SettingsError, match="settings.json: is not valid JSON"):
        installs()


def test_the_command_stays_light() -> None:
    """Everything ``cli/installs.py`` imports, at its top and inside its functions, loads neither pandas nor
    numpy nor aiohttp (the CLI modules among them are loaded from their files)."""
    module = PACKAGE / "cli" / "installs.py"
    names = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__":
            names.add(node.module)
    names = sorted(names)
    assert "tsmsyncd.wow.installs" in names and "tsmsyncd.tsm.profiles" in names
    cli = [str(PACKAGE.joinpath(*n.split(".")[1:]).with_suffix(".py")) for n in [*names, "tsmsyncd.cli.installs"]
           if n.startswith("tsmsyncd.cli.")]
    script = (
        "import importlib, importlib.util, sys\n"
        f"for name in {[n for n in names if not n.startswith('tsmsyncd.cli.')]!r}: importlib.import_module(name)\n"
        f"for path in {cli!r}:\n"
        "    spec = importlib.util.spec_from_file_location('m', path); spec.loader.exec_module("
        "importlib.util.module_from_spec(spec))\n"
        "print([m for m in ('pandas', 'numpy', 'aiohttp') if m in sys.modules])\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                         timeout=60).stdout
    assert out.strip() == "[]"

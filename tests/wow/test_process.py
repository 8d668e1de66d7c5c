"""Finding running WoW clients with real processes, and which SavedVariables files they may write."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from tsmsyncd.wow.process import GameProcess, games_blocking, install_of, running_games

SLEEP = shutil.which("sleep") or "/bin/sleep"


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[Path], subprocess.Popen]]:
    """Start a copy of `sleep` at the given path (so the process has that name and exe)."""
    started: list[subprocess.Popen] = []

    def start(exe: Path) -> subprocess.Popen:
        exe.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SLEEP, exe)
        proc = subprocess.Popen([str(exe), "30"])
        started.append(proc)
        time.sleep(0.05)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("name", ["Wow.exe", "WOW.EXE", "WowClassic-arm64.exe", "World of Warcraft", "WowT.exe"])
def test_clients_are_found_by_name_case_insensitively(name: str, tmp_path: Path, spawn) -> None:
    proc = spawn(tmp_path / "bin" / name)
    found = {g.pid: g for g in running_games()}
    assert proc.pid in found
    assert found[proc.pid].name.lower() == name.lower()


@pytest.mark.parametrize("name", ["notwow.exe", "Wow.exe.bak", "Wowzer"])
def test_other_processes_are_not_clients(name: str, tmp_path: Path, spawn) -> None:
    proc = spawn(tmp_path / "bin" / name)
    assert proc.pid not in {g.pid for g in running_games()}


def savedvars(root: Path, flavor: str) -> Path:
    return root / flavor / "WTF" / "Account" / "A" / "SavedVariables" / "TradeSkillMaster.lua"


def test_a_client_blocks_its_own_install_only(tmp_path: Path, spawn) -> None:
    install = tmp_path / "World of Warcraft"
    proc = spawn(install / "_classic_" / "WowClassic.exe")
    mine = [g for g in running_games() if g.pid == proc.pid]
    assert games_blocking(savedvars(install, "_classic_"), mine) == mine
    assert games_blocking(savedvars(install, "_retail_"), mine) == []
    assert games_blocking(savedvars(tmp_path / "Other WoW", "_classic_"), mine) == []


def test_files_outside_an_install_are_blocked_by_any_client(tmp_path: Path, spawn) -> None:
    proc = spawn(tmp_path / "World of Warcraft" / "_retail_" / "Wow.exe")
    mine = [g for g in running_games() if g.pid == proc.pid]
    assert games_blocking(tmp_path / "copy" / "TradeSkillMaster.lua", mine) == mine


def test_a_client_with_an_unknown_exe_blocks_everything(tmp_path: Path) -> None:
    hidden = [GameProcess(pid=1, name="Wow.exe", exe=None)]
    assert games_blocking(savedvars(tmp_path / "World of Warcraft", "_retail_"), hidden) == hidden


def test_windows_paths_compare_case_insensitively() -> None:
    game = [GameProcess(2, "Wow.exe", r"C:\Program Files (x86)\World of Warcraft\_retail_\Wow.exe")]
    assert games_blocking(PureWindowsPath(r"c:\program files (x86)\world of warcraft\_retail_\WTF\x.lua"),  # type: ignore[arg-type]
                          game) == game


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/Applications/World of Warcraft/_retail_/WTF/Account/X/SavedVariables/TradeSkillMaster.lua",
         (PurePosixPath("/Applications/World of Warcraft"), "_retail_")),
        ("/games/wow/_classic_era_/WowClassic.exe", (PurePosixPath("/games/wow"), "_classic_era_")),
        (r"D:\Games\World of Warcraft\_anniversary_\WowClassic.exe",
         (PureWindowsPath(r"D:\Games\World of Warcraft"), "_anniversary_")),
        (r"Z:\home\me\wow\_ptr_\WowT.exe", (PureWindowsPath(r"Z:\home\me\wow"), "_ptr_")),
        ("/home/me/TradeSkillMaster.lua", None),
        ("/home/me/_notaflavor/x.lua", None),
    ],
)
def test_install_of(path: str, expected: object) -> None:
    assert install_of(path) == expected

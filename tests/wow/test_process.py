"""Finding running WoW clients with real processes, and which SavedVariables files they may write.

The clients are copies of ``sleep`` under WoW's names, started by these tests and killed by the fixture;
no other process is ever signalled.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

import psutil
import pytest

from tsmsyncd.wow.process import GAME_PROCESS_NAMES, GameProcess, games_blocking, install_of, running_games

SLEEP = shutil.which("sleep") or "/bin/sleep"
Spawn = Callable[..., subprocess.Popen]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start a copy of ``sleep`` at ``exe`` (so the process has that name and exe), optionally with another argv[0]."""
    started: list[subprocess.Popen] = []

    def start(exe: Path, argv0: str | None = None) -> subprocess.Popen:
        exe.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SLEEP, exe)
        # Popen returns once exec has passed the point of no return: the process carries its new name, but
        # the kernel may not have laid out its arguments yet (an empty cmdline in 103 of 400 starts under a
        # CPU hog), and a client's cut name is told from its argv[0]. So wait for that too.
        proc = subprocess.Popen([argv0 or str(exe), "30"], executable=exe)
        started.append(proc)
        deadline = time.monotonic() + 10
        while not psutil.Process(proc.pid).cmdline() and time.monotonic() < deadline:
            time.sleep(0.005)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def by_pid(games: Sequence[GameProcess]) -> dict[int, GameProcess]:
    return {game.pid: game for game in games}


def savedvars(root: Path, flavor: str, account: str = "A") -> Path:
    return root / flavor / "WTF" / "Account" / account / "SavedVariables" / "TradeSkillMaster.lua"


def test_the_names_are_exactly_the_clients() -> None:
    windows = ["wow", "wowt", "wowb", "wowclassic", "wowclassict", "wowclassicb"]
    mac = ["", " test", " beta", " classic", " classic test", " classic beta"]
    assert GAME_PROCESS_NAMES == frozenset(
        [f"{w}.exe" for w in windows] + [f"{w}-arm64.exe" for w in windows] + ["wow-64.exe"]
        + [f"world of warcraft{m}" for m in mac]
    )


@pytest.mark.parametrize("name", ["Wow.exe", "WOW.EXE", "WowClassic-arm64.exe", "World of Warcraft", "WowT.exe"])
def test_clients_are_found_by_name_case_insensitively(name: str, tmp_path: Path, spawn: Spawn) -> None:
    exe = tmp_path / "bin" / name
    proc = spawn(exe)
    found = by_pid(running_games())
    assert proc.pid in found
    assert found[proc.pid] == GameProcess(proc.pid, name, os.path.realpath(exe))


@pytest.mark.parametrize("name", ["notwow.exe", "Wow.exe.bak", "Wowzer", "World of Warcraft Launcher"])
def test_other_processes_are_not_clients(name: str, tmp_path: Path, spawn: Spawn) -> None:
    proc = spawn(tmp_path / "bin" / name)
    assert proc.pid not in by_pid(running_games())


def test_a_wine_client_with_a_cut_name_is_found_from_its_windows_argv0(tmp_path: Path, spawn: Spawn) -> None:
    # Under Wine the exe is the preloader, the kernel keeps 15 characters of the name ("WowClassic-arm6"),
    # and argv[0] is a Windows path that psutil's POSIX basename cannot shorten.
    proc = spawn(tmp_path / "wine" / "WowClassic-arm64-preloader",
                 argv0=r"C:\Games\World of Warcraft\_classic_\WowClassic-arm64.exe")
    assert psutil.Process(proc.pid).name() == "WowClassic-arm6"
    assert by_pid(running_games())[proc.pid].name == "WowClassic-arm64.exe"


def test_a_cut_name_whose_argv0_is_another_program_is_not_a_client(tmp_path: Path, spawn: Spawn) -> None:
    proc = spawn(tmp_path / "wine" / "WowClassic-arm6-tool", argv0=r"C:\Tools\WowClassic-arm6-tool.exe")
    assert psutil.Process(proc.pid).name() == "WowClassic-arm6"
    assert proc.pid not in by_pid(running_games())


def test_a_client_that_exited_but_is_not_reaped_is_not_running(tmp_path: Path, spawn: Spawn) -> None:
    proc = spawn(tmp_path / "bin" / "Wow.exe")
    proc.kill()  # not waited for: it stays a zombie until the fixture reaps it
    deadline = time.monotonic() + 5
    while psutil.Process(proc.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.01)
    assert psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE
    assert proc.pid not in by_pid(running_games())


# Imports first, then drop root: another user may read a root process's name but not its exe link, so psutil
# raises AccessDenied for the exe. (Our interpreter lives under /root, so it must start as root.)
AS_NOBODY = """
import json, os
from tsmsyncd.wow.process import running_games
os.setgroups([]); os.setgid(65534); os.setuid(65534)
print(json.dumps([[g.pid, g.name, g.exe] for g in running_games()]))
"""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to drop to another user")
def test_a_client_whose_exe_is_denied_is_still_found_by_name(tmp_path: Path, spawn: Spawn) -> None:
    proc = spawn(tmp_path / "World of Warcraft" / "_retail_" / "Wow.exe")
    out = subprocess.run([sys.executable, "-c", AS_NOBODY], capture_output=True, text=True, check=True).stdout
    found = {pid: (name, exe) for pid, name, exe in json.loads(out)}
    assert found[proc.pid] == ("Wow.exe", None)


def test_a_client_blocks_its_own_install_only(tmp_path: Path, spawn: Spawn) -> None:
    wow = tmp_path / "wow"
    proc = spawn(wow / "_classic_" / "WowClassic.exe")
    assert proc.pid in by_pid(games_blocking(savedvars(wow, "_classic_")))
    assert proc.pid not in by_pid(games_blocking(savedvars(wow, "_retail_")))


def test_a_client_in_another_root_does_not_block(tmp_path: Path, spawn: Spawn) -> None:
    proc = spawn(tmp_path / "other" / "_retail_" / "Wow.exe")
    assert proc.pid not in by_pid(games_blocking(savedvars(tmp_path / "wow", "_retail_")))
    assert proc.pid in by_pid(games_blocking(savedvars(tmp_path / "other", "_retail_")))


def test_a_file_outside_any_install_is_blocked_by_every_client(tmp_path: Path, spawn: Spawn) -> None:
    retail = spawn(tmp_path / "wow" / "_retail_" / "Wow.exe")
    classic = spawn(tmp_path / "other" / "_classic_" / "WowClassic.exe")
    blocking = by_pid(games_blocking(tmp_path / "copy" / "TradeSkillMaster.lua"))
    assert {retail.pid, classic.pid} <= blocking.keys()


def test_a_file_reached_through_a_link_is_blocked_by_the_client_of_its_real_install(
    tmp_path: Path, spawn: Spawn
) -> None:
    proc = spawn(tmp_path / "wow" / "_retail_" / "Wow.exe")
    (tmp_path / "link").symlink_to(tmp_path / "wow", target_is_directory=True)
    assert proc.pid in by_pid(games_blocking(savedvars(tmp_path / "link", "_retail_")))


def test_an_account_folder_that_looks_like_a_flavor_does_not_hide_the_install(
    tmp_path: Path, spawn: Spawn
) -> None:
    proc = spawn(tmp_path / "wow" / "_retail_" / "Wow.exe")
    assert proc.pid in by_pid(games_blocking(savedvars(tmp_path / "wow", "_retail_", account="_ABC_")))


def test_a_client_with_an_unknown_exe_blocks_everything(tmp_path: Path) -> None:
    hidden = [GameProcess(pid=1, name="Wow.exe", exe=None)]
    assert games_blocking(savedvars(tmp_path / "wow", "_retail_"), hidden) == hidden
    assert games_blocking(tmp_path / "TradeSkillMaster.lua", hidden) == hidden


def test_no_clients_block_nothing(tmp_path: Path) -> None:
    assert games_blocking(savedvars(tmp_path / "wow", "_retail_"), []) == []


WINDOWS_FILE = PureWindowsPath(r"c:\program files (x86)\world of warcraft\_retail_\WTF\Account\A\SavedVariables\x.lua")


@pytest.mark.parametrize(
    ("exe", "blocks"),
    [
        (r"C:\Program Files (x86)\World of Warcraft\_retail_\Wow.exe", True),  # same install, other case
        (r"C:/Program Files (x86)/World of Warcraft/_retail_/Wow.exe", True),
        (r"D:\Games\World of Warcraft\_retail_\Wow.exe", False),
        (r"C:\Program Files (x86)\World of Warcraft\_classic_\WowClassic.exe", False),
        (r"C:\Program Files (x86)\World of Warcraft\Wow.exe", True),  # no flavor folder: cannot tell
        ("/home/me/.wine/drive_c/Program Files (x86)/World of Warcraft/_retail_/Wow.exe", True),  # not comparable
        ("/home/me/.wine/drive_c/Program Files (x86)/World of Warcraft/_classic_/WowClassic.exe", False),
    ],
)
def test_windows_style_paths(exe: str, blocks: bool) -> None:
    game = [GameProcess(2, "Wow.exe", exe)]
    assert games_blocking(WINDOWS_FILE, game) == (game if blocks else [])


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/Applications/World of Warcraft/_retail_/WTF/Account/X/SavedVariables/TradeSkillMaster.lua",
         (PurePosixPath("/Applications/World of Warcraft"), "_retail_")),
        ("/Applications/World of Warcraft/_classic_/World of Warcraft Classic.app/Contents/MacOS/"
         "World of Warcraft Classic", (PurePosixPath("/Applications/World of Warcraft"), "_classic_")),
        ("/games/wow/_classic_era_/WowClassic.exe", (PurePosixPath("/games/wow"), "_classic_era_")),
        ("/games/wow/_Retail_/Wow.exe", (PurePosixPath("/games/wow"), "_retail_")),
        ("/_ptr_/WowT.exe", (PurePosixPath("/"), "_ptr_")),
        ("/wow/_retail_/WTF/Account/_ABC_/SavedVariables/x.lua", (PurePosixPath("/wow"), "_retail_")),
        ("/home/_me_/wow/_retail_/Wow.exe", (PurePosixPath("/home/_me_/wow"), "_retail_")),
        ("/home/me/wow/_retail_/notes.txt", (PurePosixPath("/home/me/wow"), "_retail_")),
        ("/home/_me_/wow/_retail_/notes.txt", None),  # two candidates, neither anchored
        ("/home/me/TradeSkillMaster.lua", None),
        ("/home/me/_notaflavor/x.lua", None),
        ("/home/me/__/x.lua", None),
        ("wow/_retail_/Wow.exe", None),  # relative
        (r"D:\Games\World of Warcraft\_anniversary_\WowClassic.exe",
         (PureWindowsPath(r"D:\Games\World of Warcraft"), "_anniversary_")),
        (r"C:\Program Files (x86)\World of Warcraft\_retail_\WTF\Account\1#1\SavedVariables\TradeSkillMaster.lua",
         (PureWindowsPath(r"C:\Program Files (x86)\World of Warcraft"), "_retail_")),
        ("C:/Games/WoW/_classic_/WowClassic-arm64.exe", (PureWindowsPath(r"C:\Games\WoW"), "_classic_")),
        (r"Z:\home\me\wow\_ptr_\WowT.exe", (PureWindowsPath(r"Z:\home\me\wow"), "_ptr_")),
        (r"\\nas\games\WoW\_retail_\Wow.exe", (PureWindowsPath(r"\\nas\games\WoW"), "_retail_")),
        (r"D:\Games\Wow.exe", None),
        (r"_retail_\Wow.exe", None),  # relative
    ],
)
def test_install_of(path: str, expected: object) -> None:
    assert install_of(path) == expected

"""Is a World of Warcraft client running that may write this SavedVariables file?

WoW rewrites every SavedVariables file of the account at logout, ``/reload`` and exit, from what it holds
in memory. A file written while a client of that install runs is overwritten later (or clobbered half-way),
so nothing is written then. The rule is conservative: a running client blocks a file unless we can prove it
belongs to a different install (another root folder or another flavor folder such as ``_classic_``).

One call walks the process table once with pre-fetched attributes; it takes a few milliseconds, cheap
enough to poll every few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

import psutil

from tsmsyncd.errors import GameRunningError

__all__ = [
    "GAME_PROCESS_NAMES", "GameProcess", "games_blocking", "install_of", "is_game_name", "require_closed",
    "running_games",
]

# Windows executables (WowUp's platform list, reference §11), the old 64-bit name, and the process
# names of the macOS apps. Under Wine/Proton on Linux the process is named after the .exe.
_WINDOWS = ("Wow", "WowT", "WowB", "WowClassic", "WowClassicT", "WowClassicB")
GAME_PROCESS_NAMES = frozenset(
    [f"{n}.exe".lower() for n in _WINDOWS]
    + [f"{n}-arm64.exe".lower() for n in _WINDOWS]
    + ["wow-64.exe"]
    + [f"world of warcraft{s}" for s in ("", " test", " beta", " classic", " classic test", " classic beta")]
)
_FLAVOR = re.compile(r"^_[a-z0-9_]+_$")


@dataclass(frozen=True)
class GameProcess:
    pid: int
    name: str
    exe: str | None


def is_game_name(name: str | None) -> bool:
    return bool(name) and name.lower() in GAME_PROCESS_NAMES  # type: ignore[union-attr]


def _basename(exe: str) -> str:
    return exe.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def running_games() -> list[GameProcess]:
    """Every running process that looks like a WoW client, by name or by its executable's file name."""
    found = []
    for proc in psutil.process_iter(["name", "exe"]):
        try:
            name, exe = proc.info.get("name"), proc.info.get("exe")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if is_game_name(name) or (exe and is_game_name(_basename(exe))):
            found.append(GameProcess(proc.pid, name or _basename(exe or ""), exe or None))
    return found


def _pure(path: str | PurePath) -> PurePath:
    if isinstance(path, PurePath):
        return path
    if "\\" in path or re.match(r"^[A-Za-z]:", path):
        return PureWindowsPath(path)
    return PurePosixPath(path)


def install_of(path: str | PurePath) -> tuple[PurePath, str] | None:
    """(install root, flavor folder) for a path inside ``<root>/<_flavor_>/…``, else None.

    ``…/World of Warcraft/_retail_/WTF/Account/X/SavedVariables/TradeSkillMaster.lua`` and
    ``…/World of Warcraft/_retail_/Wow.exe`` both give (``…/World of Warcraft``, ``_retail_``).
    """
    pure = _pure(path)
    parts = pure.parts
    for i in range(len(parts) - 1, 0, -1):
        if _FLAVOR.match(parts[i].lower()):
            return pure.parents[len(parts) - 1 - i], parts[i].lower()
    return None


def _same_install(a: tuple[PurePath, str], b: tuple[PurePath, str]) -> bool:
    root_a, root_b = str(a[0]).replace("\\", "/"), str(b[0]).replace("\\", "/")
    windows = isinstance(a[0], PureWindowsPath) or isinstance(b[0], PureWindowsPath)
    if windows:  # Windows paths are case-insensitive, and Wine shows them as Z:\home\...
        root_a, root_b = root_a.lower(), root_b.lower()
    return a[1] == b[1] and root_a.rstrip("/") == root_b.rstrip("/")


def games_blocking(savedvars: Path, processes: Sequence[GameProcess] | None = None) -> list[GameProcess]:
    """The running clients that may write ``savedvars``: all of them, except those provably installed
    elsewhere (their exe and the file resolve to different installs)."""
    games = running_games() if processes is None else list(processes)
    if not games:
        return []
    target = install_of(savedvars.resolve() if isinstance(savedvars, Path) else savedvars)
    blocking = []
    for game in games:
        home = install_of(game.exe) if game.exe else None
        if target is None or home is None or _same_install(target, home):
            blocking.append(game)
    return blocking


def require_closed(
    path: Path,
    games: Callable[[Path], Sequence[GameProcess]] = games_blocking,
    consequence: str = "nothing was changed",
) -> None:
    """Raise GameRunningError (exit 3) when a client that may write ``path`` is running."""
    running = games(path)
    if running:
        names = ", ".join(sorted({p.name for p in running}))
        raise GameRunningError(f"World of Warcraft is running ({names}); {consequence} — close the game and try again")

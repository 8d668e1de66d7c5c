"""Is a World of Warcraft client running that may write this SavedVariables file?

Owns the names of the WoW client processes, finding the running clients, and telling which install (root
folder + flavor folder such as ``_retail_``) a path belongs to.

WoW rewrites every SavedVariables file of the account from memory at logout, ``/reload`` and exit (reference
§11). A file written while a client of that install runs is overwritten later, and the edit is lost. So the
rule is conservative: a running client blocks a file unless we can prove it belongs to a different install.
Whatever we cannot tell (an exe we may not read, a file outside a recognisable install, paths we cannot
compare) counts as "the same install".

One call walks the process table once with pre-fetched attributes, cheap enough to poll every few seconds
(``bench/process_poll.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import TypeGuard

import psutil

from tsmsyncd.errors import GameRunningError

__all__ = [
    "GAME_PROCESS_NAMES",
    "GameProcess",
    "games_blocking",
    "install_of",
    "is_game_name",
    "require_closed",
    "running_games",
]

# Windows executables (WowUp's platform list, reference §11); under Wine/Proton the process is named after
# the .exe too. macOS process names are the app names without ``.app``.
_WINDOWS_STEMS = ("wow", "wowt", "wowb", "wowclassic", "wowclassict", "wowclassicb")
_MAC_SUFFIXES = ("", " test", " beta", " classic", " classic test", " classic beta")
GAME_PROCESS_NAMES: frozenset[str] = frozenset(
    [f"{stem}.exe" for stem in _WINDOWS_STEMS]
    + [f"{stem}-arm64.exe" for stem in _WINDOWS_STEMS]
    + ["wow-64.exe"]  # old 64-bit builds
    + [f"world of warcraft{suffix}" for suffix in _MAC_SUFFIXES]
)

# Linux keeps the first 15 characters of a process name. psutil restores the rest from argv[0], but only
# with a POSIX basename, so Wine's ``C:\...\WowClassic-arm64.exe`` stays cut; we finish the job.
_COMM_LEN = 15
_CUT_NAMES = frozenset(name[:_COMM_LEN] for name in GAME_PROCESS_NAMES if len(name) > _COMM_LEN)

_FLAVOR = re.compile(r"^_[a-z0-9_]+_$")
# What the game keeps directly inside a flavor folder. A flavor-looking folder followed by one of these is
# the real one, even when an account or parent folder also looks like ``_x_``.
_FLAVOR_CONTENTS = frozenset({"wtf", "interface"})
_DRIVE = re.compile(r"^[A-Za-z]:")
_SEPARATORS = re.compile(r"[\\/]")

Install = tuple[PurePath, str]


@dataclass(frozen=True)
class GameProcess:
    """A running WoW client. ``name`` is the name that matched; ``exe`` is None when we may not read it."""

    pid: int
    name: str
    exe: str | None


def is_game_name(name: str | None) -> TypeGuard[str]:
    """True for a WoW client's process or executable name, in any case."""
    return name is not None and name.lower() in GAME_PROCESS_NAMES


def running_games() -> list[GameProcess]:
    """Every running process that is a WoW client, by its name or by its executable's file name."""
    games = []
    for proc in psutil.process_iter(["name", "exe"]):
        game = _as_game(proc)
        if game is not None and _alive(proc):
            games.append(game)
    return games


def _as_game(proc: psutil.Process) -> GameProcess | None:
    # process_iter already fetched both fields and put None where access was denied, so a denied exe
    # still lets the name match. exe is "" for kernel threads.
    name, exe = proc.info.get("name"), proc.info.get("exe") or None
    if is_game_name(name):
        return GameProcess(proc.pid, name, exe)
    if exe and is_game_name(_basename(exe)):
        return GameProcess(proc.pid, _basename(exe), exe)
    if name and name.lower() in _CUT_NAMES:
        full = _uncut_name(proc, name)
        return GameProcess(proc.pid, full, exe) if full else None
    return None


def _uncut_name(proc: psutil.Process, name: str) -> str | None:
    """The full name behind a 15-character ``name`` if it is a client's; ``name`` itself when we cannot tell."""
    try:
        cmdline = proc.cmdline()
    except psutil.NoSuchProcess:  # gone, or a zombie (a subclass): it writes nothing any more
        return None
    except psutil.AccessDenied:  # a name this close to a client's counts as one
        return name
    full = _basename(cmdline[0]) if cmdline else ""
    if not full.lower().startswith(name.lower()):
        return name  # argv[0] was rewritten into something else, so it proves nothing
    return full if is_game_name(full) else None


def _alive(proc: psutil.Process) -> bool:
    # Asked only of matches: a zombie has exited and writes nothing, but keeps its name until reaped.
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _basename(path: str) -> str:
    # Both separators: Wine reports Windows paths on a POSIX host.
    return _SEPARATORS.split(path.rstrip("\\/"))[-1]


def _pure(path: str | PurePath) -> PurePath:
    # Always PurePosixPath or PureWindowsPath, so two roots are comparable exactly when their types are equal.
    if isinstance(path, PureWindowsPath):
        return PureWindowsPath(path)
    if isinstance(path, PurePath):
        return PurePosixPath(path)
    if "\\" in path or _DRIVE.match(path):
        return PureWindowsPath(path)
    return PurePosixPath(path)


def install_of(path: str | PurePath) -> Install | None:
    """(install root, lowercased flavor folder) for an absolute path inside ``<root>/<_flavor_>/…``, else None.

    ``…/World of Warcraft/_retail_/WTF/Account/X/SavedVariables/TradeSkillMaster.lua`` and
    ``…/World of Warcraft/_retail_/Wow.exe`` both give (``…/World of Warcraft``, ``_retail_``). Strings with a
    backslash or a drive letter are read as Windows paths. Several flavor-looking folders and none followed by
    ``WTF``, ``Interface`` or the game itself is ambiguous, and gives None.
    """
    pure = _pure(path)
    if not pure.is_absolute():  # a relative root could not be compared with a process's absolute one
        return None
    parts = pure.parts
    found = [i for i in range(1, len(parts)) if _FLAVOR.match(parts[i].lower())]
    anchored = [i for i in found if i + 1 < len(parts) and _inside_flavor(parts[i + 1])]
    if anchored:
        index = anchored[-1]
    elif len(found) == 1:
        index = found[0]
    else:
        return None
    return type(pure)(*parts[:index]), parts[index].lower()


def _inside_flavor(part: str) -> bool:
    name = part.lower()
    return name in _FLAVOR_CONTENTS or is_game_name(name) or is_game_name(name.removesuffix(".app"))


def games_blocking(savedvars: PurePath, processes: Sequence[GameProcess] | None = None) -> list[GameProcess]:
    """The running clients that may write ``savedvars``; ``processes=None`` looks them up now.

    Every client blocks except one whose exe and the file both resolve to installs that differ in root or
    flavor: writing while a client of the same install runs loses data at its next logout or reload.
    """
    games = running_games() if processes is None else list(processes)
    if not games:
        return []
    file_installs = _installs_of_file(savedvars)
    return [game for game in games if not _provably_elsewhere(game, file_installs)]


def _installs_of_file(savedvars: PurePath) -> list[Install | None]:
    """The file's install as written and after following links: a client must be elsewhere for both."""
    if not isinstance(savedvars, Path):
        return [install_of(savedvars)]
    try:
        resolved = savedvars.resolve()
    except (OSError, RuntimeError):  # a symlink loop: where the file really is is unknown
        return [None]
    return [install_of(savedvars.absolute()), install_of(resolved)]


def _provably_elsewhere(game: GameProcess, file_installs: Sequence[Install | None]) -> bool:
    home = install_of(game.exe) if game.exe else None
    return home is not None and all(mine is not None and _differ(mine, home) for mine in file_installs)


def _differ(a: Install, b: Install) -> bool:
    if a[1] != b[1]:  # a client keeps its WTF inside its own flavor folder
        return True
    if type(a[0]) is not type(b[0]):
        return False  # Wine's Z:\home\… and /home/… may be one folder, so nothing is proven
    # Case-insensitive everywhere: NTFS and default APFS are, and on Linux it only ever blocks more.
    return str(a[0]).casefold() != str(b[0]).casefold()


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

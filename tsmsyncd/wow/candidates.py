"""Where World of Warcraft might be installed: every folder worth checking, and who said so.

Owns the places discovery looks, per operating system, each tagged with its source (reference
tsm-savedvariables.md §11, prior-art.md §2.2, §3, §7):

* ``TSMSYNCD_WOW_ROOTS`` (``os.pathsep``-separated) replaces everything below (tests, the demo, portable
  setups); ``settings.json`` ``wow_roots`` come first otherwise.
* Windows: the registry (``…\\Blizzard Entertainment\\World of Warcraft`` ``InstallPath``, which points at
  a flavor folder, and the ``…\\Uninstall\\World of Warcraft*`` keys' ``InstallLocation``), the Battle.net
  ``product.db`` on every fixed drive, and the usual folders on every drive (the old TSM app's list).
* macOS: ``/Users/Shared/Battle.net/Agent/product.db``, ``/Applications`` and ``~/Applications``.
* Linux: Wine (``$WINEPREFIX``, ``~/.wine``), Lutris (game configs' ``prefix``, and its game folder's
  ``battlenet``/``world-of-warcraft`` prefixes, as WowUp does), Proton (Steam's ``compatdata/*/pfx``) and
  Bottles prefixes: the usual folders inside each ``drive_c``, and the prefix's own ``product.db`` with its
  ``C:/…`` paths moved into the prefix.

The logic takes the registry's values and the drive list as data and maps every absolute OS path through
``DiscoveryEnv.host`` (``fs_root`` puts them under a test folder), so every platform's rules run on Linux in
tests. Only ``read_registry`` and ``windows_drives`` touch Windows APIs, and only on Windows.

A *guess* (a usual folder nobody told us about) that does not exist is not worth a line in the report; it is
only listed as looked at. Everything else that does not exist is reported.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath

from tsmsyncd.wow.productdb import ProductDbError, wow_installs

__all__ = [
    "ENV_VAR", "Candidate", "Candidates", "DiscoveryEnv", "Reason", "Rejected", "Source", "find_candidates",
    "json_path", "read_registry", "windows_drives",
]

ENV_VAR = "TSMSYNCD_WOW_ROOTS"
HKLM = "HKLM"
BLIZZARD_KEYS = (r"SOFTWARE\WOW6432Node\Blizzard Entertainment\World of Warcraft",
                 r"SOFTWARE\Blizzard Entertainment\World of Warcraft")  # the second on 32-bit Windows
UNINSTALL_KEYS = (r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
                  r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall")
WOW = "World of Warcraft"
AGENT_DB = ("ProgramData", "Battle.net", "Agent", "product.db")
MAC_AGENT_DB = "/Users/Shared/Battle.net/Agent/product.db"
# Inside a Wine prefix's drive_c: where the Battle.net installer puts the game by default, and the rest.
PREFIX_FOLDERS = (("Program Files (x86)", WOW), ("Program Files", WOW), (WOW,))
# Lutris names a prefix after its installer's slug (WowUp warcraft.service.linux.ts).
LUTRIS_PREFIXES = ("battlenet", "battle-net", "world-of-warcraft", "world-of-warcraft-classic")


class Source(StrEnum):
    ENVIRONMENT = "environment"
    SETTINGS = "settings"
    REGISTRY = "registry"
    PRODUCT_DB = "product.db"
    DEFAULT = "default"
    WINE = "wine"
    LUTRIS = "lutris"
    PROTON = "proton"
    BOTTLES = "bottles"


class Reason(StrEnum):
    MISSING = "missing"
    NOT_A_DIRECTORY = "not_a_directory"
    NO_FLAVOR = "no_flavor"
    DUPLICATE = "duplicate"
    UNREADABLE = "unreadable"


def json_path(path: Path | str) -> str:
    """A path as JSON-safe text: bytes that are not UTF-8 (surrogate escapes) become U+FFFD."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@dataclass(frozen=True)
class Candidate:
    """A folder to check. ``origin`` says exactly where the source named it (a registry value, a file)."""

    path: Path
    source: Source
    origin: str
    guess: bool = False  # a usual folder: when it does not exist, it is only listed as looked at


@dataclass(frozen=True)
class Rejected:
    """A folder (or a launcher file) that gave no install, and why."""

    path: Path
    source: Source
    origin: str
    reason: Reason
    message: str
    same_as: Path | None = None  # for a duplicate: the root of the install it is

    def as_json(self) -> dict[str, str | None]:
        return {"path": json_path(self.path), "source": self.source.value, "origin": json_path(self.origin),
                "reason": self.reason.value, "message": json_path(self.message),
                "same_as": json_path(self.same_as) if self.same_as else None}


@dataclass(frozen=True)
class Candidates:
    candidates: tuple[Candidate, ...]
    rejected: tuple[Rejected, ...]  # launcher files that could not be read
    replaced: bool  # TSMSYNCD_WOW_ROOTS replaced discovery


@dataclass(frozen=True)
class DiscoveryEnv:
    """Everything discovery reads from the machine besides the files themselves.

    ``platform`` is ``windows``, ``macos`` or ``linux``. ``registry`` maps ``HKLM\\<key>\\<value>`` to the
    value's text (``read_registry`` gives the real ones). ``fs_root``, for tests, is where absolute OS paths
    live: ``C:\\X`` becomes ``<fs_root>/C/X`` and ``/Applications`` ``<fs_root>/Applications``; ``home`` and
    user-given roots are used as they are.
    """

    platform: str
    home: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    wow_roots: tuple[str, ...] = ()
    registry: Mapping[str, str] = field(default_factory=dict)
    drives: tuple[str, ...] = ("C:",)
    fs_root: Path | None = None

    @classmethod
    def current(cls, wow_roots: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> DiscoveryEnv:
        """This machine's: its platform, home, environment, and on Windows its registry and fixed drives."""
        platform = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
        windows = platform == "windows"
        return cls(platform, Path.home(), dict(os.environ if environ is None else environ), tuple(wow_roots),
                   read_registry() if windows else {}, windows_drives() if windows else ())

    def host(self, path: str) -> Path:
        """Where an absolute path as this platform writes it (``C:/…``, ``/Applications/…``) is here."""
        if self.fs_root is None:
            return Path(path)
        if self.platform == "windows":
            pure = PureWindowsPath(path)
            drive = pure.drive.rstrip(":\\/").replace("\\", "_").replace("/", "_").upper() or "C"
            return self.fs_root.joinpath(drive, *pure.parts[1:])
        return self.fs_root.joinpath(*PurePosixPath(path).parts[1:])

    def expand(self, path: str) -> Path:
        """A user-given folder, ``~`` meaning ``home``."""
        if path == "~" or path.startswith(("~/", "~\\")):
            return self.home.joinpath(path[2:]) if len(path) > 2 else self.home
        return Path(path)


def find_candidates(env: DiscoveryEnv) -> Candidates:
    """Every folder to check, in order of trust: the first of several that are one folder wins."""
    override = [p.strip() for p in env.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    if override:
        found = [Candidate(env.expand(p), Source.ENVIRONMENT, ENV_VAR) for p in override]
        return Candidates(tuple(found), (), True)
    found = [Candidate(env.expand(p), Source.SETTINGS, "settings.json wow_roots") for p in env.wow_roots if p]
    rejected: list[Rejected] = []
    if env.platform == "windows":
        found += _registry(env)
        for drive in env.drives:
            found += _product_db(env.host("\\".join((drive, *AGENT_DB))), env.host, Source.PRODUCT_DB, rejected)
        found += _windows_defaults(env)
    elif env.platform == "macos":
        found += _product_db(env.host(MAC_AGENT_DB), env.host, Source.PRODUCT_DB, rejected)
        found.append(Candidate(env.host(f"/Applications/{WOW}"), Source.DEFAULT, "macOS default"))
        found.append(Candidate(env.home / "Applications" / WOW, Source.DEFAULT, "macOS default", guess=True))
    else:
        looked: set[str] = set()
        for prefix, source, origin in _linux_prefixes(env):
            where = os.path.realpath(prefix)  # ~/.steam/steam links to ~/.local/share/Steam; Lutris names
            if where not in looked:  # its own default prefix: one prefix, looked in once
                looked.add(where)
                found += _in_prefix(prefix, source, origin, rejected)
    return Candidates(tuple(found), tuple(rejected), False)


def _registry(env: DiscoveryEnv) -> list[Candidate]:
    # InstallPath names the flavor folder and InstallLocation the base; both resolve to the install root.
    out = []
    for name, value in env.registry.items():
        if value and value.strip():
            out.append(Candidate(env.host(value.strip()), Source.REGISTRY, name))
    return out


def _windows_defaults(env: DiscoveryEnv) -> list[Candidate]:
    out = []
    for drive in env.drives:
        for parts in (("Program Files (x86)", WOW), ("Program Files", WOW), (WOW,), ("Games", WOW)):
            path = "\\".join((drive, *parts))
            main = drive.upper() == "C:" and parts[0] == "Program Files (x86)"  # where the installer puts it
            out.append(Candidate(env.host(path), Source.DEFAULT, "Windows default", guess=not main))
    return out


def _product_db(
    path: Path, place: Callable[[str], Path | None], source: Source, rejected: list[Rejected]
) -> list[Candidate]:
    """The WoW installs a product.db lists, one candidate per folder (several flavors share one base)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        rejected.append(Rejected(path, source, str(path), Reason.UNREADABLE,
                                 f"cannot be read: {exc.strerror or exc}"))
        return []
    try:
        installs = wow_installs(data)
    except ProductDbError as exc:
        rejected.append(Rejected(path, source, str(path), Reason.UNREADABLE,
                                 f"is not a Battle.net product database ({exc})"))
        return []
    codes: dict[str, list[str]] = {}
    for product in installs:
        codes.setdefault(product.install_path, []).append(product.product_code)
    out = []
    for install_path, products in codes.items():
        where = place(install_path)
        if where is not None:
            out.append(Candidate(where, source, f"{path} ({', '.join(products)})"))
    return out


def _in_prefix(prefix: Path, source: Source, origin: str, rejected: list[Rejected]) -> list[Candidate]:
    """The usual WoW folders inside a Wine prefix's drive_c, and the installs its own product.db lists."""
    if not prefix.exists():  # one line in the report for a prefix that is not there, not one per folder
        return [Candidate(prefix, source, origin, guess=True)]
    drive_c = prefix / "drive_c"
    found = _product_db(drive_c.joinpath(*AGENT_DB), lambda p: _windows_path_in(prefix, p), source, rejected)
    found += [Candidate(drive_c.joinpath(*parts), source, origin, guess=True) for parts in PREFIX_FOLDERS]
    return found


def _windows_path_in(prefix: Path, path: str) -> Path | None:
    """Where Wine keeps ``C:/…`` (``drive_c``) and other drives (``dosdevices/d:``, links Wine made)."""
    pure = PureWindowsPath(path)
    letter = pure.drive[:1].lower()
    if not letter or pure.drive[1:2] != ":":
        return None
    base = prefix / "drive_c" if letter == "c" else prefix / "dosdevices" / f"{letter}:"
    return base.joinpath(*pure.parts[1:])


def _linux_prefixes(env: DiscoveryEnv) -> Iterator[tuple[Path, Source, str]]:
    home = env.home
    if env.environ.get("WINEPREFIX"):
        yield env.expand(env.environ["WINEPREFIX"]), Source.WINE, "WINEPREFIX"
    yield home / ".wine", Source.WINE, "~/.wine"
    yield from _lutris_prefixes(env)
    for steam in (home / ".steam" / "steam", home / ".local" / "share" / "Steam",
                  home / ".var" / "app" / "com.valvesoftware.Steam" / ".local" / "share" / "Steam"):
        for pfx in _subfolders(steam / "steamapps" / "compatdata"):
            yield pfx / "pfx", Source.PROTON, f"Steam compatdata {pfx.name}"
    for bottles in (home / ".local" / "share" / "bottles" / "bottles",
                    home / ".var" / "app" / "com.usebottles.bottles" / "data" / "bottles" / "bottles"):
        for bottle in _subfolders(bottles):
            yield bottle, Source.BOTTLES, f"bottle {bottle.name}"


def _lutris_prefixes(env: DiscoveryEnv) -> Iterator[tuple[Path, Source, str]]:
    home = env.home
    flatpak = home / ".var" / "app" / "net.lutris.Lutris"
    config_dirs = (home / ".config" / "lutris", home / ".local" / "share" / "lutris", flatpak / "data" / "lutris")
    for folder in config_dirs:
        for yml in sorted((folder / "games").glob("*.yml")) if (folder / "games").is_dir() else ():
            prefix = _posix(env, _yaml_value(_read_text(yml), "game", "prefix"))
            if prefix is not None:
                yield prefix, Source.LUTRIS, str(yml)
    game_paths = [home / "Games"]
    for folder in config_dirs:
        game_path = _posix(env, _yaml_value(_read_text(folder / "system.yml"), "system", "game_path"))
        if game_path is not None:
            game_paths.insert(0, game_path)
    for games in dict.fromkeys(game_paths):
        for name in LUTRIS_PREFIXES:
            yield games / name, Source.LUTRIS, f"Lutris games folder {games}"


def _posix(env: DiscoveryEnv, path: str | None) -> Path | None:
    """A folder a Lutris file names: absolute or ``~``; anything else is not a place to look."""
    if not path:
        return None
    if path.startswith("~"):
        return env.expand(path)
    return env.host(path) if path.startswith("/") else None


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


_SECTION = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(?:#.*)?$")


def _yaml_value(text: str, section: str, key: str) -> str | None:
    """``key`` of the top-level mapping ``section`` in the flat two-level YAML Lutris writes
    (``game:\\n  prefix: /home/me/Games/battlenet``); a YAML library would be a dependency for two keys."""
    inside = False
    pattern = re.compile(rf"^\s+{re.escape(key)}\s*:\s*(.*?)\s*$")
    for line in text.splitlines():
        if line[:1] not in ("", " ", "\t", "#"):
            match = _SECTION.match(line)
            inside = bool(match) and match.group(1) == section  # type: ignore[union-attr]
            continue
        found = pattern.match(line) if inside else None
        if found and found.group(1):
            value = found.group(1)
            if value[:1] in "'\"" and value[-1:] == value[:1] and len(value) >= 2:
                value = value[1:-1]
            return value or None
    return None


def read_registry() -> dict[str, str]:
    """The WoW install values of this machine's registry (Windows only; ``{}`` elsewhere)."""
    if sys.platform != "win32":
        return {}
    import winreg  # only exists on Windows

    found: dict[str, str] = {}
    view = winreg.KEY_READ | winreg.KEY_WOW64_64KEY  # the paths above name WOW6432Node themselves

    def value(key: str, name: str) -> None:
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key, 0, view) as handle:
                text, _kind = winreg.QueryValueEx(handle, name)
        except OSError:
            return
        if isinstance(text, str) and text:
            found[f"{HKLM}\\{key}\\{name}"] = text

    for key in BLIZZARD_KEYS:
        value(key, "InstallPath")
    for parent in UNINSTALL_KEYS:
        for sub in _subkeys(winreg, parent, view):
            if sub.casefold().startswith(WOW.casefold()):
                value(f"{parent}\\{sub}", "InstallLocation")
    return found


def _subkeys(winreg: object, parent: str, view: int) -> list[str]:
    names: list[str] = []
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, parent, 0, view) as handle:  # type: ignore[attr-defined]
            while True:
                try:
                    names.append(winreg.EnumKey(handle, len(names)))  # type: ignore[attr-defined]
                except OSError:  # no more subkeys
                    return names
    except OSError:
        return names


def windows_drives() -> tuple[str, ...]:
    """This machine's fixed drives (``C:``, ``D:``…): network and optical drives can hang a probe."""
    if sys.platform != "win32":
        return ()
    import ctypes

    kernel32 = ctypes.windll.kernel32
    mask = kernel32.GetLogicalDrives()
    fixed = 3  # DRIVE_FIXED
    letters = [chr(65 + i) for i in range(26) if mask >> i & 1]
    drives = tuple(f"{x}:" for x in letters if kernel32.GetDriveTypeW(f"{x}:\\") == fixed)
    return drives or ("C:",)

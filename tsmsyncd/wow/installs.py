"""World of Warcraft installs on this machine: their flavors, accounts and TradeSkillMaster files.

Owns turning candidate folders (``wow/candidates.py`` says where to look) into installs, and the report of
what was found and why. An install root holds flavor folders, ``_name_`` folders containing
``WTF/Account`` (``_retail_``, ``_classic_era_``…; DESIGN.md "The daemon's files"); each account is a folder
of ``WTF/Account`` other than the account-independent ``SavedVariables``, and its TSM file is
``SavedVariables/TradeSkillMaster.lua`` (reference tsm-savedvariables.md §1, §11).

A folder picked anywhere inside an install (the flavor folder, ``WTF``, an account, ``SavedVariables``, the
TSM file itself) resolves to its root, the way Ajour resolves a manual pick (prior-art.md §3). Two
candidates that are one folder (a symlink, another spelling on a case-insensitive disk) are one install: the
first, most trusted source keeps it and the other is reported as a duplicate. Names are matched without
regard to case, as Windows and macOS do, so a Wine prefix copied from Windows reads the same.

Everything is plain filesystem reads on real folders; nothing is written.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tsmsyncd.wow.candidates import (
    ENV_VAR,
    Candidate,
    DiscoveryEnv,
    Reason,
    Rejected,
    Source,
    find_candidates,
    json_path,
)
from tsmsyncd.wow.flavor import Flavor, flavor_of_folder, is_live_folder

__all__ = [
    "ENV_VAR", "Account", "Discovery", "DiscoveryEnv", "FlavorInstall", "Install", "Reason", "Rejected", "Source",
    "accounts_of", "discover", "flavors_of", "resolve_root",
]

TSM_FILE = "TradeSkillMaster.lua"
ACCOUNT_SAVEDVARIABLES = "savedvariables"  # WTF/Account/SavedVariables: account-independent, not an account
_FLAVOR_NAME = re.compile(r"^_[a-z0-9_]+_$", re.IGNORECASE)


@dataclass(frozen=True)
class Account:
    """``WTF/Account/<name>``; ``tsm_file`` is its TradeSkillMaster.lua, None when there is none yet."""

    name: str
    path: Path
    tsm_file: Path | None

    def as_json(self) -> dict[str, object]:
        return {"name": json_path(self.name), "path": json_path(self.path),
                "tsm_file": json_path(self.tsm_file) if self.tsm_file else None}


@dataclass(frozen=True)
class FlavorInstall:
    """One flavor folder of an install. ``flavor`` is None for a folder tsmsyncd does not know
    (``_classic_titan_``…); ``live`` is False for test and beta clients, whose realms Blizzard's API lacks."""

    folder: Path
    flavor: Flavor | None
    accounts: tuple[Account, ...]

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def live(self) -> bool:
        return is_live_folder(self.folder.name)

    def as_json(self) -> dict[str, object]:
        return {"folder": json_path(self.folder), "name": json_path(self.name),
                "flavor": self.flavor.value if self.flavor else None, "live": self.live,
                "accounts": [a.as_json() for a in self.accounts]}


@dataclass(frozen=True)
class Install:
    """An install root, the source that found it (``picked`` is the folder it named), and its flavors."""

    root: Path
    source: Source
    origin: str
    picked: Path
    flavors: tuple[FlavorInstall, ...]

    def as_json(self) -> dict[str, object]:
        return {"root": json_path(self.root), "source": self.source.value, "origin": json_path(self.origin),
                "picked": json_path(self.picked), "flavors": [f.as_json() for f in self.flavors]}


@dataclass(frozen=True)
class Discovery:
    """What discovery found and why. ``not_found`` lists the usual folders looked in that do not exist;
    ``replaced`` says ``TSMSYNCD_WOW_ROOTS`` stood in for discovery."""

    installs: tuple[Install, ...]
    rejected: tuple[Rejected, ...]
    not_found: tuple[Path, ...] = ()
    replaced: bool = False

    def accounts(self) -> Iterator[tuple[Install, FlavorInstall, Account]]:
        for install in self.installs:
            for flavor in install.flavors:
                for account in flavor.accounts:
                    yield install, flavor, account

    def as_json(self) -> dict[str, object]:
        return {"replaced_by": ENV_VAR if self.replaced else None,
                "installs": [i.as_json() for i in self.installs],
                "rejected": [r.as_json() for r in self.rejected],
                "not_found": [json_path(p) for p in self.not_found]}


def discover(env: DiscoveryEnv) -> Discovery:
    """Every install the environment's sources lead to, and every folder that led nowhere with its reason."""
    found = find_candidates(env)
    installs: list[Install] = []
    rejected = list(found.rejected)
    not_found: list[Path] = []
    seen: dict[object, Install] = {}
    for candidate in found.candidates:
        outcome = _evaluate(candidate, seen)
        if isinstance(outcome, Install):
            installs.append(outcome)
        elif outcome.reason is Reason.MISSING and candidate.guess:
            not_found.append(candidate.path)
        else:
            rejected.append(outcome)
    return Discovery(tuple(installs), tuple(rejected), tuple(not_found), found.replaced)


def _evaluate(candidate: Candidate, seen: dict[object, Install]) -> Install | Rejected:
    def reject(reason: Reason, message: str, same_as: Path | None = None) -> Rejected:
        return Rejected(candidate.path, candidate.source, candidate.origin, reason, message, same_as)

    try:
        mode = candidate.path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return reject(Reason.MISSING, "does not exist")
    except OSError as exc:
        return reject(Reason.UNREADABLE, f"cannot be read: {exc.strerror or exc}")
    root = resolve_root(candidate.path)
    if root is None:
        if not stat.S_ISDIR(mode):
            return reject(Reason.NOT_A_DIRECTORY, "is a file, and not one inside a World of Warcraft install")
        return reject(Reason.NO_FLAVOR, "has no flavor folder (_retail_, _classic_…) with WTF/Account in it or "
                                        "above it; has the game been started from there yet?")
    key = _identity(root)
    if key in seen:
        first = seen[key]
        return reject(Reason.DUPLICATE, f"is the same folder as {first.root} (found by {first.source.value})",
                      first.root)
    install = Install(root, candidate.source, candidate.origin, candidate.path, flavors_of(root))
    seen[key] = install
    return install


def _identity(root: Path) -> object:
    """One value per folder whatever the path: device and inode (symlinks, case, bind mounts), else the
    resolved path where the filesystem has no inode numbers."""
    try:
        st = root.stat()
    except OSError:
        st = None
    if st is not None and st.st_ino:
        return ("inode", st.st_dev, st.st_ino)
    return ("path", os.path.normcase(os.path.realpath(root)))


def resolve_root(picked: Path) -> Path | None:
    """The install root a folder or file anywhere inside an install belongs to, None if it is in none.

    The nearest folder, from ``picked`` upwards, that holds a flavor folder with ``WTF/Account``.
    """
    path = Path(picked).absolute()
    try:
        start = path if path.is_dir() else path.parent
    except OSError:
        return None
    for folder in (start, *start.parents):
        if _flavor_folders(folder):
            return folder
    return None


def flavors_of(root: Path) -> tuple[FlavorInstall, ...]:
    """The flavor folders of an install root, by name, each with its accounts."""
    return tuple(FlavorInstall(folder, flavor_of_folder(folder.name), accounts_of(folder))
                 for folder in _flavor_folders(root))


def accounts_of(flavor_folder: Path) -> tuple[Account, ...]:
    """The accounts under ``WTF/Account`` of a flavor folder, by name; files and hidden entries are not."""
    accounts_dir = _account_dir(flavor_folder)
    if accounts_dir is None:
        return ()
    found = []
    for entry in _entries(accounts_dir):
        if entry.name.startswith(".") or entry.name.casefold() == ACCOUNT_SAVEDVARIABLES or not _is_dir(entry):
            continue
        path = Path(entry.path)
        found.append(Account(entry.name, path, _tsm_file(path)))
    return tuple(sorted(found, key=lambda a: a.name.casefold()))


def _flavor_folders(root: Path) -> list[Path]:
    folders = [Path(e.path) for e in _entries(root) if _FLAVOR_NAME.match(e.name) and _is_dir(e)]
    return sorted((f for f in folders if _account_dir(f) is not None), key=lambda f: f.name.casefold())


def _account_dir(flavor_folder: Path) -> Path | None:
    wtf = _child(flavor_folder, "WTF")
    return _child(wtf, "Account") if wtf is not None else None


def _tsm_file(account: Path) -> Path | None:
    saved = _child(account, "SavedVariables")
    return _child(saved, TSM_FILE, want_dir=False) if saved is not None else None


def _child(parent: Path, name: str, want_dir: bool = True) -> Path | None:
    """``parent/name`` in any case, if it exists and is a folder (a file with ``want_dir=False``)."""
    exact = parent / name
    try:
        if exact.is_dir() if want_dir else exact.is_file():
            return exact
    except OSError:
        return None
    wanted = name.casefold()
    for entry in _entries(parent):
        if entry.name.casefold() == wanted and (_is_dir(entry) if want_dir else _is_file(entry)):
            return Path(entry.path)
    return None


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """A folder's entries, none when it cannot be listed (gone, not a folder, no permission)."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows symlinks: a linked account or flavor folder counts
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False

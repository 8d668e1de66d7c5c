"""The updatable one-folder install on disk, and the switch between its versions (installers/README.md)::

    <root>/                     where tsmsyncd was installed (~/.local/opt/tsmsyncd, %LOCALAPPDATA%\\Programs\\tsmsyncd)
      tsmsyncd                  the launcher: starts versions/<current>/tsmsyncd with the same arguments
      current                   one line: the folder under versions/ to start
      previous                  one line: the folder that was current before the last update (one rollback)
      versions/
        0.2.0/                  a one-folder app (PyInstaller's dist/tsmsyncd/), never changed once unpacked
        0.3.0/
        .staging-<random>/      an update being downloaded and unpacked; removed whatever happens

An update unpacks beside the running version and only then changes ``previous`` and ``current`` (each
an atomic replace), so the running program is never touched and the switch happens at the next start;
a crash at any moment leaves a ``current`` that names a complete folder. Rolling back points ``current``
at ``previous`` again. Old folders are removed only when neither pointer names them and no process of
ours runs from them. The player's data folder is not in here and is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tsmsyncd.errors import InputError, UpdateError
from tsmsyncd.store.atomic import write_atomic

__all__ = ["CURRENT", "PREVIOUS", "VERSIONS", "Bundle", "Install", "detect_install", "find_bundle", "install",
           "prune", "rollback", "staging"]

CURRENT, PREVIOUS, VERSIONS = "current", "previous", "versions"
PROGRAMS = ("tsmsyncd", "tsmsyncd.exe")
NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}\Z")  # a version folder's name (a normalized version)
STAGING = ".staging-"
STALE_AFTER = 3600.0


@dataclass(frozen=True)
class Bundle:
    """An updatable install: ``root`` holds the pointers; this process runs from ``versions/<running>``."""

    root: Path
    running: str

    @property
    def versions(self) -> Path:
        return self.root / VERSIONS

    def folder(self, name: str) -> Path:
        return self.versions / name

    def current(self) -> str | None:
        return _pointer(self.root / CURRENT)

    def previous(self) -> str | None:
        return _pointer(self.root / PREVIOUS)

    def program(self, name: str) -> Path | None:
        """The executable of the version folder ``name``, if it is there."""
        return next((p for p in (self.folder(name) / n for n in PROGRAMS) if p.is_file()), None)

    @property
    def staged(self) -> str | None:
        """The version the next start runs, when it is not the one running now."""
        current = self.current()
        return current if current is not None and current != self.running else None


@dataclass(frozen=True)
class Install:
    """How this copy of tsmsyncd was installed: ``bundle`` (updatable one-folder app), ``frozen`` (a
    one-folder app started from where it was unpacked, not laid out for updates), or ``pip``."""

    kind: str
    bundle: Bundle | None = None


def _pointer(path: Path) -> str | None:
    try:
        text = path.read_bytes()[:256].decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if NAME.match(text) else None


def find_bundle(start: Path) -> Bundle | None:
    """The bundle ``start`` (the executable, or the package's folder) lies in, if it lies in one."""
    for folder in (start, *start.parents):
        parent = folder.parent
        if parent.name == VERSIONS and (parent.parent / CURRENT).is_file() and NAME.match(folder.name):
            return Bundle(parent.parent, folder.name)
    return None


def detect_install(*, frozen: bool, executable: Path, package: Path) -> Install:
    """The frozen app is found through its executable, a Python copy laid out the same way (the tests'
    bundles) through its package folder; anything else is a pip install."""
    bundle = find_bundle(executable.absolute()) if frozen else None
    bundle = bundle or find_bundle(package.resolve())
    if bundle is not None:
        return Install("bundle", bundle)
    return Install("frozen" if frozen else "pip")


def staging(bundle: Bundle) -> Path:
    """A fresh folder beside the versions for one update (on the same disk, so the last step is a rename);
    stale ones a killed update left are removed first."""
    now = time.time()
    try:
        for old in bundle.versions.glob(f"{STAGING}*"):
            if now - old.stat().st_mtime > STALE_AFTER:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(prefix=STAGING, dir=bundle.versions))
    except OSError as exc:
        raise UpdateError("permission", f"cannot write to {bundle.versions} ({exc.strerror or exc}); update as "
                                        "the user who installed tsmsyncd") from exc


def _write_pointer(path: Path, name: str) -> None:
    write_atomic(path, name.encode("ascii") + b"\n", mode=0o644)


def install(bundle: Bundle, folder: Path, name: str) -> str | None:
    """Move the unpacked ``folder`` to ``versions/<name>`` and make it current; the version that was current
    becomes ``previous``, which it returns. ``folder`` must be on the bundle's disk (``staging``)."""
    if not NAME.match(name):
        raise InputError(f"{name!r} is not a version folder name")
    was = bundle.current()
    if name == was:
        raise UpdateError("installed", f"tsmsyncd {name} is already installed; restart tsmsyncd to use it")
    target = bundle.folder(name)
    if target.exists():  # left by an update that was rolled back: never the running or a pointed-at one
        if name in (bundle.running, bundle.previous()):
            raise UpdateError("installed", f"{target} is in use; nothing was changed")
        aside = Path(tempfile.mkdtemp(prefix=STAGING, dir=bundle.versions))
        os.replace(target, aside / name)
        shutil.rmtree(aside, ignore_errors=True)
    os.replace(folder, target)
    if was is not None:
        _write_pointer(bundle.root / PREVIOUS, was)
    _write_pointer(bundle.root / CURRENT, name)  # the switch: the next start runs the new version
    return was


def rollback(bundle: Bundle) -> tuple[str, str]:
    """Point ``current`` back at ``previous`` (once: ``previous`` is removed); returns (from, to)."""
    now, back = bundle.current(), bundle.previous()
    if back is None or bundle.program(back) is None:
        raise InputError("there is no previous version to roll back to (only one update is kept)")
    if now is None:
        raise InputError(f"{bundle.root / CURRENT} is missing or damaged; reinstall tsmsyncd")
    _write_pointer(bundle.root / CURRENT, back)
    (bundle.root / PREVIOUS).unlink(missing_ok=True)
    return now, back


def prune(bundle: Bundle, protect: list[Path]) -> list[str]:
    """Remove version folders that no pointer names and that we do not run from; never one holding a
    protected path (the data folder of a portable setup)."""
    keep = {bundle.running, bundle.current(), bundle.previous()}
    removed = []
    for folder in sorted(bundle.versions.iterdir()):
        if folder.name in keep or folder.name.startswith(".") or not folder.is_dir() or folder.is_symlink():
            continue
        if any(p.resolve().is_relative_to(folder.resolve()) for p in protect):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed

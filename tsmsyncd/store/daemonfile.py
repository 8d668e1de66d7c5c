"""The running daemon's files in the data folder (DESIGN.md "The daemon's files").

``daemon.lock`` is held (flock / msvcrt) for the daemon's whole life: one daemon per data folder, and the
operating system releases it when the process dies, so a crash never leaves a stale lock. ``daemon.json``
(0600) is written once the API listens and removed on a clean exit: ``{"pid", "url", "api_key",
"version"}``; the CLI and the tray find the daemon through it. A ``daemon.json`` whose pid is gone (a
killed daemon) is ignored and replaced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.store.atomic import write_atomic
from tsmsyncd.store.locks import FileLock, LockTimeout

__all__ = ["DaemonInfo", "InstanceLock", "read_info", "remove_info", "write_info"]

INFO = "daemon.json"
LOCK = "daemon.lock"


@dataclass(frozen=True)
class DaemonInfo:
    pid: int
    url: str
    api_key: str
    version: str

    def as_json(self) -> dict[str, object]:
        return {"pid": self.pid, "url": self.url, "api_key": self.api_key, "version": self.version}


class InstanceLock:
    """``acquire()`` returns False when another daemon holds the data folder."""

    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(home / LOCK, timeout=0)

    def acquire(self) -> bool:
        try:
            self._lock.acquire(blocking=False)
        except LockTimeout:
            return False
        return True

    def release(self) -> None:
        self._lock.release()


def write_info(home: Path, info: DaemonInfo) -> Path:
    path = home / INFO
    write_atomic(path, json.dumps(info.as_json(), indent=1).encode() + b"\n", mode=0o600)
    return path


def read_info(home: Path, *, alive: bool = True) -> DaemonInfo | None:
    """The running daemon's info; None when there is none (no file, a broken one, or with ``alive`` a pid
    that no longer runs)."""
    try:
        doc = parse((home / INFO).read_bytes())
        info = DaemonInfo(int(doc["pid"]), str(doc["url"]), str(doc["api_key"]), str(doc.get("version", "")))
    except (OSError, JsonDocError, KeyError, TypeError, ValueError):
        return None
    if alive and not _running(info.pid):
        return None
    return info


def remove_info(home: Path, pid: int | None = None) -> None:
    """Remove ``daemon.json`` (only ours, when ``pid`` is given)."""
    info = read_info(home, alive=False)
    if pid is None or info is None or info.pid == pid:
        (home / INFO).unlink(missing_ok=True)


def _running(pid: int) -> bool:
    import psutil

    try:
        return bool(psutil.pid_exists(pid)) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False

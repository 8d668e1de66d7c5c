"""Inter-process locks on files we own: ``flock`` on POSIX, ``msvcrt.locking`` on Windows.

Written here rather than taken from ``filelock`` because that library costs 10-30 ms of imports on every
command (it loads asyncio support), and a merge's whole process is measured against one Lua parse. The
semantics are the small subset we need: exclusive, blocking with a timeout or not at all, released when
the holder closes the file — or dies, since the OS drops the lock with the process, so a killed tsmsyncd
never leaves a stale lock behind.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType

__all__ = ["FileLock", "LockTimeout"]


class LockTimeout(Exception):
    """The lock is held by another process and was not released in time."""


class FileLock:
    """An exclusive lock on ``path`` (created if missing). Reentrant within one instance."""

    def __init__(self, path: Path, timeout: float = 60.0, poll: float = 0.05) -> None:
        self.path, self.timeout, self.poll = path, timeout, poll
        self._fd: int | None = None
        self._depth = 0

    def acquire(self, blocking: bool = True) -> None:
        if self._fd is not None:
            self._depth += 1
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + (self.timeout if blocking else 0.0)
        while True:
            if _try_lock(fd):
                self._fd, self._depth = fd, 1
                return
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockTimeout(f"{self.path} is locked by another process")
            time.sleep(self.poll)

    def release(self) -> None:
        if self._fd is None:
            return
        self._depth -= 1
        if self._depth == 0:
            fd, self._fd = self._fd, None
            _unlock(fd)
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only (os.name == "nt", as mypy reads it)
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # the first byte stands for the whole file
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

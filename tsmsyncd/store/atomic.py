"""Atomic file replacement: temp file in the same folder, fsync, replace, fsync the folder.

A reader (or the game) sees either the old bytes or the new bytes, never a mix, and a crash at any moment
leaves one of the two in place. A hook runs just before the replace so callers can make a last check
(is the game still closed? is the file still what we read?) and abort with the original untouched.
"""

from __future__ import annotations

import glob
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["TEMP_SUFFIX", "fsync_dir", "remove_stale_temps", "write_atomic"]

TEMP_SUFFIX = ".tsmsyncd-tmp"
STALE_AFTER_SECONDS = 600  # a live write takes seconds; anything this old was left by a killed process


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable. Windows cannot open folders; NTFS journals renames itself."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until everything is written (it may write less than asked, e.g. near a full disk)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_atomic(
    path: Path,
    data: bytes,
    *,
    before_replace: Callable[[], None] | None = None,
    mode: int | None = None,
) -> os.stat_result:
    """Replace ``path`` with ``data`` atomically and return the stat of the file now in place (taken from
    the open temp file, so a caller can prove later that ``path`` is still that file). If anything fails
    (including ``before_replace``), the temp file is removed, ``path`` is untouched and the error
    propagates."""
    folder = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=folder)
    tmp = Path(tmp_name)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
            if mode is not None:
                os.chmod(tmp, mode)
            written = os.fstat(fd)
        finally:
            os.close(fd)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(folder)
    return written


def remove_stale_temps(path: Path, now: float | None = None) -> list[Path]:
    """Delete temp files a killed write left beside ``path`` (only ours: ``.<name>.*.tsmsyncd-tmp``, and
    only old ones, so a write in progress in another process is never touched)."""
    now = time.time() if now is None else now
    removed = []
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*{TEMP_SUFFIX}"):
        try:
            if now - candidate.stat().st_mtime > STALE_AFTER_SECONDS:
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            continue  # gone already, or not ours to remove
    return removed

"""Reading a player's SavedVariables file: which files are acceptable at all, and the bytes as read.

Before a single byte is read the path must be a regular file (a device such as ``/dev/zero`` would grow
without end, a FIFO would block forever, a folder or socket is not a file) of a sane size. A symlinked
``TradeSkillMaster.lua`` (players keep WTF folders in sync with links) is followed: the bytes are read
from its target and every write goes to that target, so the link stays a link. A file that starts with a
byte-order mark, or is UTF-16, was re-saved by an editor: WoW never writes one, and neither its Lua
nor ours would read it as TSM's data, so it is refused saying so.

``PlayerFile`` carries the bytes together with the stat of the very file they came from, so a later
write can prove the file is still the one that was read.
"""

from __future__ import annotations

import os
import stat as stat_mod
from dataclasses import dataclass
from pathlib import Path

from tsmsyncd.errors import SavedVariablesError

__all__ = ["MAX_FILE_SIZE", "PlayerFile", "check_acceptable", "check_encoding", "identity", "real_path"]

MAX_FILE_SIZE = 256 * 2**20  # the biggest real TSM files seen are ~100 MB (years of accounting)
_BOMS = ((b"\xef\xbb\xbf", "UTF-8 with a byte-order mark"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def real_path(path: Path) -> Path:
    """Where the file's bytes live: ``path`` with every symlink followed. Refuses loops and links that
    point nowhere (writing "through" them would create a file somewhere unexpected)."""
    try:
        return path.resolve(strict=True)
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise SavedVariablesError(f"{path} is a symlink to {os.readlink(path)}, which does not exist") from exc
        raise SavedVariablesError(f"cannot read {path}: no such file") from exc
    except RuntimeError as exc:  # a symlink loop (Python < 3.13 raises RuntimeError)
        raise SavedVariablesError(f"{path} is a symlink loop") from exc
    except OSError as exc:
        if exc.errno == 40:  # ELOOP on 3.13+
            raise SavedVariablesError(f"{path} is a symlink loop") from exc
        raise SavedVariablesError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat_mod.S_ISREG(mode):
        return None
    if stat_mod.S_ISDIR(mode):
        return "a folder"
    if stat_mod.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat_mod.S_ISSOCK(mode):
        return "a socket"
    if stat_mod.S_ISCHR(mode) or stat_mod.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_acceptable(path: Path, st: os.stat_result, max_size: int = MAX_FILE_SIZE) -> None:
    kind = _kind(st.st_mode)
    if kind:
        raise SavedVariablesError(f"{path} is {kind}, not a SavedVariables file; nothing was read")
    if st.st_size > max_size:
        raise SavedVariablesError(
            f"{path.name} is {st.st_size / 2**20:,.0f} MB, over tsmsyncd's limit of {max_size // 2**20} MB "
            "for a SavedVariables file; nothing was changed")


def check_encoding(name: str, data: bytes) -> None:
    """Refuse text an editor re-saved: a byte-order mark, or UTF-16 (every other byte zero)."""
    for mark, what in _BOMS:
        if data.startswith(mark):
            raise SavedVariablesError(
                f"{name} is {what} (it starts with a byte-order mark): WoW never writes one, so an editor re-saved "
                "it; restore a backup or let the game write it again")
    head = data[:200]
    odd, even = head[1::2], head[0::2]
    if len(head) >= 8 and any(a.count(0) >= 0.9 * len(a) and b.count(0) <= 0.1 * len(b)
                              for a, b in ((odd, even), (even, odd))):
        raise SavedVariablesError(
            f"{name} looks like UTF-16 text (every other byte is zero): WoW writes plain bytes, so an editor "
            "re-saved it; restore a backup or let the game write it again")


@dataclass(frozen=True)
class PlayerFile:
    """A SavedVariables file as read: the bytes, and what identifies them on disk.

    ``path`` is what the player named; ``real`` is where the bytes live (the same unless ``path`` is a
    symlink) and is what every write replaces, so a link stays a link."""

    path: Path
    real: Path
    data: bytes
    stat: os.stat_result

    @property
    def mode(self) -> int:
        return self.stat.st_mode & 0o7777

    @classmethod
    def read(cls, path: Path, max_size: int = MAX_FILE_SIZE) -> PlayerFile:
        real = real_path(path)
        try:
            check_acceptable(path, os.stat(real), max_size)
            # O_NONBLOCK: should a FIFO appear between the stat and the open, the open does not hang.
            fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise SavedVariablesError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            st = os.fstat(fd)  # bytes and stat from one open file: they describe the same inode
            check_acceptable(path, st, max_size)
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read(max_size + 1)
        except OSError as exc:
            raise SavedVariablesError(f"cannot read {path}: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)
        if len(data) > max_size:
            raise SavedVariablesError(
                f"{path.name} grew past {max_size // 2**20} MB while it was read; nothing was changed")
        check_encoding(path.name, data)
        return cls(path, real, data, st)

    def still_on_disk(self, *, read: bool | None = None) -> bool:
        """Whether ``real`` is still the file we read: same device, inode, size and modification time (the
        change time is no use: a backup's hard link changes it). Where timestamps are too coarse to show
        every write (FAT's 2 s, HFS+'s 1 s: no sub-millisecond part), or with ``read=True``, the bytes are
        compared as well; ``read=False`` never reads."""
        try:
            now = self.real.stat()
            if identity(now) != identity(self.stat):
                return False
            if read is None:
                read = self.stat.st_mtime_ns % 1_000_000 == 0
            return not read or self.real.read_bytes() == self.data
        except OSError:
            return False


def identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

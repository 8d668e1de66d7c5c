"""Unpacking a release archive (tar.gz or zip) into an empty folder, checked before any byte is written.

Every member is listed and checked first (``update/archive.py``: no ``..``, no absolute path, no link out
of the folder, nothing below a link, bounded sizes); only then are folders made, files written (each
created new, never through a link, never more than its stated size) and links made, by this code, not
by ``extractall``. Any failure leaves the destination for the caller to remove (it is a staging folder).
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tsmsyncd.errors import UpdateError
from tsmsyncd.update.archive import Kind, Member, check_members

__all__ = ["list_members", "unpack"]

CHUNK = 1 << 16
Opener = Callable[[Member], IO[bytes]]


def _tar_member(info: tarfile.TarInfo) -> Member:
    if info.isdir():
        kind = Kind.DIR
    elif info.isreg():
        kind = Kind.FILE
    elif info.issym():
        kind = Kind.SYMLINK
    elif info.islnk():
        kind = Kind.HARDLINK
    else:
        kind = Kind.OTHER
    return Member(info.name, kind, info.size if kind is Kind.FILE else 0, info.linkname,
                  bool(info.mode & 0o111))


def _zip_member(info: zipfile.ZipInfo, link: Callable[[zipfile.ZipInfo], str]) -> Member:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return Member(info.filename, Kind.SYMLINK, 0, link(info))
    if info.is_dir():
        return Member(info.filename, Kind.DIR)
    if mode and not stat.S_ISREG(mode):
        return Member(info.filename, Kind.OTHER)
    return Member(info.filename, Kind.FILE, info.file_size, "", bool(mode & 0o111))


@contextmanager
def _open(archive: Path, fmt: str) -> Iterator[tuple[list[Member], Opener]]:
    """The archive's members and a way to read each file member's bytes."""
    try:
        if fmt == "tar.gz":
            with tarfile.open(archive, "r:gz") as tar:
                tar_infos = tar.getmembers()
                by_name = {i.name: i for i in tar_infos}

                def read_tar(m: Member) -> IO[bytes]:
                    stream = tar.extractfile(by_name[m.name])
                    if stream is None:
                        raise UpdateError("archive", f"the release archive's member {m.name!r} cannot be read")
                    return stream

                yield [_tar_member(i) for i in tar_infos], read_tar
        elif fmt == "zip":
            with zipfile.ZipFile(archive) as zf:
                zip_infos = zf.infolist()
                by_zip = {i.filename: i for i in zip_infos}

                def link_of(info: zipfile.ZipInfo) -> str:
                    return zf.read(info)[:4096].decode("utf-8", "replace")

                yield [_zip_member(i, link_of) for i in zip_infos], lambda m: zf.open(by_zip[m.name])
        else:
            raise UpdateError("archive", f"{fmt!r} is not an archive format tsmsyncd unpacks (tar.gz, zip)")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # the disk, not the archive: the caller says so
        raise UpdateError("archive", f"the release archive is not a valid {fmt} ({exc}); nothing was unpacked") \
            from exc


def list_members(archive: Path, fmt: str) -> list[Member]:
    """The archive's members, checked (``update/archive.py``)."""
    with _open(archive, fmt) as (members, _):
        return check_members(members)


def unpack(archive: Path, fmt: str, dest: Path) -> Path:
    """Unpack the checked archive into the empty folder ``dest``; returns ``dest / "tsmsyncd"``."""
    with _open(archive, fmt) as (members, read):
        checked = check_members(members)
        for member in checked:
            target = dest.joinpath(*member.path.split("/"))
            if member.kind is Kind.DIR:
                target.mkdir(parents=True, exist_ok=True)
            elif member.kind is Kind.FILE:
                target.parent.mkdir(parents=True, exist_ok=True)
                with read(member) as source:
                    _write(target, source, member)
            elif member.kind is Kind.SYMLINK:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(member.link, target)
    return dest / checked[0].path.split("/")[0]


def _write(target: Path, source: IO[bytes], member: Member) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(target, flags, 0o755 if member.executable else 0o644)
    left = member.size
    with os.fdopen(fd, "wb") as out:
        while True:
            chunk = source.read(min(CHUNK, left + 1))
            if not chunk:
                break
            left -= len(chunk)
            if left < 0:
                raise UpdateError("archive", f"the release archive's member {member.name!r} is larger than it says; "
                                             "nothing was installed")
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())

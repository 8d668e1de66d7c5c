"""Which members of a release archive may be unpacked: pure (a list of members in, the checked list out).

A release archive (tar.gz or zip) holds one folder, ``tsmsyncd/``: the one-folder app. Even a signed
archive is checked member by member before a single byte is written, because unpacking is where a
mistake becomes a file outside the bundle (zip-slip):

- names are relative POSIX paths inside ``tsmsyncd/``: no absolute path, drive letter or UNC name, no
  backslash, no ``..``, no empty part, no NUL; no name twice (also not twice when case is ignored, as on
  Windows and macOS);
- only folders, regular files and symbolic links; a link must stay inside the folder when resolved the way
  the file system will resolve it, through the archive's other links; nothing is unpacked below a link;
- at most ``MAX_MEMBERS`` members and ``MAX_TOTAL_BYTES`` in all (a zip bomb claims small, unpacks huge:
  the unpacker also stops at each member's stated size);
- the folder holds the program: ``tsmsyncd/tsmsyncd`` or ``tsmsyncd/tsmsyncd.exe``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tsmsyncd.errors import UpdateError

__all__ = ["MAX_MEMBERS", "MAX_TOTAL_BYTES", "TOP", "Kind", "Member", "check_members"]

TOP = "tsmsyncd"
PROGRAMS = ("tsmsyncd", "tsmsyncd.exe")
MAX_MEMBERS = 50_000
MAX_TOTAL_BYTES = 2 * 2**30
MAX_LINK_DEPTH = 40  # as Linux's own limit on nested links
_DRIVE = re.compile(r"[A-Za-z]:")


class Kind(StrEnum):
    DIR = "dir"
    FILE = "file"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    OTHER = "other"  # a device, a FIFO, anything else


@dataclass(frozen=True)
class Member:
    name: str  # as the archive spells it
    kind: Kind
    size: int = 0
    link: str = ""  # a link's target, as stored
    executable: bool = False

    @property
    def path(self) -> str:
        """The checked name: no leading ``./``, no trailing ``/``."""
        name = self.name
        while name.startswith("./"):
            name = name[2:]
        return name.rstrip("/")


def _refuse(member: str, why: str) -> UpdateError:
    return UpdateError("archive", f"the release archive's member {member!r} {why}; nothing was unpacked")


def _parts(name: str, label: str) -> list[str]:
    if "\x00" in name or "\\" in name:
        raise _refuse(label, "has a backslash or NUL in its name")
    if name.startswith("/") or _DRIVE.match(name):
        raise _refuse(label, "is an absolute path")
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise _refuse(label, "leaves its folder (.. or an empty part in its path)")
    return parts


def check_members(members: Sequence[Member], top: str = TOP) -> list[Member]:
    """The members in unpacking order (folders first), or an ``UpdateError`` naming the first bad one."""
    if len(members) > MAX_MEMBERS:
        raise UpdateError("archive", f"the release archive has {len(members):,} members (at most {MAX_MEMBERS:,}); "
                                     "refused")
    total = sum(max(m.size, 0) for m in members)
    if total > MAX_TOTAL_BYTES:
        raise UpdateError("archive", f"the release archive unpacks to {total:,} bytes (at most {MAX_TOTAL_BYTES:,}); "
                                     "refused")
    seen: dict[str, Member] = {}
    folded: set[str] = set()
    for member in members:
        path = member.path
        parts = _parts(path, member.name)
        if parts[0] != top:
            raise _refuse(member.name, f"is outside the {top}/ folder a release holds")
        if member.kind in (Kind.HARDLINK, Kind.OTHER):
            raise _refuse(member.name, f"is a {'hard link' if member.kind is Kind.HARDLINK else 'device or FIFO'}, "
                                       "which a release never holds")
        if path in seen or path.casefold() in folded:
            raise _refuse(member.name, "appears twice")
        seen[path] = member
        folded.add(path.casefold())
    links = {path: m for path, m in seen.items() if m.kind is Kind.SYMLINK}
    for path, member in seen.items():
        ancestors = ["/".join(path.split("/")[:i]) for i in range(1, path.count("/") + 1)]
        if any(a in links for a in ancestors):
            raise _refuse(member.name, "lies below a symbolic link")
        if member.kind is Kind.SYMLINK:
            _check_link(path, member, links, top)
    if not any(f"{top}/{p}" in seen and seen[f"{top}/{p}"].kind is Kind.FILE for p in PROGRAMS):
        raise UpdateError("archive", f"the release archive has no {top}/{PROGRAMS[0]} program in it; refused")
    return sorted(seen.values(), key=lambda m: (m.kind is not Kind.DIR, m.path.count("/"), m.path))


def _check_link(path: str, member: Member, links: dict[str, Member], top: str) -> None:
    target = member.link
    if not target or "\x00" in target or "\\" in target:
        raise _refuse(member.name, "is a link with an empty or odd target")
    if target.startswith("/") or _DRIVE.match(target):
        raise _refuse(member.name, f"links to the absolute path {target!r}")
    resolved = _resolve(posixpath.dirname(path).split("/"), target.split("/"), links, 0, member.name)
    if not resolved or resolved[0] != top:
        raise _refuse(member.name, f"links to {target!r}, outside the {top}/ folder")


def _resolve(base: list[str], steps: list[str], links: dict[str, Member], depth: int, label: str) -> list[str]:
    """Walk ``steps`` from ``base`` as the file system would: ``..`` goes up from where a link led, not
    from its name. Leaving the archive's root is returned as an empty path."""
    if depth > MAX_LINK_DEPTH:
        raise _refuse(label, "is a chain of links that does not end")
    where = list(base)
    for step in steps:
        if step in ("", "."):
            continue
        if step == "..":
            if not where:
                return []
            where.pop()
            continue
        where.append(step)
        link = links.get("/".join(where))
        if link is not None:
            if link.link.startswith("/") or _DRIVE.match(link.link):
                return []
            where = _resolve(where[:-1], link.link.split("/"), links, depth + 1, label)
            if not where:
                return []
    return where

"""One backup folder's ``manifest.json``: its entries, checked field by field, and what to do when it is
damaged or when a killed process left files behind.

The manifest is the store's index; the backup files are the data. So a manifest that cannot be read, or
holds an entry of the wrong shape, never blocks merges and backups: it is set aside (renamed, kept), a
new one is rebuilt from the backup files that still verify (a backup's id carries when, why and the
first 8 hex digits of its sha256, so each file can prove what it is), files that do not verify are moved
to ``damaged/`` (kept), and the player is told (``Rebuilt.notice``). Pins and notes lived only in the
manifest and cannot be recovered; the notice says so.

Leftovers of a killed process: a merge's speculative backup is written as ``.<id>.lua.pending-<pid>``
and becomes ``<id>.lua`` only once the manifest lists it, so a kill never leaves an unlisted backup file
that looks real. ``sweep`` (run under the folder's lock) removes pending files of processes that are
gone — or completes them, when the manifest already lists them — and any unlisted backup file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.store.atomic import TEMP_SUFFIX, fsync_dir, write_atomic

__all__ = [
    "ID_PATTERN", "MANIFEST", "REASONS", "Backup", "BackupReason", "ManifestError", "Rebuilt", "compress",
    "decompress", "load_entries", "pending_name", "rebuild", "save_entries", "sweep",
]

class BackupReason(StrEnum):
    BEFORE_MERGE = "before-merge"
    SCHEDULED = "scheduled"
    BEFORE_RESTORE = "before-restore"
    MANUAL = "manual"


REASONS = tuple(str(r) for r in BackupReason)
MANIFEST = "manifest.json"
DAMAGED = "damaged"
# Ids are made here and only ever matched whole, so nothing like "../x" can reach a path.
ID_PATTERN = re.compile(r"^([0-9]{8}T[0-9]{12}Z)-(" + "|".join(REASONS) + r")-([0-9a-f]{8})$")
_FILE = re.compile(r"^(?P<id>[0-9]{8}T[0-9]{12}Z-[a-z-]+-[0-9a-f]{8})\.lua(?P<zst>\.zst)?$")
_PENDING = re.compile(r"^\.(?P<name>[0-9]{8}T[0-9]{12}Z-[a-z-]+-[0-9a-f]{8}\.lua(?:\.zst)?)\.pending-(?P<pid>[0-9]+)$")
MAX_REBUILD_SIZE = 512 * 2**20


@dataclass(frozen=True)
class Backup:
    id: str
    file: str  # the copy inside the store folder: "<id>.lua.zst", or "<id>.lua" (a hard link, not yet compacted)
    created: str  # ISO 8601 UTC
    reason: str
    size: int
    sha256: str
    app_version: str
    source: str  # the SavedVariables path it was taken from
    pinned: bool = False
    note: str | None = None

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.created)

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "compressed": self.file.endswith(".zst")}


class ManifestError(Exception):
    """The manifest cannot be used as it is; ``str()`` says why (for the notice)."""


_TYPES = {f.name: f.type for f in fields(Backup)}
_REQUIRED = ("id", "file", "created", "reason", "size", "sha256", "app_version", "source")


def _entry(raw: object, index: int) -> Backup:
    """One manifest entry, every field checked; ManifestError naming the entry and field otherwise."""
    where = f"entry {index + 1}"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where} is not an object")
    unknown = sorted(set(raw) - set(_TYPES))
    missing = [k for k in _REQUIRED if k not in raw]
    if unknown or missing:
        raise ManifestError(f"{where}: {'unknown field ' + unknown[0] if unknown else 'no ' + missing[0]}")
    for name in ("id", "file", "created", "reason", "sha256", "app_version", "source"):
        if not isinstance(raw[name], str):
            raise ManifestError(f"{where}: {name} is not text")
    if not ID_PATTERN.match(raw["id"]) or raw["file"] not in (f"{raw['id']}.lua", f"{raw['id']}.lua.zst"):
        raise ManifestError(f"{where}: id/file {raw['id']!r}/{raw['file']!r} are not a backup's")
    if type(raw["size"]) is not int or raw["size"] < 0 or not re.fullmatch(r"[0-9a-f]{64}", raw["sha256"]):
        raise ManifestError(f"{where}: size or sha256 is malformed")
    if not isinstance(raw.get("pinned", False), bool) or not isinstance(raw.get("note"), (str, type(None))):
        raise ManifestError(f"{where}: pinned or note has the wrong type")
    try:
        datetime.fromisoformat(raw["created"])
    except ValueError as exc:
        raise ManifestError(f"{where}: created is not a date") from exc
    return Backup(**raw)


def load_entries(folder: Path) -> list[Backup] | None:
    """The manifest's entries (None when there is none). ManifestError when it is damaged."""
    try:
        raw = (folder / MANIFEST).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestError(f"it cannot be read ({exc.strerror or exc})") from exc
    try:
        entries = parse(raw)
    except JsonDocError as exc:
        raise ManifestError(f"it {exc.reason}") from exc
    if not isinstance(entries, list):
        raise ManifestError("it is not a list of backups")
    backups = [_entry(e, i) for i, e in enumerate(entries)]
    if len({b.id for b in backups}) != len(backups):
        raise ManifestError("it lists a backup twice")
    return backups


def save_entries(folder: Path, backups: Iterable[Backup]) -> None:
    write_atomic(folder / MANIFEST, json.dumps([asdict(b) for b in backups], indent=1).encode("utf-8"))
    fsync_dir(folder)


@dataclass(frozen=True)
class Rebuilt:
    backups: list[Backup]
    notice: str


def rebuild(folder: Path, source: Path, why: str, now: datetime) -> Rebuilt:
    """Set the damaged manifest aside and write a new one from the backup files that verify."""
    aside = folder / f"{MANIFEST}.damaged-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    if (folder / MANIFEST).exists():
        os.replace(folder / MANIFEST, aside)
    found: dict[str, Backup] = {}
    damaged = 0
    for path in sorted(folder.iterdir()):
        m = _FILE.match(path.name)
        if not m or not path.is_file():
            continue
        backup = _verify_file(path, m["id"], str(source))
        if backup is None:
            (folder / DAMAGED).mkdir(exist_ok=True)
            os.replace(path, folder / DAMAGED / path.name)
            damaged += 1
        elif backup.id not in found or backup.file.endswith(".zst"):
            found[backup.id] = backup
    backups = sorted(found.values(), key=lambda b: (b.created, b.id))
    for b in backups:  # a compacted copy and its uncompressed twin: keep one
        twin = folder / (f"{b.id}.lua" if b.file.endswith(".zst") else f"{b.id}.lua.zst")
        twin.unlink(missing_ok=True)
    save_entries(folder, backups)
    kept = f"kept as {aside.name}" if aside.exists() else "gone"
    extra = f"; {damaged} file(s) that do not verify were moved to {DAMAGED}/" if damaged else ""
    notice = (f"the backup list {folder / MANIFEST} was damaged ({why}); the old one is {kept} and a new one was "
              f"rebuilt from the {len(backups)} backup file(s) that verify (pins and notes could not be recovered)"
              f"{extra}")
    return Rebuilt(backups, notice)


def _verify_file(path: Path, backup_id: str, source: str) -> Backup | None:
    m = ID_PATTERN.match(backup_id)
    if m is None:
        return None
    try:
        raw = path.read_bytes()
        data = raw if path.name.endswith(".lua") else decompress(raw, MAX_REBUILD_SIZE)
    except (OSError, ValueError):
        return None
    sha = hashlib.sha256(data).hexdigest()
    if sha[:8] != m[3]:
        return None
    created = datetime.strptime(m[1], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    return Backup(backup_id, path.name, created.isoformat(timespec="microseconds"), m[2], len(data), sha,
                  "unknown", source)


def compress(data: bytes) -> bytes:
    """zstd level 1: a backup is taken before every write, so speed matters more than a few percent.
    (zstandard is imported here, not at the top: a merge whose backup is a hard link never needs it.)"""
    import zstandard

    return zstandard.ZstdCompressor(level=1).compress(data)


def decompress(raw: bytes, limit: int) -> bytes:
    """The bytes of a compressed copy, at most ``limit``; ValueError when they are not zstd."""
    import zstandard

    try:
        return zstandard.ZstdDecompressor().decompress(raw, max_output_size=limit)
    except zstandard.ZstdError as exc:
        raise ValueError(f"not a zstd copy ({exc})") from exc


def _alive(pid: int) -> bool:
    import psutil

    return bool(psutil.pid_exists(pid))


def pending_name(final: str, pid: int | None = None) -> str:
    """The name a backup file has while nobody lists it yet: hidden, and owned by this process."""
    return f".{final}.pending-{os.getpid() if pid is None else pid}"


def sweep(folder: Path, listed: Iterable[Backup]) -> bool:
    """Remove what killed processes left (call with the folder's lock held); True if the listed files
    changed (a pending file was completed)."""
    files = {b.file for b in listed}
    completed = False
    for path in list(folder.iterdir()):
        pending = _PENDING.match(path.name)
        if pending:
            if _alive(int(pending["pid"])):
                continue  # a process (this one included) is still working on it
            if pending["name"] in files and not (folder / pending["name"]).exists():
                os.replace(path, folder / pending["name"])  # listed, then killed before the rename
                completed = True
            else:
                path.unlink(missing_ok=True)
        elif _FILE.match(path.name) and path.name not in files:
            path.unlink(missing_ok=True)  # pruned but not deleted, or compressed but not yet listed
        elif path.name.endswith(TEMP_SUFFIX):
            path.unlink(missing_ok=True)  # a write of ours killed half-way: nobody else writes here unlocked
    if completed:
        fsync_dir(folder)
    return completed

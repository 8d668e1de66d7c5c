"""The backup store: a compressed, checksummed copy of a SavedVariables file before every write.

One folder per SavedVariables file, named after the file and a hash of its resolved path, holding
zstandard-compressed copies (level 1: on a 50 MB file 3x faster than zlib's fastest level and a quarter
of the size) and a ``manifest.json`` with one entry per copy: when, why, the original size and sha256, and the
app version. A backup is durable (fsynced, manifest written atomically) before the merge that needs it
may replace the live file.

The backup a merge takes is kept uncompressed at first, so the merge waits for no compression: where the
store and the file share a volume, a hard link to the file as read (instant, no copy, and safe because
the merge then *replaces* the live file, a new inode, rather than writing into it, so the linked inode
keeps the original bytes); on another volume, or when the file changed since it was read, a plain copy
of the bytes read. ``compact()`` compresses such backups later, off the merge's path; ``read()`` checks
the sha256 either way, so a linked file that something rewrote in place is reported as damaged, never
restored. Every other backup is compressed straight away.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import zstandard

from tsmsyncd import __version__
from tsmsyncd.errors import BackupError
from tsmsyncd.sync.atomic import fsync_dir, write_atomic

__all__ = ["Backup", "BackupStore", "REASONS", "RetentionPolicy", "default_backup_root", "plan_prune"]

REASONS = ("before-merge", "scheduled", "before-restore", "manual")
MANIFEST = "manifest.json"
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
# Ids are made here and only ever matched whole, so nothing like "../x" can reach a path.
_ID = re.compile(r"^[0-9]{8}T[0-9]{12}Z-(?:" + "|".join(REASONS) + r")-[0-9a-f]{8}$")
MAX_NOTE = 200


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


@dataclass(frozen=True)
class RetentionPolicy:
    """Keep the last ``keep_last``, the newest of each day for ``daily_days`` days, every pinned one,
    and never the last remaining one."""

    keep_last: int = 20
    daily_days: int = 30


def plan_prune(backups: list[Backup], now: datetime, policy: RetentionPolicy = RetentionPolicy()) -> list[Backup]:
    """The backups the policy lets go (pure: ``now`` is given)."""
    newest_first = sorted(backups, key=lambda b: (b.created_at, b.id), reverse=True)
    keep = {b.id for b in newest_first[: max(policy.keep_last, 1)]}
    keep.update(b.id for b in backups if b.pinned)
    horizon = now - timedelta(days=policy.daily_days)
    days_seen: set[str] = set()
    for b in newest_first:
        day = b.created_at.date().isoformat()
        if b.created_at >= horizon and day not in days_seen:
            days_seen.add(day)
            keep.add(b.id)
    return [b for b in newest_first if b.id not in keep]


class BackupStore:
    """Backups for any number of SavedVariables files under one root folder."""

    def __init__(self, root: Path, policy: RetentionPolicy = RetentionPolicy()) -> None:
        self.root = root
        self.policy = policy

    def folder_for(self, savedvars: Path) -> Path:
        resolved = str(savedvars.resolve())
        digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        return self.root / f"{_SLUG.sub('_', savedvars.name)}-{digest}"

    def backups_of(self, savedvars: Path) -> list[Backup]:
        """Every backup of ``savedvars``, oldest first."""
        manifest = self.folder_for(savedvars) / MANIFEST
        try:
            entries = json.loads(manifest.read_bytes())
            backups = [Backup(**entry) for entry in entries]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError) as exc:
            raise BackupError(f"the backup manifest {manifest} cannot be read: {exc}") from exc
        return sorted(backups, key=lambda b: (b.created, b.id))

    def get(self, savedvars: Path, backup_id: str) -> Backup:
        if not isinstance(backup_id, str) or not _ID.match(backup_id):
            example = "20261125T120000123456Z-manual-1a2b3c4d"
            raise BackupError(f"{backup_id!r} is not a backup id (ids look like {example})")
        for backup in self.backups_of(savedvars):
            if backup.id == backup_id:
                return backup
        raise BackupError(f"there is no backup {backup_id} of {savedvars}")

    def create(
        self, savedvars: Path, data: bytes, reason: str, now: datetime | None = None, note: str | None = None,
        *, same_file: os.stat_result | None = None,
    ) -> Backup:
        """Store ``data`` (the bytes of ``savedvars`` as read), prune by the policy, return the entry.
        With ``same_file`` (the stat taken when ``data`` was read; a merge is waiting), keep the backup
        uncompressed for ``compact()``: a hard link to the file if it is still that very file, else a
        plain copy of ``data``."""
        if reason not in REASONS:
            raise ValueError(f"unknown backup reason {reason!r}")
        if note is not None and (len(note) > MAX_NOTE or any(ord(c) < 0x20 for c in note)):
            raise BackupError(f"a backup note is one line of at most {MAX_NOTE} characters")
        now = (now or datetime.now(UTC)).astimezone(UTC)
        sha = hashlib.sha256(data).hexdigest()
        backup_id = f"{now:%Y%m%dT%H%M%S%fZ}-{reason}-{sha[:8]}"
        folder = self.folder_for(savedvars)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupError(f"could not create the backup folder {folder}: {exc.strerror or exc}") from exc
        linked = same_file is not None and _link(savedvars, folder / f"{backup_id}.lua", same_file, len(data))
        later = same_file is not None  # a merge is waiting: compress later (compact), off its path
        entry = Backup(backup_id, f"{backup_id}.lua" if later else f"{backup_id}.lua.zst",
                       now.isoformat(timespec="microseconds"), reason, len(data), sha, __version__,
                       str(savedvars.resolve()), note=note)
        try:
            if later and not linked:
                write_atomic(folder / entry.file, data)  # no link possible: a plain copy, no CPU spent compressing
            elif not later:
                # Level 1: a backup is taken before every write, so speed matters more than a few percent.
                write_atomic(folder / entry.file, zstandard.ZstdCompressor(level=1).compress(data))
            self._save(savedvars, [*self.backups_of(savedvars), entry])
        except (OSError, BackupError) as exc:
            (folder / entry.file).unlink(missing_ok=True)
            if isinstance(exc, BackupError):
                raise
            raise BackupError(
                f"could not write a backup to {folder}: {exc.strerror or exc}; nothing was changed"
            ) from exc
        self.prune(savedvars, now=now)
        return entry

    def create_if_changed(self, savedvars: Path, data: bytes, now: datetime | None = None) -> Backup | None:
        """A scheduled backup: only when the file differs from the newest backup."""
        backups = self.backups_of(savedvars)
        if backups and backups[-1].sha256 == hashlib.sha256(data).hexdigest():
            return None
        return self.create(savedvars, data, "scheduled", now)

    def set_pinned(self, savedvars: Path, backup_id: str, pinned: bool) -> Backup:
        target = self.get(savedvars, backup_id)
        updated = replace(target, pinned=pinned)
        self._save(savedvars, [updated if b.id == target.id else b for b in self.backups_of(savedvars)])
        return updated

    def prune(self, savedvars: Path, now: datetime | None = None, dry_run: bool = False) -> list[Backup]:
        """Remove what the retention policy lets go; return those backups."""
        backups = self.backups_of(savedvars)
        doomed = plan_prune(backups, (now or datetime.now(UTC)).astimezone(UTC), self.policy)
        if doomed and not dry_run:
            gone = {b.id for b in doomed}
            self._save(savedvars, [b for b in backups if b.id not in gone])  # manifest first: never points at nothing
            folder = self.folder_for(savedvars)
            for b in doomed:
                try:
                    (folder / b.file).unlink(missing_ok=True)
                except OSError:
                    pass  # an orphaned copy wastes space but misleads nobody: the manifest no longer lists it
        return doomed

    def discard(self, savedvars: Path, backup: Backup) -> None:
        """Remove a backup that turned out not to be needed (the merge wrote nothing)."""
        self._save(savedvars, [b for b in self.backups_of(savedvars) if b.id != backup.id])
        try:
            (self.folder_for(savedvars) / backup.file).unlink(missing_ok=True)
        except OSError as exc:
            raise BackupError(f"could not remove backup {backup.id}: {exc.strerror or exc}") from exc

    def compact(self, savedvars: Path) -> int:
        """Compress the backups kept as hard links; return how many. One whose bytes no longer match its
        checksum is left exactly as it is (``read`` reports it as damaged)."""
        folder, done = self.folder_for(savedvars), 0
        for backup in self.backups_of(savedvars):
            if backup.file != f"{backup.id}.lua":
                continue
            try:
                data = self.read(savedvars, backup)
                write_atomic(folder / f"{backup.id}.lua.zst", zstandard.ZstdCompressor(level=1).compress(data))
            except (OSError, BackupError):
                continue
            packed = replace(backup, file=f"{backup.id}.lua.zst")
            self._save(savedvars, [packed if b.id == backup.id else b for b in self.backups_of(savedvars)])
            (folder / backup.file).unlink(missing_ok=True)
            done += 1
        return done

    def read(self, savedvars: Path, backup: Backup) -> bytes:
        """The original bytes of ``backup``, checked against the manifest's size and sha256."""
        if backup.file not in (f"{backup.id}.lua", f"{backup.id}.lua.zst"):
            raise BackupError(f"backup {backup.id} names an unexpected file {backup.file!r} in the manifest")
        path = self.folder_for(savedvars) / backup.file
        try:
            raw = path.read_bytes()
            data = raw if backup.file.endswith(".lua") else zstandard.ZstdDecompressor().decompress(
                raw, max_output_size=backup.size + 1)
        except (OSError, zstandard.ZstdError) as exc:
            raise BackupError(f"backup {backup.id} cannot be read ({exc}); it is damaged or missing") from exc
        if len(data) != backup.size or hashlib.sha256(data).hexdigest() != backup.sha256:
            raise BackupError(f"backup {backup.id} is damaged: its checksum does not match the manifest")
        return data

    def _save(self, savedvars: Path, backups: list[Backup]) -> None:
        folder = self.folder_for(savedvars)
        try:
            write_atomic(folder / MANIFEST, json.dumps([asdict(b) for b in backups], indent=1).encode("utf-8"))
            fsync_dir(folder)
        except OSError as exc:
            raise BackupError(
                f"could not update the backup manifest in {folder}: {exc.strerror or exc}; nothing was changed"
            ) from exc


def _link(source: Path, target: Path, expected: os.stat_result, size: int) -> bool:
    """Hard-link ``source`` as ``target`` and make the link durable, if ``source`` is still the file
    ``expected`` describes; False (and nothing left behind) when that cannot be done."""
    try:
        os.link(source, target)
    except OSError:
        return False  # another volume, no hard links on this filesystem, no permission: compress instead
    try:
        now = os.stat(target)
        same = (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) == (
            expected.st_dev, expected.st_ino, size, expected.st_mtime_ns)
        if same:
            # The bytes may still sit in the page cache only (the game wrote them moments ago).
            fd = os.open(target, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            fsync_dir(target.parent)
            return True
    except OSError:
        pass
    target.unlink(missing_ok=True)
    return False


def default_backup_root(data_dir: Path) -> Path:
    return data_dir / "backups"

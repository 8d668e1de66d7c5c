"""The backup store: a compressed, checksummed copy of a SavedVariables file before every write.

One folder per SavedVariables file, named after the file and a hash of its resolved path, holding
zstandard-compressed copies (level 1: on a 50 MB file 3x faster than zlib's fastest level and a quarter
of the size) and a ``manifest.json`` with one entry per copy (``store/manifest.py``): when, why, the
original size and sha256, and the app version. A backup is durable (fsynced, listed in the manifest)
before the merge that needs it may replace the live file.

A merge's backup is *speculative* until the merge knows it will write (``begin`` → ``PendingBackup``):
it is kept uncompressed so the merge waits for no compression — where the store and the file share a
volume, a hard link to the file as read (instant, and safe because the merge then *replaces* the live
file, a new inode, so the linked inode keeps the original bytes); on another volume, or when the file
changed since it was read, a plain copy of the bytes read. It is listed only when committed, right
before the replace; a refused or failed merge discards it, and it never prunes anything, so refusals
cannot push real backups out of retention. ``compact()`` compresses such backups later, off the merge's
path; ``read()`` checks the sha256 either way, so a linked file something rewrote in place is reported
as damaged, never restored. Every other backup is compressed straight away.

Every change to a folder happens under that folder's lock (``<root>/.locks/``), so the daemon and a CLI
command working on the same file never lose each other's entries.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tsmsyncd import __version__
from tsmsyncd.errors import BackupError, NotFoundError
from tsmsyncd.store.atomic import fsync_dir, write_atomic
from tsmsyncd.store.locks import FileLock, LockTimeout
from tsmsyncd.store.manifest import (
    ID_PATTERN,
    REASONS,
    Backup,
    ManifestError,
    compress,
    decompress,
    load_entries,
    pending_name,
    rebuild,
    save_entries,
    sweep,
)

__all__ = [
    "Backup", "BackupStore", "PendingBackup", "REASONS", "RetentionPolicy", "default_backup_root", "plan_prune",
]

_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NOTE = 200
LOCK_TIMEOUT = 60.0


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
    """Backups for any number of SavedVariables files under one root folder. ``notices`` collects what
    the player should be told though nothing failed (a damaged manifest that was rebuilt)."""

    def __init__(self, root: Path, policy: RetentionPolicy = RetentionPolicy()) -> None:
        self.root = root
        self.policy = policy
        self.notices: list[str] = []

    def folder_for(self, savedvars: Path) -> Path:
        resolved = str(savedvars.resolve())
        digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        return self.root / f"{_SLUG.sub('_', savedvars.name)}-{digest}"

    def path_of(self, savedvars: Path, backup: Backup) -> Path:
        """Where the backup's copy is now."""
        return self.folder_for(savedvars) / backup.file

    def exists(self, savedvars: Path, backup: Backup) -> bool:
        return self.path_of(savedvars, backup).is_file()

    @contextmanager
    def _locked(self, savedvars: Path) -> Iterator[Path]:
        """Hold the folder's lock (kept outside the folder, so the folder holds only backups)."""
        folder = self.folder_for(savedvars)
        locks = self.root / ".locks"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            locks.mkdir(exist_ok=True)
            lock = FileLock(locks / f"{folder.name}.lock", timeout=LOCK_TIMEOUT)
            lock.acquire()
        except LockTimeout as exc:
            raise BackupError(f"the backups of {savedvars.name} are busy (another tsmsyncd is writing them); "
                              "try again in a minute") from exc
        except OSError as exc:
            raise BackupError(f"could not use the backup folder {folder}: {exc.strerror or exc}") from exc
        try:
            yield folder
        finally:
            lock.release()

    def backups_of(self, savedvars: Path) -> list[Backup]:
        """Every backup of ``savedvars``, oldest first. A damaged manifest is rebuilt (see ``notices``);
        leftovers of killed processes are swept."""
        folder = self.folder_for(savedvars)
        try:
            listed = load_entries(folder)
            if listed is not None and not _has_leftovers(folder):
                return sorted(listed, key=lambda b: (b.created, b.id))
            if listed is None and not folder.is_dir():
                return []
        except ManifestError:
            pass
        with self._locked(savedvars):
            return self._entries(savedvars)

    def _entries(self, savedvars: Path) -> list[Backup]:
        """The manifest's entries, repaired if needed; call with the lock held."""
        folder = self.folder_for(savedvars)
        try:
            listed = load_entries(folder) or []
        except ManifestError as exc:
            try:
                rebuilt = rebuild(folder, savedvars.resolve(), str(exc), datetime.now(UTC))
            except OSError as err:
                raise BackupError(f"the backup list in {folder} is damaged ({exc}) and could not be rebuilt: "
                                  f"{err.strerror or err}") from err
            self.notices.append(rebuilt.notice)
            listed = rebuilt.backups
        try:
            sweep(folder, listed)
        except OSError:
            pass  # leftovers cost space, not safety; the next sweep tries again
        return sorted(listed, key=lambda b: (b.created, b.id))

    def get(self, savedvars: Path, backup_id: str) -> Backup:
        if not isinstance(backup_id, str) or not ID_PATTERN.match(backup_id):
            example = "20261125T120000123456Z-manual-1a2b3c4d"
            raise NotFoundError(f"{backup_id!r} is not a backup id (ids look like {example})")
        for backup in self.backups_of(savedvars):
            if backup.id == backup_id:
                return backup
        raise NotFoundError(f"there is no backup {backup_id} of {savedvars}")

    def create(
        self, savedvars: Path, data: bytes, reason: str, now: datetime | None = None, note: str | None = None,
        *, same_file: os.stat_result | None = None,
    ) -> Backup:
        """Store ``data`` (the bytes of ``savedvars`` as read), prune by the policy, return the entry.
        With ``same_file`` (the stat taken when ``data`` was read) the copy is kept uncompressed for
        ``compact()``: a hard link if the file is still that very file, else a plain copy."""
        pending = self.begin(savedvars, data, reason, now, note, same_file=same_file)
        made = pending.commit()
        self.prune(savedvars, now=now)
        return made

    def begin(
        self, savedvars: Path, data: bytes, reason: str = "before-merge", now: datetime | None = None,
        note: str | None = None, *, same_file: os.stat_result | None = None,
    ) -> PendingBackup:
        """Make the copy, unlisted: a merge's backup before it knows it will write."""
        if reason not in REASONS:
            raise ValueError(f"unknown backup reason {reason!r}")
        if note is not None and (len(note) > MAX_NOTE or any(ord(c) < 0x20 for c in note)):
            raise BackupError(f"a backup note is one line of at most {MAX_NOTE} characters")
        now = (now or datetime.now(UTC)).astimezone(UTC)
        sha = hashlib.sha256(data).hexdigest()
        backup_id = f"{now:%Y%m%dT%H%M%S%fZ}-{reason}-{sha[:8]}"
        later = same_file is not None  # a merge is waiting: compress later (compact), off its path
        entry = Backup(backup_id, f"{backup_id}.lua" if later else f"{backup_id}.lua.zst",
                       now.isoformat(timespec="microseconds"), reason, len(data), sha, __version__,
                       str(savedvars.resolve()), note=note)
        folder = self.folder_for(savedvars)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupError(f"could not create the backup folder {folder}: {exc.strerror or exc}") from exc
        hidden = folder / pending_name(entry.file)
        try:
            linked = same_file is not None and _link(savedvars.resolve(), hidden, same_file, len(data))
            if not linked:
                # Level 1: a backup is taken before every write, so speed matters more than a few percent.
                write_atomic(hidden, data if later else compress(data))
        except OSError as exc:
            hidden.unlink(missing_ok=True)
            raise BackupError(
                f"could not write a backup to {folder}: {exc.strerror or exc}; nothing was changed") from exc
        return PendingBackup(self, savedvars, entry, hidden)

    def create_if_changed(self, savedvars: Path, data: bytes, now: datetime | None = None) -> Backup | None:
        """A scheduled backup: only when the file differs from the newest backup."""
        backups = self.backups_of(savedvars)
        if backups and backups[-1].sha256 == hashlib.sha256(data).hexdigest():
            return None
        return self.create(savedvars, data, "scheduled", now)

    def set_pinned(self, savedvars: Path, backup_id: str, pinned: bool) -> Backup:
        target = self.get(savedvars, backup_id)
        updated = replace(target, pinned=pinned)
        with self._locked(savedvars) as folder:
            self._save(folder, [updated if b.id == target.id else b for b in self._entries(savedvars)])
        return updated

    def prune(self, savedvars: Path, now: datetime | None = None, dry_run: bool = False) -> list[Backup]:
        """Remove what the retention policy lets go; return those backups."""
        if dry_run:
            return plan_prune(self.backups_of(savedvars), (now or datetime.now(UTC)).astimezone(UTC), self.policy)
        with self._locked(savedvars) as folder:
            backups = self._entries(savedvars)
            doomed = plan_prune(backups, (now or datetime.now(UTC)).astimezone(UTC), self.policy)
            if doomed:
                gone = {b.id for b in doomed}
                self._save(folder, [b for b in backups if b.id not in gone])  # manifest first: never points at nothing
                for b in doomed:
                    try:
                        (folder / b.file).unlink(missing_ok=True)
                    except OSError:
                        pass  # an unlisted copy wastes space but misleads nobody; the next sweep removes it
        return doomed

    def discard(self, savedvars: Path, backup: Backup) -> None:
        """Remove a backup that turned out not to be needed (the merge wrote nothing)."""
        with self._locked(savedvars) as folder:
            self._save(folder, [b for b in self._entries(savedvars) if b.id != backup.id])
            try:
                (folder / backup.file).unlink(missing_ok=True)
            except OSError as exc:
                raise BackupError(f"could not remove backup {backup.id}: {exc.strerror or exc}") from exc

    def uncompressed(self, savedvars: Path, keep_newest: int = 0) -> list[Backup]:
        """The backups still kept uncompressed, except the newest ``keep_newest`` of them."""
        plain = [b for b in self.backups_of(savedvars) if b.file == f"{b.id}.lua"]
        return plain[: max(len(plain) - keep_newest, 0)]

    def compact(self, savedvars: Path, keep_newest: int = 0) -> int:
        """Compress the backups kept uncompressed, except the newest ``keep_newest`` of them; return how
        many. One whose bytes no longer match its checksum is left exactly as it is (``read`` reports it
        as damaged). The compression runs outside the lock; only the swap holds it."""
        done = 0
        for backup in self.uncompressed(savedvars, keep_newest):
            folder = self.folder_for(savedvars)
            hidden = folder / pending_name(f"{backup.id}.lua.zst")
            try:
                data = self.read(savedvars, backup)
                write_atomic(hidden, compress(data))
                with self._locked(savedvars):
                    current = {b.id: b for b in self._entries(savedvars)}
                    if current.get(backup.id) != backup:
                        hidden.unlink(missing_ok=True)
                        continue  # pruned, pinned or compacted by someone else meanwhile
                    os.replace(hidden, folder / f"{backup.id}.lua.zst")
                    packed = replace(backup, file=f"{backup.id}.lua.zst")
                    self._save(folder, [packed if b.id == backup.id else b for b in current.values()])
                    (folder / backup.file).unlink(missing_ok=True)
            except (OSError, BackupError):
                hidden.unlink(missing_ok=True)
                continue
            done += 1
        return done

    def read(self, savedvars: Path, backup: Backup) -> bytes:
        """The original bytes of ``backup``, checked against the manifest's size and sha256."""
        if backup.file not in (f"{backup.id}.lua", f"{backup.id}.lua.zst"):
            raise BackupError(f"backup {backup.id} names an unexpected file {backup.file!r} in the manifest")
        path = self.path_of(savedvars, backup)
        try:
            raw = path.read_bytes()
            data = raw if backup.file.endswith(".lua") else decompress(raw, backup.size + 1)
        except FileNotFoundError as exc:
            raise BackupError(f"backup {backup.id} is missing: its file {path} is gone") from exc
        except (OSError, ValueError) as exc:
            raise BackupError(f"backup {backup.id} cannot be read ({exc}); it is damaged") from exc
        if len(data) != backup.size or hashlib.sha256(data).hexdigest() != backup.sha256:
            raise BackupError(f"backup {backup.id} is damaged: its checksum does not match the manifest")
        return data

    def _save(self, folder: Path, backups: list[Backup]) -> None:
        try:
            save_entries(folder, sorted(backups, key=lambda b: (b.created, b.id)))
        except OSError as exc:
            raise BackupError(
                f"could not update the backup manifest in {folder}: {exc.strerror or exc}; nothing was changed"
            ) from exc


class PendingBackup:
    """A copy made but not yet listed. ``commit`` lists it (durably) and gives it its real name;
    ``release`` removes it unless it was committed."""

    def __init__(self, store: BackupStore, savedvars: Path, entry: Backup, hidden: Path) -> None:
        self._store, self._savedvars, self.entry, self._hidden = store, savedvars, entry, hidden
        self.committed = False

    def commit(self) -> Backup:
        if self.committed:
            return self.entry
        store = self._store
        with store._locked(self._savedvars) as folder:
            # Listed first, renamed second: a kill in between leaves a listed backup that the next sweep
            # completes, never an unlisted file that looks like a backup.
            store._save(folder, [*store._entries(self._savedvars), self.entry])
            try:
                os.replace(self._hidden, folder / self.entry.file)
                fsync_dir(folder)
            except OSError as exc:
                store._save(folder, [b for b in store._entries(self._savedvars) if b.id != self.entry.id])
                raise BackupError(f"could not keep the backup in {folder}: {exc.strerror or exc}; nothing was "
                                  "changed") from exc
        self.committed = True
        return self.entry

    def release(self) -> None:
        if not self.committed:
            self._hidden.unlink(missing_ok=True)


def _has_leftovers(folder: Path) -> bool:
    try:
        return any(p.name.startswith(".") for p in folder.iterdir())
    except OSError:
        return False


def _link(source: Path, target: Path, expected: os.stat_result, size: int) -> bool:
    """Hard-link ``source`` (a real file, never a symlink: a link to a symlink would follow the live file)
    as ``target`` and make the link durable, if ``source`` is still the file ``expected`` describes; False
    (and nothing left behind) when that cannot be done."""
    if os.link not in os.supports_follow_symlinks:  # Windows: no link that leaves a symlink alone
        return False
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        return False  # another volume, no hard links on this filesystem, no permission: copy instead
    try:
        now = os.stat(target, follow_symlinks=False)
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

"""The engine's housekeeping on a real sandbox install, built through the composition root: the hourly
backup of every target file that changed, and the daily prune and compaction (issue 12)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tsmsyncd.app import Services, open_services
from tsmsyncd.config import Settings
from tsmsyncd.demo.sandbox import Sandbox, build_sandbox


@pytest.fixture
async def house(tmp_path: Path) -> AsyncIterator[tuple[Services, Sandbox]]:
    sandbox = build_sandbox(tmp_path / "sandbox")
    environ = {"TSMSYNCD_WOW_ROOTS": str(sandbox.install)}
    async with open_services(Settings(region="us"), tmp_path / "home", environ=environ) as services:
        await services.targets.discover()
        yield services, sandbox


async def test_the_hourly_backup_copies_each_changed_file_once(house: tuple[Services, Sandbox]) -> None:
    services, sandbox = house
    files = {f.path for f in sandbox.files}
    assert await services.engine.backup_changed(services.backups) == len(files)  # one per file, not per profile
    assert await services.engine.backup_changed(services.backups) == 0  # nothing changed since
    changed = sandbox.files[0].path
    changed.write_bytes(changed.read_bytes() + b"\n-- the game wrote this at logout\n")
    assert await services.engine.backup_changed(services.backups) == 1
    newest = services.backups.backups_of(changed)[-1]
    assert newest.reason == "scheduled" and services.backups.read(changed, newest) == changed.read_bytes()


async def test_a_file_that_went_away_is_a_history_entry_not_a_failed_job(house: tuple[Services, Sandbox]) -> None:
    from tsmsyncd.db import history as history_db

    services, sandbox = house
    gone = sandbox.files[0].path
    gone.unlink()
    await services.engine.backup_changed(services.backups)  # the target is still listed as present
    entries = await services.db(history_db.entries, 10)
    assert any("scheduled backup of" in e.message and str(gone) in e.message for e in entries)


async def test_the_daily_job_compresses_every_backup_and_keeps_them_readable(
    house: tuple[Services, Sandbox]
) -> None:
    services, sandbox = house
    file = sandbox.files[0].path
    # what a merge leaves: its backup a hard link of the replaced file, compressed later, off its path
    before = services.backups.create(file, file.read_bytes(), "before-merge", same_file=file.stat())
    assert before.file.endswith(".lua")
    await services.engine.daily(services.backups)
    (after,) = services.backups.backups_of(file)
    assert after.id == before.id and after.file.endswith(".lua.zst")
    assert services.backups.read(file, after) == file.read_bytes()


async def test_an_apply_stopped_before_it_recorded_itself_is_recorded_with_its_own_backup(
    house: tuple[Services, Sandbox]
) -> None:
    """kill -9 between the file's replace and the record of it: on restart the file already holds the
    planned groups. The history says they were applied, and the undo point is that apply's own before-merge
    backup, never the backup of an older apply (which would put back stale data)."""
    import json
    from datetime import UTC, datetime, timedelta

    from tsmsyncd.db import groups as groups_db
    from tsmsyncd.db import history as history_db
    from tsmsyncd.db import targets as targets_db
    from tsmsyncd.market.sources import RealmKey
    from tsmsyncd.store.playerfile import identity
    from tsmsyncd.sync.jobs import JOBS
    from tsmsyncd.tsm.groupset import GroupSet

    services, sandbox = house
    target = next(t for t in (await services.targets.all()) if t.flavor.value == "retail")
    realm = RealmKey("us", 3678, target.flavor)
    doc = {"format": "tsmsyncd.groupset/1", "root": "TSM Sync", "operations": {},
           "groups": [{"path": ["Flips"], "items": ["i:2447", "i:765"], "operations": {}}]}
    content_hash = "h-interrupted"
    now = datetime.now(UTC)
    await services.db(groups_db.store_groupset, realm, content_hash, json.dumps(doc), "{}", now)
    # An older apply, recorded, with its own backup: the wrong undo point for the newer groups.
    await services.db(targets_db.update_target, target.id, now, last_apply={
        "backup_id": "20260101T000000000000Z-before-merge-00000000", "groupset_hash": "h-older"})
    await services.db(targets_db.set_pending, targets_db.Pending(
        target.id, content_hash, 1, str(realm), now - timedelta(seconds=5), tuple(identity(target.path.stat())),
        {}, "World of Warcraft is running"))
    # The interrupted apply: the merge replaced the file (with its backup), then the daemon died.
    outcome = services.merger.merge(target.path, GroupSet.from_json(json.dumps(doc)), [target.profile])
    assert outcome.status == "applied" and outcome.backup is not None
    merged = target.path.read_bytes()

    payload = {"target_id": target.id, "file": str(target.path), "profile": target.profile, "apply": True,
               "realm": str(realm), "adopt_root": False}
    result = await JOBS["merge"](services, payload, lambda _: None)

    assert result["status"] == "unchanged" and target.path.read_bytes() == merged
    fresh = (await services.db(targets_db.load_targets))[target.id]
    assert fresh.last_apply["backup_id"] == outcome.backup.id and fresh.last_apply["groupset_hash"] == content_hash
    assert target.id not in await services.db(targets_db.pending)
    (entry,) = [e for e in await services.db(history_db.entries, 20) if e.kind == history_db.Kind.APPLIED]
    assert "stopped before it could say so" in entry.message

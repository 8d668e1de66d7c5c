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

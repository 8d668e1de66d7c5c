"""``kill -9`` of the daemon at random moments while it applies (issue 12): the player's file is always the
old bytes or the new bytes, and after a restart the plan is still pending or applied, never lost and
never applied twice."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from daemon_harness import Daemon, Game, wait_for, warm

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.tsm.savedvars import parse_savedvars

KILLS = 20


@pytest.fixture
async def fake() -> AsyncIterator[FakeBlizzard]:
    async with FakeBlizzard(commodity_rows=1500, realm_rows=1000) as server:
        yield server


def applied_entries(home: Path, target_id: str) -> int:
    conn = sqlite3.connect(home / "tsmsyncd.db")
    try:
        return conn.execute("select count(*) from history where kind = 'applied' and target_id = ?",
                            (target_id,)).fetchone()[0]
    finally:
        conn.close()


def recent_history(home: Path, count: int = 6) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(home / "tsmsyncd.db")
    try:
        return conn.execute("select at, kind, message from history order by id desc limit ?", (count,)).fetchall()
    finally:
        conn.close()


async def state_of(daemon: Daemon, target_id: str) -> str:
    return str((await daemon.state_of(target_id))["state"])


@pytest.fixture
async def daemon(tmp_path: Path, fake: FakeBlizzard) -> AsyncIterator[Daemon]:
    d = Daemon(tmp_path, fake, quiet=0.2, watch=0.3)
    yield d
    if d.proc is not None and d.proc.returncode is None:
        d.proc.kill()
        await d.proc.wait()
    await d.close_session()


async def test_kill_9_during_applies_never_tears_the_file_nor_loses_or_repeats_the_plan(daemon: Daemon) -> None:
    await daemon.start()
    await warm(daemon)  # market data with sales, so the groups hold items
    target = next(t for t in await daemon.targets() if t["flavor"] == "retail")
    file = Path(target["file"])
    original = file.read_bytes()
    rng = random.Random(20261201)
    outcomes = {"old": 0, "new": 0}
    reference: bytes | None = None  # the merged bytes: the same groups into the same file merge the same way
    for kill in range(KILLS):
        file.write_bytes(original)
        game = Game(daemon.retail()).start()
        try:
            if daemon.proc is None or daemon.proc.returncode is not None:
                await daemon.start()
            await daemon.api("PATCH", f"/api/v1/targets/{target['id']}", {"mode": "merge"})
            try:
                await wait_for(lambda: _pending(daemon, target["id"]), 60, f"kill {kill}: pending")
            except AssertionError as exc:
                raise AssertionError(f"{exc}; the target shows {await daemon.state_of(target['id'])}") from None
            applied_before = applied_entries(daemon.home, target["id"])
        finally:
            game.stop()  # the game closes: the next watch tick starts the apply...
        await asyncio.sleep(rng.uniform(0.0, 1.5))
        assert daemon.proc is not None
        daemon.proc.send_signal(signal.SIGKILL)  # ...and the daemon dies somewhere in it
        await daemon.proc.wait()
        await daemon.close_session()
        await asyncio.sleep(0.6)  # an orphaned worker may still finish its (atomic) replace
        now = file.read_bytes()
        parse_savedvars(now, file.name)  # it loads: never a torn write
        assert now == original or reference is None or now == reference, f"kill {kill}: neither old nor new"
        outcomes["old" if now == original else "new"] += 1
        await daemon.start()
        await wait_for(lambda: _applied(daemon, target["id"]), 60, f"kill {kill}: applied after the restart")
        merged = file.read_bytes()
        assert merged != original and (reference is None or merged == reference)
        reference = merged
        assert applied_entries(daemon.home, target["id"]) - applied_before == 1, \
            f"kill {kill}: applied exactly once; history: {recent_history(daemon.home)}; " \
            f"the target shows {await daemon.state_of(target['id'])}"
    assert await daemon.stop() == 0
    print(f"kill -9 outcomes: {outcomes}")  # both are normally seen; which one depends on timing


async def _pending(daemon: Daemon, target_id: str) -> bool:
    return await state_of(daemon, target_id) == "pending"


async def _applied(daemon: Daemon, target_id: str) -> bool:
    return await state_of(daemon, target_id) == "applied"

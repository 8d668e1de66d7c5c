"""Which running clients make a plan wait (issue 12): a client of this install, from inside it or from a
folder that proves nothing, blocks; a client of another install does not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from daemon_harness import Daemon, Game, wait_for, warm

from tsmsyncd.blizzard.fake import FakeBlizzard


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    async with FakeBlizzard(commodity_rows=1500, realm_rows=1000) as fake:
        d = Daemon(tmp_path, fake)
        yield d
        if d.proc is not None and d.proc.returncode is None:
            d.proc.kill()
            await d.proc.wait()
        await d.close_session()


async def _state(daemon: Daemon, target_id: str, want: str) -> bool:
    return (await daemon.state_of(target_id))["state"] == want


@pytest.mark.parametrize("where", ["outside", "other-install"])
async def test_where_the_game_runs_from_decides_whether_the_plan_waits(daemon: Daemon, tmp_path: Path,
                                                                       where: str) -> None:
    await daemon.start()
    await warm(daemon)
    target = next(t for t in await daemon.targets() if t["flavor"] == "retail")
    if where == "outside":  # Wine and launchers can show an exe path that proves nothing: it blocks
        folder = tmp_path / "bin"
    else:  # a client of another World of Warcraft folder writes another file: it does not block
        folder = tmp_path / "Other Games" / "World of Warcraft" / "_retail_"
    folder.mkdir(parents=True)
    game = Game(folder).start()
    try:
        await daemon.api("PATCH", f"/api/v1/targets/{target['id']}", {"mode": "merge"})
        expected = "pending" if where == "outside" else "applied"
        await wait_for(lambda: _state(daemon, target["id"], expected), 60, expected)
    finally:
        game.stop()
    if where == "outside":
        await wait_for(lambda: _state(daemon, target["id"], "applied"), 30, "applied after it exits")
    await daemon.stop()


async def test_the_classic_client_holds_only_classic_files(daemon: Daemon) -> None:
    await daemon.start()
    await warm(daemon)
    targets = await daemon.targets()
    game = Game(daemon.sandbox.install / "_classic_era_", "WowClassic.exe").start()
    try:
        for t in targets:
            await daemon.api("PATCH", f"/api/v1/targets/{t['id']}", {"mode": "merge"})
        classic = next(t for t in targets if t["flavor"] == "classic-era")
        await wait_for(lambda: _state(daemon, classic["id"], "pending"), 60, "classic pending")
        for t in targets:
            if t["flavor"] == "retail":
                await wait_for(lambda t=t: _state(daemon, t["id"], "applied"), 60, "retail applied")
    finally:
        game.stop()
    await daemon.stop()


"""The daemon as a player meets it: a real ``tsmsyncd run --headless`` process, a sandbox install, the fake
Blizzard server on loopback and real ``Wow.exe`` processes (issue 12)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from daemon_harness import SECRET, Daemon, Game, changed_keys, wait_for, warm

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.tsm.savedvars import parse_savedvars


@pytest.fixture
async def fake() -> AsyncIterator[FakeBlizzard]:
    async with FakeBlizzard(commodity_rows=1500, realm_rows=1000) as server:
        yield server


@pytest.fixture
async def daemon(tmp_path: Path, fake: FakeBlizzard) -> AsyncIterator[Daemon]:
    d = Daemon(tmp_path, fake)
    yield d
    if d.proc is not None and d.proc.returncode is None:
        d.proc.kill()
        await d.proc.wait()
    await d.close_session()


def retail_targets(targets: list[dict]) -> list[dict]:
    return [t for t in targets if t["flavor"] == "retail"]


async def merge_on(daemon: Daemon, target_id: str) -> dict:
    status, body = await daemon.api("PATCH", f"/api/v1/targets/{target_id}", {"mode": "merge"})
    assert status == 200, body
    return body


async def test_pending_while_the_game_runs_applied_after_it_exits(daemon: Daemon) -> None:
    await daemon.start()
    await warm(daemon)
    target = retail_targets(await daemon.targets())[0]
    file = Path(target["file"])
    before = file.read_bytes()
    game = Game(daemon.retail()).start()
    try:
        await merge_on(daemon, target["id"])
        await wait_for(lambda: _state_is(daemon, target["id"], "pending"), 60, "the target to be pending")
        shown = await daemon.state_of(target["id"])
        assert shown["reason"].startswith("World of Warcraft is running")
        assert shown["pending"]["report"]["profiles"][0]["items_added"]
        for _ in range(6):  # the file is left exactly as it is for as long as the game runs
            await asyncio.sleep(0.5)
            assert file.read_bytes() == before
    finally:
        game.stop()
    await wait_for(lambda: _state_is(daemon, target["id"], "applied"), 30, "the apply after the game exited")
    after = file.read_bytes()
    profile = target["profile"]
    allowed = {f"p@{profile}@userData@{k}" for k in ("groups", "items", "operations")}
    assert after != before and changed_keys(before, after) <= allowed
    parse_savedvars(after, file.name)
    last = (await daemon.state_of(target["id"]))["last_apply"]
    assert last["backup_id"] and last["status"] == "applied"
    backups = list((daemon.home / "backups").glob(f"*/{last['backup_id']}.lua*"))
    assert backups, "the apply's backup exists"
    assert not heavy_libraries(daemon.proc.pid), "the daemon leaves pandas and numpy to its job processes"
    assert await daemon.stop() == 0


def heavy_libraries(pid: int) -> set[str]:
    """pandas or numpy loaded in the process: each would cost the resting daemon tens of MB (its budget is
    80 MB); the refreshes and merges that need them run in short-lived job processes."""
    maps = Path(f"/proc/{pid}/maps")
    if not maps.exists():
        pytest.skip("needs /proc")
    return {name for name in ("/numpy/", "/pandas/") if name in maps.read_text()}


async def _state_is(daemon: Daemon, target_id: str, state: str) -> bool:
    return (await daemon.state_of(target_id))["state"] == state


async def test_a_file_the_game_wrote_at_exit_is_what_gets_applied(daemon: Daemon) -> None:
    await daemon.start()
    await warm(daemon)
    target = retail_targets(await daemon.targets())[0]
    file = Path(target["file"])
    game = Game(daemon.retail()).start()
    try:
        await merge_on(daemon, target["id"])
        await wait_for(lambda: _state_is(daemon, target["id"], "pending"), 60, "pending")
        # The game saves at exit: a value only the game could have written.
        mark = b'["g@ @tsmsyncd@exitMark"] = "saved at exit",\r\n\t["_syncAccountKey"]'
        written = file.read_bytes().replace(b'["_syncAccountKey"]', mark, 1)
        assert b"saved at exit" in written
        file.write_bytes(written)
    finally:
        game.stop()
    await wait_for(lambda: _state_is(daemon, target["id"], "applied"), 30, "applied")
    after = file.read_bytes()
    assert b'"saved at exit"' in after  # the merge re-read the file: the game's last write survived
    assert changed_keys(written, after) <= {f"p@{target['profile']}@userData@{k}" for k in ("groups", "items",
                                                                                            "operations")}
    await daemon.stop()


async def test_blizzard_faults_keep_the_last_data_show_the_error_and_back_off(daemon: Daemon) -> None:
    await daemon.start()
    await warm(daemon, hours=1)
    for fault in ("500", "429", "invalid_json", "slow"):
        daemon.fake.fault(fault, count=None, delay=2.0)
    daemon.fake.advance()
    status, _ = await daemon.api("POST", "/api/v1/refresh")
    assert status == 202

    from datetime import UTC, datetime

    async def failed() -> bool:
        _, s = await daemon.api("GET", "/api/v1/status")
        return bool(s.get("last_error")) and not s["jobs_running"] and s["state"] != "refreshing"

    await wait_for(failed, 120, "the refresh to fail")

    # It backs off instead of hammering: once the failed run has planned the next one (the scheduler does
    # that after the engine's cycle has ended), that one lies ahead, not now.
    async def replanned() -> bool:
        _, s = await daemon.api("GET", "/api/v1/status")
        return s["next_refresh"] is not None and datetime.fromisoformat(s["next_refresh"]) > datetime.now(UTC)

    await wait_for(replanned, 60, "the next refresh to be planned for later")
    _, shown = await daemon.api("GET", "/api/v1/status")
    assert shown["state"] == "error" and shown["last_error"]
    history = _history(daemon.home)
    assert any(kind == "refresh.failed" for kind, _ in history)
    groups_before = len(retail_targets(await daemon.targets()))
    assert groups_before  # the targets and their last good data are all still there
    assert await daemon.stop() == 0
    tokens = {r.headers["Authorization"].split()[1] for r in daemon.fake.requests
              if r.headers.get("Authorization", "").startswith("Bearer")}
    log = daemon.log()
    assert log and SECRET not in log and not any(t in log for t in tokens)


def _history(home: Path) -> list[tuple[str, str]]:
    import sqlite3

    conn = sqlite3.connect(home / "tsmsyncd.db")
    try:
        return [(r[0], r[1]) for r in conn.execute("select kind, message from history order by id")]
    finally:
        conn.close()


async def test_one_daemon_per_data_folder_and_sigterm_exits_0_removing_daemon_json(daemon: Daemon) -> None:
    info = await daemon.start()
    second = subprocess.run([sys.executable, "-m", "tsmsyncd", "run", "--headless", "--port", "0"],
                            env=daemon.env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert f"tsmsyncd is already running for {daemon.home} (pid {info['pid']}, {info['url']})" in second.stderr
    assert (daemon.home / "daemon.json").stat().st_mode & 0o777 == 0o600
    assert await daemon.stop(signal.SIGTERM) == 0
    assert not (daemon.home / "daemon.json").exists()


async def test_the_api_needs_the_key_and_the_right_host(daemon: Daemon) -> None:
    info = await daemon.start()
    import aiohttp

    async with aiohttp.ClientSession() as s:
        async with s.get(info["url"] + "/api/v1/status") as r:
            assert r.status == 401
        async with s.get(info["url"] + "/api/v1/status", headers={"X-API-Key": info["api_key"],
                                                                "Host": "evil.com"}) as r:
            assert r.status == 403
    status, body = await daemon.api("PATCH", f"/api/v1/targets/{(await daemon.discovered())[0]['id']}",
                                    {"mode": "always"})
    assert status == 400 and body["error"]["field"] == "mode"
    await daemon.stop()


async def test_status_and_targets_commands_talk_to_the_daemon(daemon: Daemon) -> None:
    await daemon.start()
    await daemon.discovered()
    done = subprocess.run([sys.executable, "-m", "tsmsyncd", "status", "--json"], env=daemon.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["running"] is True and shown["url"] == daemon.info["url"]
    listing = subprocess.run([sys.executable, "-m", "tsmsyncd", "targets", "list", "--json"], env=daemon.env,
                             capture_output=True, text=True, timeout=60)
    targets = json.loads(listing.stdout)
    assert len(targets) == 4 and all(t["mode"] == "string" for t in targets)  # new targets: strings only
    changed = subprocess.run([sys.executable, "-m", "tsmsyncd", "targets", "set", targets[0]["id"], "--mode", "off"],
                             env=daemon.env, capture_output=True, text=True, timeout=60)
    assert changed.returncode == 0, changed.stderr
    assert (await daemon.state_of(targets[0]["id"]))["mode"] == "off"
    await daemon.stop()
    offline = subprocess.run([sys.executable, "-m", "tsmsyncd", "status"], env=daemon.env, capture_output=True,
                             text=True, timeout=60)
    assert offline.returncode == 0 and "tsmsyncd is not running" in offline.stdout


async def test_open_logs_the_browser_in_once_without_the_key_in_any_url(daemon: Daemon) -> None:
    await daemon.start()
    done = subprocess.run([sys.executable, "-m", "tsmsyncd", "open", "--print"], env=daemon.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    uri = done.stdout.strip().rsplit(" ", 1)[1]
    assert uri.startswith("file://") and daemon.info["api_key"] not in done.stdout
    page = Path(uri.removeprefix("file://"))
    assert page.stat().st_mode & 0o077 == 0  # only the player can read the one-time link
    link = re.search(r'url=([^"]+)"', page.read_text()).group(1)  # type: ignore[union-attr]
    assert link.startswith(daemon.info["url"] + "/login/") and daemon.info["api_key"] not in link
    async with aiohttp.ClientSession() as browser:
        async with browser.get(link, allow_redirects=False) as first:
            assert first.status == 302 and first.headers["Location"] == "/"
            assert "tsmsyncd-csrf=" in first.headers["Set-Cookie"] and "SameSite=Strict" in first.headers["Set-Cookie"]
        async with browser.get(link, allow_redirects=False) as again:
            assert again.status == 403  # a link works once
    await daemon.stop()
    gone = subprocess.run([sys.executable, "-m", "tsmsyncd", "open"], env=daemon.env, capture_output=True,
                          text=True, timeout=60)
    assert gone.returncode == 1 and "tsmsyncd is not running" in gone.stderr

"""A real ``tsmsyncd run --headless`` process on a sandbox install, the fake Blizzard server in the test's
own loop, and real ``Wow.exe`` processes: what the daemon tests drive."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.demo.sandbox import Sandbox, build_sandbox
from tsmsyncd.tsm.luascan import scan_global_table

SECRET = "fake-client-secret"


class Game:
    """A real process named Wow.exe (a copy of sleep) inside a flavor folder of the install."""

    def __init__(self, folder: Path, name: str = "Wow.exe") -> None:
        self.exe = folder / name
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Game:
        shutil.copy(shutil.which("sleep") or "/bin/sleep", self.exe)
        self.proc = subprocess.Popen([str(self.exe), "600"])
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Daemon:
    def __init__(self, tmp: Path, fake: FakeBlizzard, *, quiet: float = 0.5, watch: float = 0.5) -> None:
        self.home = tmp / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.sandbox: Sandbox = build_sandbox(tmp / "sandbox")
        self.fake = fake
        settings = {"region": "us", "client_id": "fake-client-id", "client_secret": SECRET,
                    "api_url": fake.api_url, "oauth_url": fake.oauth_url, "quiet_seconds": quiet,
                    "watch_seconds": watch, "update_url": "http://127.0.0.1:9/releases"}  # never the internet
        (self.home / "settings.json").write_text(json.dumps(settings))
        self.env = {**os.environ, "TSMSYNCD_HOME": str(self.home), "TSMSYNCD_WOW_ROOTS": str(self.sandbox.install)}
        self.proc: asyncio.subprocess.Process | None = None
        self.info: dict[str, Any] = {}
        self.session: aiohttp.ClientSession | None = None

    def retail(self) -> Path:
        return self.sandbox.install / "_retail_"

    async def start(self, timeout: float = 30, args: tuple[str, ...] = ()) -> dict[str, Any]:
        """``args``: more options for ``run`` (a group server's ``--host``, its TLS files)."""
        (self.home / "daemon.json").unlink(missing_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tsmsyncd", "run", "--headless", "--port", "0", *args, env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        async def ready() -> bool:
            try:
                info = json.loads((self.home / "daemon.json").read_text())
            except (OSError, ValueError):
                return False
            if info.get("pid") != self.proc.pid:  # type: ignore[union-attr]
                return False
            self.info = info
            return True
        await wait_for(ready, timeout, "the daemon to listen")
        if self.session is None:
            self.session = aiohttp.ClientSession()
        return self.info

    async def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        assert self.session is not None
        async with self.session.request(method, self.info["url"] + path, json=body,
                                        headers={"X-API-Key": self.info["api_key"]}) as resp:
            return resp.status, await resp.json(content_type=None)

    async def targets(self) -> list[dict[str, Any]]:
        status, body = await self.api("GET", "/api/v1/targets")
        assert status == 200, body
        return list(body)

    async def discovered(self, timeout: float = 60) -> list[dict[str, Any]]:
        """The targets, once the start-up discovery found them: the API listens (and ``start`` returns)
        before the engine's first discovery is done, so right after ``start`` the list may still be empty."""
        found: list[dict[str, Any]] = []

        async def any_found() -> bool:
            found[:] = await self.targets()
            return bool(found)

        await wait_for(any_found, timeout, "the start-up discovery to find the targets")
        return found

    async def state_of(self, target_id: str) -> dict[str, Any]:
        return next(t for t in await self.targets() if t["id"] == target_id)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        await self.close_session()
        return code

    async def close_session(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    def log(self) -> str:
        path = self.home / "logs" / "tsmsyncd.log"
        return path.read_text(errors="replace") if path.exists() else ""


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float, what: str, every: float = 0.2) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await check():
            return
        await asyncio.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def changed_keys(before: bytes, after: bytes) -> set[str]:
    """The top-level keys of TradeSkillMasterDB whose bytes differ; everything outside the table must be
    byte-identical (the same check the merge tests make)."""
    old, new = scan_global_table(before), scan_global_table(after)
    assert after[: new.open] == before[: old.open] and after[new.close:] == before[old.close:]
    spans_old = {f.key: before[f.start:f.value_end] for f in old.fields}
    spans_new = {f.key: after[f.start:f.value_end] for f in new.fields}
    return {k for k in spans_old.keys() | spans_new.keys() if spans_old.get(k) != spans_new.get(k)}


async def warm(daemon: Daemon, hours: int = 4) -> None:
    """Hourly snapshots, so the rules have sales to make groups from (the first pair of snapshots only learns
    each auction's deadline: market/sales.py WARM_HISTORY): refresh, and wait until that refresh
    is done (its summary differs from the one before) before the fake market moves on an hour. The market
    does not move after the last one, so later scheduled refreshes find nothing new."""
    for hour in range(hours):
        _, before = await daemon.api("GET", "/api/v1/status")
        status, _ = await daemon.api("POST", "/api/v1/refresh")
        assert status == 202

        async def refreshed(seen: object = before.get("last_refresh")) -> bool:
            _, now = await daemon.api("GET", "/api/v1/status")
            return now.get("last_refresh") not in (None, seen) and not now["jobs_running"] and \
                now["state"] != "refreshing"

        await wait_for(refreshed, 240, "a refresh")  # a bound, not a target: a loaded CI box is slow
        if hour < hours - 1:
            daemon.fake.advance()

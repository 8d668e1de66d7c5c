"""``tsmsyncd run`` as a player starts it, not headless: under a real X server (Xvfb) with a system tray
on it (``xembed_tray.py``: the freedesktop tray protocol, as a panel speaks it), on a sandbox install and
the fake Blizzard server. The icon asks the tray to dock it and sits in it, saying the state in its
tooltip; the browser (a recording ``BROWSER`` program) is handed the one-time login page; "Refresh now"
and "Quit" are pressed through the menu's own callbacks (``tray_driver.py``), "Open" by a click on the
icon; the process exits 0. Without a display, or without a tray on it, ``run`` says so in one log line and
runs headless. Every wait is for a state (a line, a window, an API answer), never for a time."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from daemon_harness import Daemon, wait_for
from xwindows import Docked, TrayHost, click, icon_windows, pixels, shown_state

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.tray.menu import IconState

DRIVER = Path(__file__).resolve().parent / "tray_driver.py"
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
async def fake() -> AsyncIterator[FakeBlizzard]:
    async with FakeBlizzard(commodity_rows=300, realm_rows=200) as server:
        yield server


class Player:
    """The daemon process, the recording browser, and what the test reads of them."""

    def __init__(self, tmp: Path, fake: FakeBlizzard, host: TrayHost | None) -> None:
        self.daemon = Daemon(tmp, fake)
        self.browser_log = tmp / "browser.log"
        browser = tmp / "browser"
        browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{self.browser_log}"\n')
        browser.chmod(0o755)
        env = {**self.daemon.env, "BROWSER": str(browser), "HOME": str(tmp / "user"),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        env.pop("WAYLAND_DISPLAY", None)
        env.pop("PYSTRAY_BACKEND", None)
        if host is None:
            env.pop("DISPLAY", None)
        else:
            env["DISPLAY"] = host.display
        self.env, self.host = env, host
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, *args: str, driver: bool = True) -> None:
        program = [str(DRIVER)] if driver else ["-m", "tsmsyncd"]
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, *program, "run", "--port", "0", *args, env=self.env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self.daemon.proc = self.proc
        home = self.daemon.home

        async def listening() -> bool:
            try:
                info = json.loads((home / "daemon.json").read_text())
            except (OSError, ValueError):
                return bool(self.proc is not None and self.proc.returncode is not None)
            self.daemon.info = info
            return info.get("pid") == self.proc.pid  # type: ignore[union-attr]

        await wait_for(listening, 60, "the daemon to listen")
        assert self.proc.returncode is None, await self.proc.stderr.read()  # type: ignore[union-attr]
        self.daemon.session = aiohttp.ClientSession()

    async def press(self, label: str) -> None:
        """What a click on the menu item does: its own callback, in the daemon's process."""
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{label}\n".encode())
        await self.proc.stdin.drain()
        answer = (await asyncio.wait_for(self.proc.stdout.readline(), 30)).decode().strip()
        assert answer == f"ok {label}", answer

    async def icon(self, tooltip: str = "") -> Docked:
        """The icon, once it asked the tray to dock it, sits in the tray's window and its tooltip starts
        with ``tooltip``."""
        host = self.host
        assert host is not None
        found: list[Docked] = []

        async def docked() -> bool:
            asked = host.docked()
            found[:] = [w for w in await asyncio.to_thread(icon_windows, host.display, host.window)
                        if w.in_tray and w.window in asked and w.title.startswith(tooltip)]
            return bool(found)

        await wait_for(docked, 60, f"the icon docked in the tray with a tooltip starting {tooltip!r}")
        return found[0]

    def pages_opened(self) -> list[str]:
        return self.browser_log.read_text().split() if self.browser_log.exists() else []

    async def exit_code(self) -> int:
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), 90)
        await self.daemon.close_session()
        return code

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        await self.daemon.close_session()

    def log(self) -> str:
        return self.daemon.log()


@pytest.fixture
async def players(tmp_path: Path, fake: FakeBlizzard) -> AsyncIterator[list[Player]]:
    made: list[Player] = []
    yield made
    for player in made:
        await player.kill()


async def last_refresh(daemon: Daemon) -> Any:
    status, body = await daemon.api("GET", "/api/v1/status")
    assert status == 200, body
    return body["last_refresh"] if not body["jobs_running"] and body["state"] != "refreshing" else None


async def login_from(page: str, daemon: Daemon) -> None:
    """The page the browser was given logs it in, once: the one-time link, then the CSRF cookie."""
    assert page.startswith("file://") and page.endswith("/open-tsmsyncd.html"), page
    html = Path(page.removeprefix("file://")).read_text()
    assert daemon.info["api_key"] not in html
    link = re.search(r'url=(http://127\.0\.0\.1:\d+/login/[A-Za-z0-9_-]+)"', html)
    assert link, html
    async with aiohttp.ClientSession() as browser:
        async with browser.get(link[1], allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"] == "/"
            assert "tsmsyncd-csrf=" in resp.headers["Set-Cookie"]
        async with browser.get(link[1], allow_redirects=False) as resp:
            assert resp.status == 403  # it worked once


async def test_run_docks_the_icon_opens_the_browser_and_the_menu_refreshes_and_quits(
        tray_host: TrayHost, tmp_path: Path, fake: FakeBlizzard, players: list[Player]) -> None:
    player = Player(tmp_path, fake, tray_host)
    players.append(player)
    await player.start()
    await player.icon()
    await wait_for(lambda: asyncio.sleep(0, bool(player.pages_opened())), 30, "the browser to be opened")
    [page] = player.pages_opened()  # once, when the API listened
    await login_from(page, player.daemon)

    first: list[Any] = []

    async def refreshed(seen: Any = None) -> bool:
        now = await last_refresh(player.daemon)
        first[:] = [now]
        return now is not None and now != seen

    await wait_for(refreshed, 90, "the first refresh (at start)")
    before = first[0]
    docked = await player.icon("tsmsyncd: Up to date")  # the tooltip is set after the picture (tray.py)
    state, distance = shown_state(await asyncio.to_thread(pixels, tray_host.display, docked.window))
    assert state is IconState.IDLE and distance < 2, (state, distance)
    await player.press("Refresh now")
    await wait_for(lambda: refreshed(before), 90, "the refresh the menu asked for")

    docked = await player.icon()
    await asyncio.to_thread(click, tray_host.display, docked.window)  # a click: the default item, Open
    await wait_for(lambda: asyncio.sleep(0, len(player.pages_opened()) == 2), 30, "Open to reach the browser")

    await player.press("Quit tsmsyncd")
    assert await player.exit_code() == 0
    assert not (player.daemon.home / "daemon.json").exists()
    log = player.log()
    assert "tray icon shown (xorg)" in log and "no tray icon" not in log
    assert "tray: refresh" in log and "tray: quit" in log  # what the menu's callbacks handed the loop
    assert "Traceback" not in log, log


async def test_minimized_shows_only_the_icon(tray_host: TrayHost, tmp_path: Path, fake: FakeBlizzard,
                                             players: list[Player]) -> None:
    player = Player(tmp_path, fake, tray_host)
    players.append(player)
    await player.start("--minimized")
    await player.icon("tsmsyncd: ")
    await player.press("Quit tsmsyncd")
    assert await player.exit_code() == 0
    assert player.pages_opened() == []  # the daemon waits for a browser it opened before it exits: none was
    assert "opened the web UI" not in player.log()


async def test_without_a_display_run_says_so_and_runs_headless(tmp_path: Path, fake: FakeBlizzard,
                                                               players: list[Player]) -> None:
    player = Player(tmp_path, fake, None)
    players.append(player)
    await player.start(driver=False)
    status, body = await player.daemon.api("GET", "/api/v1/status")
    assert status == 200, body
    lines = [line for line in player.log().splitlines() if "no tray icon" in line]
    assert len(lines) == 1 and lines[0].endswith(
        "no tray icon: no display (DISPLAY is not set); running headless (open the web UI with `tsmsyncd open`)")
    assert player.proc is not None
    player.proc.send_signal(signal.SIGTERM)
    assert await player.exit_code() == 0
    assert player.pages_opened() == []  # no display: no browser (a console one would take the terminal)


def test_a_display_without_a_system_tray_means_no_tray(xdisplay: str) -> None:
    """The X11 backend needs a tray host; none turns up within the wait: one line, which ``run`` logs before
    it goes on headless. (pystray connects to the DISPLAY of the process it is imported in: a fresh one.)"""
    env = {**os.environ, "DISPLAY": xdisplay,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("PYSTRAY_BACKEND", None)
    code = "import os; from tsmsyncd.tray.tray import load_backend; print(load_backend(os.environ, 'linux', 0.5))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"no system tray on display {xdisplay} (no program owns _NET_SYSTEM_TRAY_S0 " \
        "after 0.5 s)"

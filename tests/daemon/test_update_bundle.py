"""End to end on a Linux one-folder install (issue 18): version N, laid out by the release tools with the
launcher, is replaced by a signed N+1 that starts, and ``tsmsyncd update rollback`` returns to N.

The layout, the launcher, the release and signing tools, the daemon, its API and events, the CLI and the
switch are the real ones. The archive and manifest are made by ``tools/make_release.py`` and signed by
``tools/sign_manifest.py`` with a throwaway key that N and N+1 were built to trust, and served by a real
release server on 127.0.0.1. The one-folder apps are built two ways:

- ``python``: the real package with Python standing in for PyInstaller's frozen interpreter
  (``releasekit.version_folder``): always, in seconds;
- ``pyinstaller``: two real PyInstaller builds from ``installers/tsmsyncd.spec`` (``make dist``'s spec; a
  minute or two each), when ``TSMSYNCD_PYINSTALLER_TESTS=1`` and the spec is there: ``make test-bundle``.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from daemon_harness import wait_for
from releasekit import Keys, ReleaseServer, pyinstaller_folder, tree, version_folder

TOOLS = Path(__file__).resolve().parent.parent.parent / "tools"
SPEC = TOOLS.parent / "installers" / "tsmsyncd.spec"
KEYS = Keys()


@pytest.fixture(params=["python", "pyinstaller"])
def builds(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """The one-folder apps of N (1.0.0) and N+1 (1.1.0), as ``dist/tsmsyncd/`` would hold them."""
    build = tmp_path / "build"
    if request.param == "python":
        return (version_folder(build / "1.0.0" / "tsmsyncd", "1.0.0", KEYS.public),
                version_folder(build / "1.1.0" / "tsmsyncd", "1.1.0", KEYS.public))
    if os.environ.get("TSMSYNCD_PYINSTALLER_TESTS") != "1" or not SPEC.is_file():
        pytest.skip("the PyInstaller build runs with TSMSYNCD_PYINSTALLER_TESTS=1 and installers/tsmsyncd.spec "
                    "(make test-bundle)")
    return (pyinstaller_folder(build / "1.0.0", "1.0.0", KEYS.public),
            pyinstaller_folder(build / "1.1.0", "1.1.0", KEYS.public))


def tool(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(TOOLS / name), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (name, args, done.stdout, done.stderr)
    return done.stdout


class Install:
    """The laid-out install, its data folder, and the daemon started through the launcher."""

    def __init__(self, tmp: Path, server: ReleaseServer) -> None:
        self.root, self.home = tmp / "opt" / "tsmsyncd", tmp / "home"
        self.launcher = self.root / "tsmsyncd"
        self.home.mkdir()
        (self.home / "settings.json").write_text(json.dumps({"update_url": server.url, "watch_seconds": 0.5}))
        (tmp / "no-wow").mkdir()
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        self.env.update({"TSMSYNCD_HOME": str(self.home), "TSMSYNCD_WOW_ROOTS": str(tmp / "no-wow")})
        self.proc: asyncio.subprocess.Process | None = None
        self.info: dict[str, Any] = {}

    def run(self, *args: str) -> tuple[int, str, str]:
        done = subprocess.run([str(self.launcher), *args], capture_output=True, text=True, timeout=180, env=self.env)
        return done.returncode, done.stdout.strip(), done.stderr.strip()

    def version(self) -> str:
        code, out, err = self.run("--version")
        assert code == 0, err
        return out

    async def start(self) -> dict[str, Any]:
        (self.home / "daemon.json").unlink(missing_ok=True)
        self.proc = await asyncio.create_subprocess_exec(
            str(self.launcher), "run", "--headless", "--port", "0", env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

        async def ready() -> bool:
            try:
                info = json.loads((self.home / "daemon.json").read_text())
            except (OSError, ValueError):
                return False
            self.info = info
            return info.get("pid") == self.proc.pid  # type: ignore[union-attr]  # exec: the launcher's pid

        await wait_for(ready, 60, "the daemon to listen")
        return self.info

    async def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(self.proc.wait(), 60) == 0

    async def api(self, session: aiohttp.ClientSession, method: str, path: str) -> tuple[int, Any]:
        async with session.request(method, self.info["url"] + path,
                                   headers={"X-API-Key": self.info["api_key"]}) as resp:
            return resp.status, await resp.json()

    def data(self) -> dict[str, str]:
        """The data folder, without what the daemon itself keeps writing (its database and logs)."""
        return {k: v for k, v in tree(self.home).items()
                if not k.startswith(("logs", "tsmsyncd.db", "daemon.", "locks"))}


async def next_event(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        event = json.loads((await asyncio.wait_for(ws.receive(), 60)).data)
        if event["type"] == kind:
            return dict(event["data"])


async def test_version_n_is_replaced_by_a_signed_n_plus_1_that_starts_and_rollback_returns_to_n(
    tmp_path: Path, builds: tuple[Path, Path],
) -> None:
    old, new = builds
    with ReleaseServer() as server:
        install = Install(tmp_path, server)
        tool("make_release.py", "layout", "--folder", str(old), "--root", str(install.root))
        releases = tmp_path / "releases"
        tool("make_release.py", "archive", "--folder", str(new), "--platform", "linux-x86_64",
             "--url-base", server.url, "--out", str(releases), "--notes", "Rollback-safe updates.")
        tool("sign_manifest.py", "sign", "--key", str(KEYS.pem(tmp_path / "release-key.pem")),
             str(releases / "stable.json"))
        for file in releases.iterdir():
            server.put(file.name, file.read_bytes())
        assert install.version() == "tsmsyncd 1.0.0"
        version_before = tree(install.root / "versions" / "1.0.0")

        # N runs: it finds 1.1.0 (the event the tray shows), and `update apply` installs it through the daemon
        await install.start()
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(install.info["url"] + "/api/v1/events",
                                          headers={"X-API-Key": install.info["api_key"]})
            status, checked = await install.api(session, "POST", "/api/v1/update/check")
            assert status == 200 and checked["state"] == "available" and checked["install"] == "bundle"
            offered = await next_event(ws, "update.available")
            assert offered["version"] == "1.1.0" and offered["notes"] == "Rollback-safe updates."
            assert offered["apply"]["kind"] == "bundle"
            data_before = install.data()
            code, out, err = install.run("update", "apply", "--json")
            assert code == 0, err
            assert json.loads(out)["status"] == "installed"
            assert (await next_event(ws, "update.applied"))["version"] == "1.1.0"
            await ws.close()
        await install.stop()
        changed = {k for k in data_before.keys() | install.data().keys() if data_before.get(k) != install.data().get(k)}
        assert changed <= {"update.json"}, changed  # the player's data folder: only the update state
        assert tree(install.root / "versions" / "1.0.0") == version_before  # N is kept as it was

        # N+1 starts, through the same launcher
        assert install.version() == "tsmsyncd 1.1.0"
        info = await install.start()
        assert info["version"] == "1.1.0"
        async with aiohttp.ClientSession() as session:
            _, now = await install.api(session, "GET", "/api/v1/update")
            assert now["current"] == "1.1.0" and now["rollback"] == "1.0.0" and now["staged"] is None
        await install.stop()

        # one rollback returns to N, which does not offer 1.1.0 again
        code, out, err = install.run("update", "rollback")
        assert code == 0 and "1.0.0 starts next time" in out, err
        assert install.version() == "tsmsyncd 1.0.0"
        code, out, err = install.run("update", "check")
        assert code == 0 and "1.1.0 was rolled back" in out, (out, err)
        code, out, err = install.run("update", "rollback")
        assert code == 1 and "no previous version" in err

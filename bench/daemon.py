"""The daemon at rest: RSS and CPU of `tsmsyncd run --headless` after a full refresh (a 700k-row commodities
snapshot + 5 realms) and a merge into a 50 MB TradeSkillMaster.lua, measured over 60 s beside a bare
`python -c "import time; time.sleep(60)"` in the same run. Targets (DESIGN.md): <= 80 MB RSS and <= 0.5 %
of one core. This prints; it does not assert.

    python bench/daemon.py [--seconds 60] [--commodities 700000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil
from harness import wait_json

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.demo.sandbox import build_sandbox

REALMS = [4, 5, 9, 11, 12]


def usage(proc: psutil.Process) -> tuple[float, float]:
    """(RSS in MB of the process and its children, CPU seconds used so far)."""
    procs = [proc, *proc.children(recursive=True)]
    rss = sum(p.memory_info().rss for p in procs if p.is_running())
    cpu = sum(sum(p.cpu_times()[:2]) for p in procs if p.is_running())
    return rss / 2**20, cpu


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--commodities", type=int, default=700_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tsmsyncd-bench-") as tmp:
        home, root = Path(tmp) / "home", Path(tmp) / "sandbox"
        home.mkdir()
        started = time.perf_counter()
        sandbox = build_sandbox(root, size="large")
        big = max(sandbox.files, key=lambda f: f.path.stat().st_size)
        print(f"sandbox: {big.path.stat().st_size / 1e6:.1f} MB file built in {time.perf_counter() - started:.1f} s")
        async with FakeBlizzard(commodity_rows=args.commodities, realm_rows=20_000) as fake:
            (home / "settings.json").write_text(json.dumps({
                "region": "us", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
                "api_url": fake.api_url, "oauth_url": fake.oauth_url, "realms": REALMS, "quiet_seconds": 0}))
            env = {**os.environ, "TSMSYNCD_HOME": str(home), "TSMSYNCD_WOW_ROOTS": str(sandbox.install)}
            daemon = subprocess.Popen([sys.executable, "-m", "tsmsyncd", "run", "--headless", "--port", "0"], env=env)
            try:
                await work(home, daemon, fake, big.path, args.seconds)
            finally:
                daemon.terminate()
                daemon.wait(60)


async def work(home: Path, daemon: subprocess.Popen[bytes], fake: FakeBlizzard, file: Path, seconds: float) -> None:
    info = await wait_json(home / "daemon.json")
    headers = {"X-API-Key": info["api_key"]}
    async with aiohttp.ClientSession(headers=headers) as http:
        async def get(path: str) -> object:
            async with http.get(info["url"] + path) as r:
                return await r.json()

        started = time.perf_counter()
        for hour in range(2):  # two snapshots: sales to make groups from
            async with http.post(info["url"] + "/api/v1/refresh") as r:
                assert r.status == 202
            await until(lambda: idle(get), 900)
            if hour == 0:
                fake.advance()
        print(f"full refresh x2 (commodities + {len(REALMS)} realms): {time.perf_counter() - started:.1f} s")
        targets = await get("/api/v1/targets")
        target = next(t for t in targets if t["file"] == str(file))  # type: ignore[union-attr]
        started = time.perf_counter()
        async with http.patch(info["url"] + f"/api/v1/targets/{target['id']}", json={"mode": "merge"}) as r:
            assert r.status == 200
        async def applied() -> bool:
            shown = {t["id"]: t for t in await get("/api/v1/targets")}  # type: ignore[union-attr]
            return bool(shown[target["id"]]["state"] in ("applied", "error"))
        await until(applied, 600)
        state = next(t for t in await get("/api/v1/targets") if t["id"] == target["id"])  # type: ignore[union-attr]
        print(f"merge into the {file.stat().st_size / 1e6:.1f} MB file: {state['state']} in "
              f"{time.perf_counter() - started:.1f} s")
        await asyncio.sleep(3)  # the job processes have exited; what is left is the daemon at rest
        await measure(psutil.Process(daemon.pid), seconds)


async def measure(proc: psutil.Process, seconds: float) -> None:
    bare = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds + 5})"])
    await asyncio.sleep(1)
    bare_proc = psutil.Process(bare.pid)
    rss0, cpu0 = usage(proc)
    brss0, bcpu0 = usage(bare_proc)
    peak = rss0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        await asyncio.sleep(1)
        peak = max(peak, usage(proc)[0])
    elapsed = time.perf_counter() - t0
    rss1, cpu1 = usage(proc)
    brss1, bcpu1 = usage(bare_proc)
    bare.kill()
    cpu = (cpu1 - cpu0) / elapsed * 100
    bcpu = (bcpu1 - bcpu0) / elapsed * 100
    print(f"at rest over {elapsed:.0f} s:")
    print(f"  daemon  RSS {rss1:6.1f} MB (peak {peak:.1f})   CPU {cpu:5.2f} % of one core"
          "   (targets <= 80 MB, <= 0.5 %)")
    print(f"  bare    RSS {brss1:6.1f} MB                CPU {bcpu:5.2f} %")
    print(f"  daemon / bare: RSS {rss1 / brss1:.1f}x, CPU +{cpu - bcpu:.2f} points")
    print(f"  native libraries in the daemon: {', '.join(native_libraries(proc.pid)) or 'unknown'}")


def native_libraries(pid: int) -> list[str]:
    """The packages whose compiled extensions the process has loaded (Linux: /proc/<pid>/maps)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return []
    found = {m.group(1) for m in re.finditer(r"site-packages/([A-Za-z0-9_]+)/", maps)}
    return sorted(found)


async def idle(get: object) -> bool:
    status = await get("/api/v1/status")  # type: ignore[operator]
    return bool(status.get("last_refresh")) and not status["jobs_running"] and status["state"] != "refreshing"


async def until(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    await asyncio.sleep(1)
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.5)
    raise TimeoutError("the daemon did not get there in time")


if __name__ == "__main__":
    asyncio.run(main())

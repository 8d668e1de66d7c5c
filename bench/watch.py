"""The live watchlist on the real daemon (``tsmsyncd run --headless`` on a sandbox install) and the fake Blizzard
server with 20 connected realms: 100 tracked items (every realm item of the fake's catalogue, the rest
commodities) on all 20 realms. A cold check (nothing cached) counts the auction snapshots asked for beside the
naive count (one request per item and realm); a warm check (``POST /api/v1/watchlist/check`` within the
30-minute cache) is timed from the request to the last of its 2,000 final ``watch.update`` events at a
WebSocket client. Target (issue 16): warm < 1 s. Prints; does not assert.

    python bench/watch.py [--realms 20] [--items 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from harness import wait_json

from tsmsyncd.blizzard.catalog import CONNECTED_REALMS, ITEMS
from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.demo.sandbox import build_sandbox

_SNAPSHOT = re.compile(r"/data/wow/(connected-realm/\d+/)?auctions(/commodities)?$")


def downloads(fake: FakeBlizzard, since: int) -> int:
    """Snapshots served in full since request ``since`` (the daemon's own 304 polls of its realms not counted)."""
    return sum(1 for r in fake.requests[since:] if _SNAPSHOT.search(r.path) and r.status == 200)


async def idle(session: aiohttp.ClientSession, base: str) -> None:
    for _ in range(1200):
        async with session.get(base + "/api/v1/status") as resp:
            body = await resp.json()
        if body["state"] != "refreshing" and not body["jobs_running"]:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the daemon never went idle")


async def check(session: aiohttp.ClientSession, base: str, ids: set[int], rows: int,
                method: str, path: str, body: Any) -> float:
    """Seconds from the request to the last of ``rows`` final watch.update events for ``ids``."""
    finals: set[tuple[int, int]] = set()
    async with session.ws_connect(base.replace("http://", "ws://") + "/api/v1/events") as ws:
        await ws.receive_json()  # the status event on connect
        started = time.perf_counter()
        async with session.request(method, base + path, json=body) as resp:
            assert resp.status in (200, 201, 202), (resp.status, await resp.text())
            answer = await resp.json()
        ids.update(i["id"] for i in answer.get("items", []))
        while len(finals) < rows:
            event = await ws.receive_json(timeout=120)
            data = event["data"]
            if event["type"] == "watch.update" and data["id"] in ids and data["status"] != "checking":
                finals.add((data["id"], data["realm"]))
        return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realms", type=int, default=20)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    extra = args.realms - len(CONNECTED_REALMS["us"])
    realm_items = [i.id for i in ITEMS if i.kind in ("gear", "pet_item")]
    commodities = [i.id for i in ITEMS if i.kind == "commodity"]
    chosen = (realm_items + commodities)[:args.items]
    with tempfile.TemporaryDirectory(prefix="tsmsyncd-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        sandbox = build_sandbox(Path(tmp) / "sandbox")
        async with FakeBlizzard(commodity_rows=3000, realm_rows=3000, extra_realms=max(extra, 0)) as fake:
            realms = fake.realm_ids("us")[:args.realms]
            (home / "settings.json").write_text(json.dumps({
                "region": "us", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
                "api_url": fake.api_url, "oauth_url": fake.oauth_url}))
            env = {**os.environ, "TSMSYNCD_HOME": str(home), "TSMSYNCD_WOW_ROOTS": str(sandbox.install)}
            daemon = subprocess.Popen([sys.executable, "-m", "tsmsyncd", "run", "--headless", "--port", "0"], env=env)
            try:
                info = await wait_json(home / "daemon.json")
                base = info["url"]
                async with aiohttp.ClientSession(headers={"X-API-Key": info["api_key"]}) as session:
                    await idle(session, base)
                    items = [{"item": f"i:{n}", "max_price": "9999g", "realms": realms} for n in chosen]
                    rows, ids = len(items) * len(realms), set()  # type: int, set[int]
                    mark = len(fake.requests)
                    cold = await check(session, base, ids, rows, "POST", "/api/v1/watchlist", {"items": items})
                    asked = downloads(fake, mark)
                    # The daemon refreshes newly watched realms into its own database too (a refresh job of
                    # its own, not the watchlist's): let it finish so the warm checks are measured alone.
                    await asyncio.sleep(2)
                    await idle(session, base)
                    warm, warm_asked = [], []  # type: list[float], list[int]
                    for _ in range(args.rounds):
                        mark = len(fake.requests)
                        warm.append(await check(session, base, ids, rows, "POST", "/api/v1/watchlist/check", {}))
                        warm_asked.append(downloads(fake, mark))
            finally:
                daemon.terminate()
                daemon.wait(30)
    naive = len(items) * len(realms)
    print(f"watchlist: {len(items)} items x {len(realms)} realms = {rows:,} rows, over the WebSocket")
    print(f"  cold: {cold:6.2f} s, {asked} snapshots downloaded by the watchlist; naive (item x realm) {naive:,} -> "
          f"{naive / max(asked, 1):.0f}x fewer")
    print(f"  warm: median {statistics.median(warm):6.3f} s, max {max(warm):.3f} s over {len(warm)} checks "
          f"(target < 1 s); snapshots downloaded per check {warm_asked}")
    print(f"  cold / warm {cold / statistics.median(warm):.1f}x")


if __name__ == "__main__":
    asyncio.run(main())

"""Group server mode on loopback: GroupSet requests per second for 200 clients, each with its own token,
polling with If-None-Match (mostly 304: one request in 20 comes from a client without the ETag yet) and
asking for full bodies, against the real daemon (``tsmsyncd run --headless --server``: every request's
token read from the database, both rate limits, the ETag) beside a bare aiohttp handler that answers the
same bytes with the same ETag logic and no checks at all, both driven by the same client in the same run.
Prints; does not assert.

    python bench/server.py [--requests 8000] [--clients 200] [--items 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from harness import free_port, wait_json, wait_port

from tsmsyncd.config import ServerLimits, Settings, save_settings
from tsmsyncd.db import groups as groups_db
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.sync.server import TokenService
from tsmsyncd.tsm.groupset import GroupSet

PATH = "/api/v1/groups/3678"
BARE = """
import hashlib, sys
from aiohttp import web
body = open(sys.argv[1], "rb").read()
etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
async def groups(request):
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    return web.Response(body=body, content_type="application/json", headers={"ETag": etag})
app = web.Application()
app.router.add_get("/api/v1/groups/3678", groups)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), print=None)
"""


def groupset(items: int) -> GroupSet:
    per = 50
    groups = [{"path": ["Bench", f"Group {g}"], "items": [f"i:{10000 + g * per + i}" for i in range(per)],
               "operations": {}} for g in range(max(1, items // per))]
    return GroupSet.from_dict({"format": "tsmsyncd.groupset/1", "root": "TSM Sync", "groups": groups,
                               "source": {"region": "us", "connected_realm_id": 3678}, "operations": {}})


async def prepare(home: Path, clients: int, items: int) -> list[str]:
    """The server's data folder: limits that let the benchmark through, one GroupSet, a token per client."""
    limits = ServerLimits(per_token_per_minute=1e6, burst=100_000, global_per_second=1e6, global_burst=1_000_000)
    settings = Settings(region="us", server=limits)
    save_settings(settings, {"TSMSYNCD_HOME": str(home)})
    writer = DbWriter(home / "tsmsyncd.db")
    try:
        made = groupset(items)
        await writer(groups_db.store_groupset, RealmKey("us", 3678), made.content_hash(), made.to_json(), "[]",
                     datetime.now(UTC))
        service = TokenService(writer, lambda: settings)
        return [(await service.create(f"client-{n}"))[0] for n in range(clients)]
    finally:
        writer.close()


async def throughput(url: str, tokens: list[str], requests: int, etag: str | None) -> tuple[float, Counter[int]]:
    """Requests per second of ``len(tokens)`` clients at once, each sending its own token; with ``etag``,
    every client sends If-None-Match except one request in 20."""
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=len(tokens))
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(token: str, n: int) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            if etag is not None and n % 20:
                headers["If-None-Match"] = etag
            async with session.get(url, headers=headers) as resp:
                await resp.read()
                statuses[resp.status] += 1

        await asyncio.gather(*(one(t, 1) for t in tokens))  # open every client's connection first
        statuses.clear()
        left = requests

        async def client(token: str) -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await one(token, left)

        started = time.perf_counter()
        await asyncio.gather(*(client(t) for t in tokens))
        return requests / (time.perf_counter() - started), statuses


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--items", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tsmsyncd-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        tokens = await prepare(home, args.clients, args.items)
        env = {**os.environ, "TSMSYNCD_HOME": str(home), "TSMSYNCD_WOW_ROOTS": str(Path(tmp) / "none")}
        daemon = subprocess.Popen([sys.executable, "-m", "tsmsyncd", "run", "--headless", "--server", "--port", "0"],
                                  env=env)
        bare = None
        try:
            info = await wait_json(home / "daemon.json")
            ours_url = info["url"] + PATH
            async with aiohttp.ClientSession() as s, s.get(ours_url, headers={"Authorization":
                                                                               f"Bearer {tokens[0]}"}) as r:
                assert r.status == 200, await r.text()
                body, etag = await r.read(), r.headers["ETag"]
            (Path(tmp) / "body.json").write_bytes(body)
            port = free_port()
            bare = subprocess.Popen([sys.executable, "-c", BARE, str(Path(tmp) / "body.json"), str(port)])
            await wait_port(port)
            bare_url = f"http://127.0.0.1:{port}{PATH}"
            results = {}
            for name, with_etag in (("If-None-Match", etag), ("full bodies", None)):
                results[name] = (await throughput(ours_url, tokens, args.requests, with_etag),
                                 await throughput(bare_url, tokens, args.requests, with_etag))
        finally:
            for proc in (daemon, bare):
                if proc is not None:
                    proc.terminate()
                    proc.wait(30)
    print(f"GET {PATH}: a GroupSet of {args.items:,} items ({len(body):,} bytes), {args.clients} clients with a "
          f"token each, {args.requests:,} requests per run (same client):")
    for name, ((ours, seen), (plain, _plain_seen)) in results.items():
        mix = ", ".join(f"{n:,} x {s}" for s, n in sorted(seen.items()))
        print(f"  {name:<14} tsmsyncd server {ours:8,.0f} req/s   bare aiohttp {plain:8,.0f} req/s   "
              f"server / bare {ours / plain:5.2f}x   ({mix})")
    (ours_304, _), _ = results["If-None-Match"]
    (ours_200, _), _ = results["full bodies"]
    print(f"  a poll with If-None-Match costs the server {ours_200 / ours_304:.2f}x what a full body does "
          f"(in requests per second: {ours_304 / ours_200:.2f}x as many)")


if __name__ == "__main__":
    asyncio.run(main())

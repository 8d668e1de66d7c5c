"""The API on loopback: ``GET /api/v1/status`` throughput of the real daemon (``tsmsyncd run --headless`` on a
sandbox install, every security layer on) beside a bare aiohttp handler answering the same JSON, both driven
by the same client in the same run; and the time from a state change (``POST /api/v1/pause``) to its event
at a WebSocket client. Target (DESIGN.md): >= 1,500 status requests per second. Prints; does not assert.

    python bench/api.py [--requests 6000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from harness import wait_json, wait_port

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.demo.sandbox import build_sandbox

BARE = """
import asyncio, json, sys
from aiohttp import web
body = json.dumps(json.loads(sys.argv[1]))
async def status(request):
    return web.Response(text=body, content_type="application/json")
app = web.Application()
app.router.add_get("/api/v1/status", status)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), print=None)
"""


async def throughput(url: str, headers: dict[str, str], requests: int, concurrency: int) -> float:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        async def one() -> None:
            async with session.get(url) as resp:
                assert resp.status == 200, resp.status
                await resp.read()

        for _ in range(concurrency):  # warm the connections
            await one()
        left = requests

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await one()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


async def event_latency(base: str, key: str, rounds: int = 40) -> list[float]:
    """Seconds from sending a pause/resume to receiving its status event on the WebSocket."""
    headers = {"X-API-Key": key}
    times = []
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.ws_connect(base.replace("http://", "ws://") + "/api/v1/events") as ws:
            await ws.receive_json()  # the status event on connect
            for n in range(rounds):
                paused = n % 2 == 0
                started = time.perf_counter()
                async with session.post(base + "/api/v1/pause", json={"paused": paused}) as resp:
                    assert resp.status == 200
                while True:
                    event = await ws.receive_json(timeout=10)
                    if event["type"] == "status" and event["data"]["paused"] is paused:
                        break
                times.append(time.perf_counter() - started)
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tsmsyncd-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        sandbox = build_sandbox(Path(tmp) / "sandbox")
        async with FakeBlizzard(commodity_rows=500, realm_rows=500) as fake:
            (home / "settings.json").write_text(json.dumps({
                "region": "us", "client_id": "fake-client-id", "client_secret": "fake-client-secret",
                "api_url": fake.api_url, "oauth_url": fake.oauth_url}))
            env = {**os.environ, "TSMSYNCD_HOME": str(home), "TSMSYNCD_WOW_ROOTS": str(sandbox.install)}
            daemon = subprocess.Popen([sys.executable, "-m", "tsmsyncd", "run", "--headless", "--port", "0"],
                                      env=env)
            bare = None
            try:
                info = await wait_json(home / "daemon.json")
                base, key = info["url"], info["api_key"]
                async with aiohttp.ClientSession(headers={"X-API-Key": key}) as s, s.get(base + "/api/v1/status") as r:
                    sample = await r.json()
                port = int(base.rsplit(":", 1)[1]) + 1
                bare = subprocess.Popen([sys.executable, "-c", BARE, json.dumps(sample), str(port)])
                await wait_port(port)
                await asyncio.sleep(2)  # the daemon's start-up refresh has begun; measure beside it, as in life
                ours = await throughput(base + "/api/v1/status", {"X-API-Key": key}, args.requests, args.concurrency)
                plain = await throughput(f"http://127.0.0.1:{port}/api/v1/status", {}, args.requests,
                                         args.concurrency)
                latency = await event_latency(base, key)
            finally:
                for proc in (daemon, bare):
                    if proc is not None:
                        proc.terminate()
                        proc.wait(30)
    print(f"GET /api/v1/status, {args.requests:,} requests, {args.concurrency} connections (same client):")
    print(f"  tsmsyncd daemon   {ours:8,.0f} req/s   (target >= 1,500)")
    print(f"  bare aiohttp      {plain:8,.0f} req/s")
    print(f"  daemon / bare     {ours / plain:8.2f}x")
    latency.sort()
    median, p95, top = (1000 * x for x in (statistics.median(latency), latency[int(len(latency) * 0.95) - 1],
                                           latency[-1]))
    print(f"state change -> event at a WebSocket client ({len(latency)} rounds, request included): "
          f"median {median:.1f} ms, p95 {p95:.1f} ms, max {top:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())

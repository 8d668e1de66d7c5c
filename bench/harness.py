"""What the daemon benchmarks share: waiting for a started daemon's ``daemon.json`` and for a port to
listen, and a free loopback port. (The scripts run as ``python bench/<name>.py``, so this folder is on
``sys.path``.)"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any


async def wait_json(path: Path) -> dict[str, Any]:
    """The JSON document at ``path`` once it is there and whole (60 s at most)."""
    for _ in range(600):
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError):
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{path} never appeared")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_port(port: int) -> None:
    """Returns once something accepts connections on 127.0.0.1:``port`` (15 s at most)."""
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing listened on {port}")

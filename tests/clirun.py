"""Running ``tsmsyncd`` as a real process from a test."""

from __future__ import annotations

import asyncio
import sys

SECRET = "fake-client-secret"


async def tsmsyncd(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tsmsyncd", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()

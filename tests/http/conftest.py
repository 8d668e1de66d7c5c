"""Fixtures of the HTTP tests: a real tsmsyncd HTTP app on 127.0.0.1 (port 0) and a client to it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp
import pytest

# httpkit; appended, not first: other tests import the root conftest by its name
sys.path.append(str(Path(__file__).resolve().parent))

from httpkit import SAMPLE_ROUTES, Api  # noqa: E402

from tsmsyncd.http.app import HttpConfig, Route, Server, build_app, start_server  # noqa: E402
from tsmsyncd.http.launch import Logins  # noqa: E402

Serve = Callable[..., Awaitable[Api]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``await serve(routes, static_dir=..., logins=..., config=...)``: a running app and a client."""
    running: list[tuple[Server, aiohttp.ClientSession]] = []

    async def start(routes: Sequence[Route] = SAMPLE_ROUTES, *, config: HttpConfig | None = None,
                    static_dir: Path | None = None, logins: Logins | None = None) -> Api:
        config = config or HttpConfig()
        logins = logins or Logins()
        server = await start_server(build_app(config, routes, static_dir=static_dir, logins=logins))
        session = aiohttp.ClientSession()
        running.append((server, session))
        return Api(server, config, session, logins)

    yield start
    for server, session in reversed(running):
        await session.close()
        await server.close()


@pytest.fixture
async def api(serve: Serve) -> Api:
    return await serve()

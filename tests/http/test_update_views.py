"""``GET /api/v1/update``, ``POST /api/v1/update/check`` and ``POST /api/v1/update/apply`` on the real route
table, served on 127.0.0.1 with the daemon's own services (built through the composition root, the engine
guarding installs) and a real release server beside it. The shapes are what the OpenAPI document says."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import pytest
from releasekit import Keys, ReleaseServer, manifest, program_entries, tar_gz, tree

from tsmsyncd.app import Services, open_services
from tsmsyncd.config import Settings
from tsmsyncd.http.app import HttpConfig, Server, start_server
from tsmsyncd.http.routes import build_api
from tsmsyncd.http.views import update
from tsmsyncd.releases.client import Timeouts
from tsmsyncd.scheduler import Schedule
from tsmsyncd.store.bundle import Bundle, Install

KEYS = Keys()


@pytest.fixture
def releases() -> Iterator[ReleaseServer]:
    with ReleaseServer() as server:
        archive = tar_gz(program_entries("0.3.0"))
        server.put("a.tar.gz", archive)
        server.publish(KEYS, manifest("0.3.0", archive=archive, url=f"{server.url}/a.tar.gz"))
        yield server


class Client:
    def __init__(self, server: Server, config: HttpConfig, session: aiohttp.ClientSession,
                 services: Services) -> None:
        self.server, self.config, self.session, self.services = server, config, session, services

    async def call(self, method: str, path: str) -> tuple[int, Any]:
        async with self.session.request(method, self.server.url + path,
                                        headers={"X-API-Key": self.config.api_key}) as resp:
            return resp.status, await resp.json()


async def nothing() -> None:
    return None


async def serve(tmp: Path, releases: ReleaseServer, install: Install) -> AsyncIterator[Client]:
    options = {"current": "0.2.0", "platform": "linux-x86_64", "install": install,
               "timeouts": Timeouts(manifest=5, connect=5, read=2, download=10)}
    async with open_services(Settings(update_url=releases.url), tmp / "home", daemon=True,
                             update_keys=(KEYS.public,), update_options=options) as services:
        schedule = Schedule(refresh=nothing, next_refresh=nothing, watch=nothing, backups=nothing,
                            daily=nothing, report=lambda job, problem: nothing())
        config = HttpConfig()
        server = await start_server(build_api(services, config, schedule=schedule, stop=lambda: None))
        async with aiohttp.ClientSession() as session:
            yield Client(server, config, session, services)
        await server.close()


@pytest.fixture
async def pip_api(tmp_path: Path, releases: ReleaseServer) -> AsyncIterator[Client]:
    async for client in serve(tmp_path, releases, Install("pip")):
        yield client


@pytest.fixture
async def bundle_api(tmp_path: Path, releases: ReleaseServer) -> AsyncIterator[Client]:
    root = tmp_path / "app"
    (root / "versions" / "0.2.0").mkdir(parents=True)
    (root / "current").write_text("0.2.0\n")
    async for client in serve(tmp_path, releases, Install("bundle", Bundle(root, "0.2.0"))):
        yield client


async def test_the_status_says_what_is_available_and_how_it_installs(pip_api: Client) -> None:
    status, before = await pip_api.call("GET", "/api/v1/update")
    assert status == 200 and before["state"] == "unknown" and before["install"] == "pip"
    jsonschema.validate(before, update.SCHEMA)
    status, checked = await pip_api.call("POST", "/api/v1/update/check")
    assert status == 200 and checked["state"] == "available"
    jsonschema.validate(checked, update.SCHEMA)
    assert checked["available"]["apply"]["kind"] == "pip" and "tsmsyncd==0.3.0" in checked["available"]["apply"][
        "command"]
    assert (await pip_api.call("GET", "/api/v1/update"))[1]["available"] == checked["available"]
    status, applied = await pip_api.call("POST", "/api/v1/update/apply")
    assert status == 200 and applied["status"] == "manual"
    jsonschema.validate(applied, update.APPLY_SCHEMA)


async def test_a_refused_check_is_an_answer_with_its_reason(pip_api: Client, releases: ReleaseServer) -> None:
    releases.put("stable.json.sig", Keys().sign(releases.files["stable.json"]))
    status, body = await pip_api.call("POST", "/api/v1/update/check")
    assert status == 200 and body["state"] == "failed" and body["error"]["reason"] == "signature"
    jsonschema.validate(body, update.SCHEMA)
    status, body = await pip_api.call("POST", "/api/v1/update/apply")
    assert status == 502 and body["error"]["code"] == "update_refused"


async def test_an_install_waits_for_no_merge_the_engine_knows_of(bundle_api: Client, tmp_path: Path) -> None:
    engine = bundle_api.services.engine
    assert engine.busy() is None
    before = tree(tmp_path / "app")
    async with engine.exclusive():  # as while a merge holds the engine's apply lock
        assert engine.busy() == "a merge is running"
        status, body = await bundle_api.call("POST", "/api/v1/update/apply")
    assert status == 409 and body["error"]["code"] == "busy" and "a merge is running" in body["error"]["message"]
    assert tree(tmp_path / "app") == before
    status, body = await bundle_api.call("POST", "/api/v1/update/apply")
    assert status == 200 and body["status"] == "installed" and body["version"] == "0.3.0"
    assert (tmp_path / "app" / "current").read_text() == "0.3.0\n"
    status, after = await bundle_api.call("GET", "/api/v1/update")
    assert after["state"] == "staged" and after["staged"] == "0.3.0" and after["rollback"] == "0.2.0"

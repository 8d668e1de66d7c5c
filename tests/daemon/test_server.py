"""A guild's group server and a client, as two real daemons (issue 17): the server (``tsmsyncd run --host
127.0.0.2`` with TLS from a test CA, Blizzard being the fake on loopback) serves the groups of its realms;
the client, without any Blizzard credentials, takes its realm list and its groups from it and merges them
into its sandbox TradeSkillMaster.lua (read back with real Lua). Then the server's refusals, a 304 for an
unchanged GroupSet, a revoked token, a rate limit the client waits out, the server going away: each time the
client keeps its last groups and says why. No token ever reaches a log."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import trustme
from daemon_harness import Daemon, wait_for, warm

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.tsm.savedvars import parse_savedvars

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOST = "127.0.0.2"  # loopback, yet not one of this machine's UI names: the daemon serves as a group server


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "tsmsyncd", *args], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done


@dataclass
class Guild:
    server: Daemon
    client: Daemon
    url: str
    ca_file: Path
    realm: int
    tokens: dict[str, str]
    session: aiohttp.ClientSession  # a client of the server's own, trusting the test CA

    async def ask(self, path: str, token: str | None, method: str = "GET", **headers: str) -> tuple[int, Any, bytes]:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(method, self.url + path, headers=headers) as resp:
            return resp.status, resp.headers, await resp.read()

    async def client_status(self) -> dict[str, Any]:
        status, body = await self.client.api("GET", "/api/v1/status")
        assert status == 200, body
        return dict(body)

    async def client_refresh(self) -> dict[str, Any]:
        """A refresh of the client asked for and waited for to its end: its polls of the server run in it.
        (A cycle already in flight may be the one that ends; the callers ask again until they see it.)"""
        before = (await self.client_status())["cycles"]
        status, _ = await self.client.api("POST", "/api/v1/refresh")
        assert status == 202

        async def done() -> bool:
            return (await self.client_status())["cycles"] >= before + 1

        await wait_for(done, 60, "a refresh of the client")
        return await self.client_status()

    def merging(self, targets: list[dict[str, Any]]) -> dict[str, Any]:
        return next(t for t in targets if t["mode"] == "merge")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    issued = ca.issue_cert(HOST)
    cert, key, ca_file = folder / "server.pem", folder / "server.key", folder / "ca.pem"
    cert.write_bytes(b"".join(pem.bytes() for pem in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    return cert, key, ca_file


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def guild(tmp_path_factory: pytest.TempPathFactory, certificate: tuple[Path, Path, Path]
                ) -> AsyncIterator[Guild]:
    cert, key, ca_file = certificate
    tmp = tmp_path_factory.mktemp("guild")
    async with FakeBlizzard(commodity_rows=1500, realm_rows=1000) as fake:
        server = Daemon(tmp / "server", fake)
        await server.start()
        await warm(server)  # as a plain daemon first: its market data and groups
        realm = next(t for t in await server.targets() if t["flavor"] == "retail")["realm"]["connected_realm_id"]
        assert await server.stop() == 0
        token = cli(server.env, "tokens", "create", "guild", "--realms", str(realm)).stdout.splitlines()[-1]
        info = await server.start(args=("--host", HOST, "--tls-cert", str(cert), "--tls-key", str(key)))
        assert info["url"].startswith(f"https://{HOST}:")
        client = Daemon(tmp / "client", fake)  # Blizzard credentials: none; a URL and a token instead
        (client.home / "settings.json").write_text(json.dumps({
            "region": "us", "quiet_seconds": 0.5, "watch_seconds": 0.5,
            "group_source": {"url": info["url"], "token": token, "ca_file": str(ca_file), "poll_seconds": 1}}))
        await client.start()
        context = ssl.create_default_context(cafile=str(ca_file))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
            yield Guild(server, client, info["url"], ca_file, realm, {"guild": token}, session)
        for daemon in (client, server):
            if daemon.proc is not None and daemon.proc.returncode is None:
                daemon.proc.kill()
                await daemon.proc.wait()
            await daemon.close_session()


async def test_the_clients_file_gets_the_servers_groups(guild: Guild) -> None:
    async def realms_known() -> bool:  # the realm list came from the server: the realms are inferred
        retail = [t for t in await guild.client.targets() if t["flavor"] == "retail"]
        return bool(retail) and all(t["realm"] for t in retail)

    await wait_for(realms_known, 60, "the client's targets to know their realms")
    target = next(t for t in await guild.client.targets() if t["flavor"] == "retail"
                  and t["realm"]["connected_realm_id"] == guild.realm)
    assert target["groups_from"] == guild.url and target["group_source"] is None  # the settings' server
    status, body = await guild.client.api("PATCH", f"/api/v1/targets/{target['id']}", {"mode": "merge"})
    assert status == 200, body

    async def applied() -> bool:
        return (await guild.client.state_of(target["id"]))["state"] == "applied"

    await wait_for(applied, 90, "the server's groups applied on the client")
    status, _, served = await guild.ask(f"/api/v1/groups/{guild.realm}", guild.tokens["guild"])
    assert status == 200
    groupset = json.loads(served)
    expected = {item: "`".join([groupset["root"], *g["path"]]) for g in groupset["groups"] for item in g["items"]}
    assert expected, "the server made groups with items"
    file = Path(target["file"])
    sv = parse_savedvars(file.read_bytes(), file.name)
    items = sv.value(f"p@{target['profile']}@userData@items")
    groups = sv.value(f"p@{target['profile']}@userData@groups")
    assert isinstance(items, dict) and isinstance(groups, dict)
    ours = {i: g for i, g in items.items() if str(g).startswith(groupset["root"])}
    assert ours and all(expected[i] == g for i, g in ours.items())
    assert set(expected) - set(ours) <= {i for i, g in items.items() if not str(g).startswith(groupset["root"])}
    assert {"`".join([groupset["root"], *g["path"]]) for g in groupset["groups"]} <= set(groups)
    maps = Path(f"/proc/{guild.client.proc.pid}/maps")  # type: ignore[union-attr]
    if maps.exists():  # a client checks and stores a server's groups without pandas (its RSS budget)
        assert "/pandas/" not in maps.read_text() and "/numpy/" not in maps.read_text()


async def test_an_unchanged_groupset_answers_304_with_no_body(guild: Guild) -> None:
    status, headers, body = await guild.ask(f"/api/v1/groups/{guild.realm}", guild.tokens["guild"])
    assert status == 200 and headers["ETag"] and body
    status, again, nothing = await guild.ask(f"/api/v1/groups/{guild.realm}", guild.tokens["guild"],
                                             **{"If-None-Match": headers["ETag"]})
    assert status == 304 and nothing == b"" and again["ETag"] == headers["ETag"]


@pytest.mark.parametrize(("method", "path", "token", "expected"), [
    ("GET", "/api/v1/groups/{realm}", None, 401),
    ("GET", "/api/v1/groups/{realm}", "tsms_00000000_" + "A" * 43, 401),
    ("GET", "/api/v1/realms", "key", 401),
    ("POST", "/api/v1/refresh", "guild", 404),
    ("PATCH", "/api/v1/settings", "guild", 404),
    ("PATCH", "/api/v1/targets/x", "guild", 404),
    ("POST", "/api/v1/groups/{realm}", "guild", 405),
    ("GET", "/api/v1/status", "guild", 404),
    ("GET", "/", "guild", 404),
    ("GET", "/api/v1/events", "guild", 404),
])
async def test_no_token_a_wrong_one_a_write_and_the_ui_are_refused(guild: Guild, method: str, path: str,
                                                                   token: str | None, expected: int) -> None:
    before = (guild.server.home / "settings.json").read_bytes()
    headers = {}
    if token == "key":  # the server's own API key, from its daemon.json
        headers["X-API-Key"] = json.loads((guild.server.home / "daemon.json").read_text())["api_key"]
        token = None
    status, _, body = await guild.ask(path.format(realm=guild.realm), guild.tokens.get(token or "", token), method,
                                      **headers)
    assert status == expected and json.loads(body)["ok"] is False, body
    assert (guild.server.home / "settings.json").read_bytes() == before


async def test_a_revoked_token_is_401_and_the_client_keeps_its_groups_and_says_why(guild: Guild) -> None:
    target = guild.merging(await guild.client.targets())
    file = Path(target["file"])
    kept = file.read_bytes()
    cli(guild.server.env, "tokens", "revoke", "guild")
    status, _, body = await guild.ask("/api/v1/realms", guild.tokens["guild"])
    assert status == 401 and json.loads(body)["error"]["code"] == "token_revoked"

    async def told() -> bool:
        return "revoked" in str((await guild.client_refresh()).get("last_error"))

    await wait_for(told, 60, "the client to say its token was revoked", every=0.5)
    shown = await guild.client_status()
    assert shown["state"] == "error" and "refused the token" in shown["last_error"]
    assert (await guild.client.state_of(target["id"]))["state"] == "applied" and file.read_bytes() == kept
    _, page = await guild.client.api("GET", "/api/v1/history?kind=refresh.failed")
    assert any("revoked" in e["message"] for e in page["entries"])


async def test_a_rate_limit_is_429_with_retry_after_and_the_client_waits_it_out(guild: Guild) -> None:
    greedy = cli(guild.server.env, "tokens", "create", "greedy", "--rate", "2/h").stdout.splitlines()[-1]
    guild.tokens["greedy"] = greedy
    target = guild.merging(await guild.client.targets())
    source = {"url": guild.url, "token": greedy, "ca_file": str(guild.ca_file), "poll_seconds": 1}
    status, body = await guild.client.api("PATCH", f"/api/v1/targets/{target['id']}", {"group_source": source})
    assert status == 200 and body["group_source"] == "remote", body

    async def limited() -> bool:
        return "too many requests" in str((await guild.client_refresh()).get("last_error"))

    await wait_for(limited, 60, "the client to be rate limited", every=0.5)
    shown = (await guild.client_status())["last_refresh"]["group_server"]["realms"][0]
    asked = float(shown["error"].split("it asks to wait ")[1].split(" s")[0])
    assert 1700 <= asked <= 1800  # two an hour, both spent: the next one in about half an hour
    from datetime import datetime
    assert (datetime.fromisoformat(shown["retry_at"]) - datetime.fromisoformat(shown["last_checked"])
            ).total_seconds() >= asked
    for _ in range(3):  # it does not ask again before the server said it may
        await guild.client_refresh()
    assert await guild.server.stop() == 0  # its last usage batch is written as it stops
    listed = {t["name"]: t for t in json.loads(cli(guild.server.env, "tokens", "list", "--json").stdout)}
    assert (listed["greedy"]["requests"], listed["greedy"]["rate_limited"]) == (2, 1)


async def test_a_server_that_went_away_leaves_the_last_groups_and_is_said_so(guild: Guild) -> None:
    """The server stopped at the end of the test before; a fresh token (no rate limit to wait out) finds
    nobody there."""
    target = guild.merging(await guild.client.targets())
    file = Path(target["file"])
    kept = file.read_bytes()
    fresh = cli(guild.server.env, "tokens", "create", "fresh").stdout.splitlines()[-1]
    guild.tokens["fresh"] = fresh
    status, body = await guild.client.api("PATCH", f"/api/v1/targets/{target['id']}", {"group_source": {
        "url": guild.url, "token": fresh, "ca_file": str(guild.ca_file), "poll_seconds": 1}})
    assert status == 200, body

    async def told() -> bool:
        return "did not answer" in str((await guild.client_refresh()).get("last_error"))

    await wait_for(told, 60, "the client to say the server is gone", every=0.5)
    assert (await guild.client.state_of(target["id"]))["state"] == "applied" and file.read_bytes() == kept


async def test_no_token_ever_reaches_a_log_or_an_answer_of_the_client(guild: Guild) -> None:
    answers = []
    for path in ("/api/v1/settings", "/api/v1/targets", "/api/v1/status", "/api/v1/history"):
        status, body = await guild.client.api("GET", path)
        answers.append(json.dumps(body))
    settings = (await guild.client.api("GET", "/api/v1/settings"))[1]
    assert settings["group_source"]["token"] == "(set)"
    for token in guild.tokens.values():
        assert token not in guild.server.log() and token not in guild.client.log()
        assert all(token not in answer for answer in answers)


async def test_plain_http_on_a_network_host_is_refused_unless_asked_for(tmp_path: Path) -> None:
    env = {**os.environ, "TSMSYNCD_HOME": str(tmp_path / "home"), "TSMSYNCD_WOW_ROOTS": str(tmp_path / "none")}
    refused = subprocess.run([sys.executable, "-m", "tsmsyncd", "run", "--headless", "--host", HOST, "--port", "0"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "needs TLS: give --tls-cert and --tls-key, or --insecure-http" in refused.stderr
    assert not (tmp_path / "home" / "daemon.json").exists()
    token = cli(env, "tokens", "create", "lan").stdout.splitlines()[-1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tsmsyncd", "run", "--headless", "--host", HOST, "--port", "0", "--insecure-http",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        async def listening() -> bool:
            return (tmp_path / "home" / "daemon.json").exists()

        await wait_for(listening, 30, "the plain HTTP server")
        url = json.loads((tmp_path / "home" / "daemon.json").read_text())["url"]
        assert url.startswith(f"http://{HOST}:")
        async with aiohttp.ClientSession() as session, session.get(
                url + "/api/v1/realms", headers={"Authorization": f"Bearer {token}"}) as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 60) == 0
    log = (tmp_path / "home" / "logs" / "tsmsyncd.log").read_text()
    assert "WARNING" in log and "--insecure-http: tokens and groups cross the network unencrypted" in log
    assert token not in log

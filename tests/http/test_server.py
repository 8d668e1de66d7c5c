"""Group server mode over real connections: the daemon's real route table and services on a tmp data
folder, served in server mode on 127.0.0.1:0 with a fake clock for the rate limits. Every request needs
a token; only the read-only routes exist; GroupSets carry an ETag and answer If-None-Match with a bodiless
304; limits answer 429 with Retry-After; a revoke holds from the next request (issue 17)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tsmsyncd.app import Services, open_services
from tsmsyncd.config import Settings
from tsmsyncd.db import groups as groups_db
from tsmsyncd.db import tokens as tokens_db
from tsmsyncd.groups.generate import content_hash
from tsmsyncd.http.app import HttpConfig, Server, start_server
from tsmsyncd.http.ratelimit import Limiter
from tsmsyncd.http.routes import build_api
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.scheduler import Schedule
from tsmsyncd.tsm.groupset import GroupSet

REALM = RealmKey("us", 3678)


def groupset(items: list[str]) -> GroupSet:
    return GroupSet.from_dict({"format": "tsmsyncd.groupset/1", "root": "TSM Sync",
                               "source": {"region": "us", "connected_realm_id": 3678},
                               "groups": [{"path": ["Flips"], "items": items, "operations": {}}], "operations": {}})


async def store(services: Services, items: list[str]) -> None:
    made = groupset(items)
    await services.db(groups_db.store_groupset, REALM, content_hash(made), made.to_json(), "[]", datetime.now(UTC))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _nothing() -> None:
    return None


def schedule() -> Schedule:
    """A real schedule, never started: server mode serves no route that uses it."""
    async def report(job: str, problem: str) -> None:
        return None

    async def when() -> datetime:
        return datetime.now(UTC)

    return Schedule(refresh=_nothing, next_refresh=when, watch=_nothing, backups=_nothing, daily=_nothing,
                    report=report)


@dataclass
class Served:
    services: Services
    server: Server
    session: aiohttp.ClientSession
    clock: Clock
    token: str

    async def get(self, path: str, token: str | None = None, method: str = "GET", **headers: str
                  ) -> tuple[int, Any, bytes]:
        if token is None:
            token = self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(method, self.server.url + path, headers=headers) as resp:
            body = await resp.read()
            return resp.status, resp.headers, body


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    clock = Clock()
    settings = Settings(region="us")
    async with open_services(settings, tmp_path / "home", environ={"TSMSYNCD_WOW_ROOTS": str(tmp_path)}) as services:
        await store(services, ["i:2447", "i:765"])
        token, _ = await services.tokens.create("alice")
        app = build_api(services, HttpConfig(server_mode=True), schedule=schedule(), stop=lambda: None,
                        limiter=Limiter(per_token=1.0, burst=10, overall=1000, overall_burst=1000, clock=clock))
        server = await start_server(app, "127.0.0.1", 0)
        async with aiohttp.ClientSession() as session:
            yield Served(services, server, session, clock, token)
        await server.close()


def envelope(body: bytes, code: str) -> dict[str, Any]:
    doc = json.loads(body)
    assert doc["ok"] is False and doc["error"]["code"] == code, doc
    return dict(doc["error"])


async def test_a_groupset_carries_the_hash_of_its_bytes_as_etag_and_the_same_etag_answers_304_with_no_body(
        served: Served) -> None:
    status, headers, body = await served.get("/api/v1/groups/3678")
    assert status == 200 and json.loads(body)["groups"][0]["items"] == ["i:2447", "i:765"]
    etag = headers["ETag"]
    assert etag == '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    assert headers["Cache-Control"] == "private, no-cache"
    for asked in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        status, headers, again = await served.get("/api/v1/groups/3678", **{"If-None-Match": asked})
        assert status == 304 and again == b"" and headers["ETag"] == etag
    status, _, again = await served.get("/api/v1/groups/3678", **{"If-None-Match": '"stale"'})
    assert status == 200 and again == body


async def test_new_groups_make_a_new_etag(served: Served) -> None:
    _, headers, _ = await served.get("/api/v1/groups/3678")
    await store(served.services, ["i:2447"])
    status, fresh, body = await served.get("/api/v1/groups/3678", **{"If-None-Match": headers["ETag"]})
    assert status == 200 and fresh["ETag"] != headers["ETag"] and json.loads(body)["meta"]["version"] == 2


@pytest.mark.parametrize("sent", [None, "Basic YWxpY2U6eA==", "Bearer", "Bearer tsms_00000000_" + "A" * 43,
                                  "Bearer not-a-token"])
async def test_no_token_or_a_wrong_one_is_401_with_a_bearer_challenge(served: Served, sent: str | None) -> None:
    headers = {"Authorization": sent} if sent else {}
    status, got, body = await served.get("/api/v1/groups/3678", token="", **headers)
    assert status == 401 and got["WWW-Authenticate"].startswith("Bearer")
    assert envelope(body, "unauthorized")["message"]


async def test_the_daemons_api_key_gives_no_access_to_a_group_server(served: Served) -> None:
    status, _, body = await served.get("/api/v1/realms", token="", **{"X-API-Key": "k" * 43})
    assert status == 401 and "API key gives no access" in envelope(body, "unauthorized")["message"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/"), ("GET", "/index.html"), ("GET", "/static/js/app.js"), ("GET", "/api/v1/status"),
    ("POST", "/api/v1/refresh"), ("PATCH", "/api/v1/settings"), ("GET", "/api/v1/settings"),
    ("GET", "/api/v1/targets"), ("POST", "/api/v1/auth/token"), ("POST", "/api/v1/groups/custom"),
    ("GET", "/api/v1/groups/3678/preview"), ("POST", "/api/v1/logins"), ("GET", "/login/abc"),
    ("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/events"), ("DELETE", "/api/v1/rules/x"),
    ("POST", "/api/v1/groups/3678"), ("GET", "/api/v1/items"), ("GET", "/api/v1/items/i:2447/history"),
])
async def test_the_ui_and_every_write_or_daemon_route_are_not_served(served: Served, method: str, path: str) -> None:
    status, _, body = await served.get(path, method=method)
    assert status in (404, 405), (status, body)
    anonymous, _, _ = await served.get(path, token="", method=method)
    assert anonymous == 401  # without a token nobody learns which routes exist


async def test_other_machines_name_the_server_as_they_like_no_host_check(served: Served) -> None:
    status, _, _ = await served.get("/api/v1/realms", Host="guild.example.org:8443")
    assert status == 200


async def test_a_revoked_token_is_refused_from_its_next_request(served: Served) -> None:
    assert (await served.get("/api/v1/realms"))[0] == 200
    await served.services.tokens.revoke("alice")
    status, _, body = await served.get("/api/v1/realms")
    assert status == 401 and "revoked" in envelope(body, "token_revoked")["message"]


async def test_a_token_over_its_rate_is_429_with_retry_after_and_others_go_on(served: Served) -> None:
    for _ in range(10):
        assert (await served.get("/api/v1/realms"))[0] == 200
    status, headers, body = await served.get("/api/v1/realms")
    assert status == 429 and headers["Retry-After"] == "1"
    assert "try again in 1 s" in envelope(body, "rate_limited")["message"]
    bob, _ = await served.services.tokens.create("bob")
    assert (await served.get("/api/v1/realms", token=bob))[0] == 200
    served.clock.now += 1.0
    assert (await served.get("/api/v1/realms"))[0] == 200


async def test_a_tokens_own_rate_is_its_limit(served: Served) -> None:
    slow, _ = await served.services.tokens.create("slow", rate="2/h")
    assert [(await served.get("/api/v1/realms", token=slow))[0] for _ in range(2)] == [200, 200]
    status, headers, _ = await served.get("/api/v1/realms", token=slow)
    assert status == 429 and headers["Retry-After"] == "1800"


async def test_requests_and_the_realms_asked_for_are_written_when_the_server_stops(served: Served) -> None:
    await served.get("/api/v1/groups/3678")
    await served.get("/api/v1/groups/57?region=eu")
    await served.get("/api/v1/realms")
    await served.server.close()  # the cleanup writes what was counted
    record = (await served.services.tokens.all())[0]
    assert record.requests == 3 and record.last_used is not None
    asked = await served.services.db(tokens_db.requested_realms, datetime(2000, 1, 1, tzinfo=UTC))
    assert sorted(realm for realm, _ in asked) == ["eu/57", "us/3678"]


async def test_a_token_never_appears_in_a_response_or_the_log(served: Served,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen = [await served.get(path) for path in ("/api/v1/realms", "/api/v1/groups/3678", "/api/v1/nope",
                                                "/api/v1/groups/1")]
    seen.append(await served.get("/api/v1/realms", token=served.token + "x"))
    for _, headers, body in seen:
        assert served.token not in body.decode() and served.token not in str(dict(headers))
    assert served.token not in caplog.text


@pytest.mark.parametrize(("path", "field"), [("/api/v1/market-data/abc", "realm_id"),
                                             ("/api/v1/market-data/3678/raw", "item")])
async def test_market_data_is_served_to_token_holders(served: Served, path: str, field: str) -> None:
    """The read-only market-data routes exist on a group server (a bad parameter answers as it would locally)."""
    status, _, body = await served.get(path)
    assert status == 400 and json.loads(body)["error"]["field"] == field
    assert (await served.get(path, token=""))[0] == 401

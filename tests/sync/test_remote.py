"""A client's groups from a group server: the real server-mode app (its route table, tokens and limits)
on 127.0.0.1 and a client ``RemoteGroups`` on its own database, a fake clock on the client. A poll stores
a new version only when the content changed, asks with If-None-Match, validates like any input, keeps the
last good groups through every failure, backs off and honours Retry-After; a GroupSet whose root is a
group of the player's is refused by the merge, as on every merge path (issue 17)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sv_factory import render, tsm_db

from tsmsyncd.app import Services, open_services
from tsmsyncd.config import GroupSource, Settings
from tsmsyncd.db import groups as groups_db
from tsmsyncd.db import history as history_db
from tsmsyncd.db import realms as realms_db
from tsmsyncd.db.realms import RealmInfo
from tsmsyncd.db.remote import RemoteState, groups_key
from tsmsyncd.errors import GroupServerError, GroupSetError, RootError
from tsmsyncd.events import EventBus
from tsmsyncd.groups.generate import content_hash
from tsmsyncd.http.app import HttpConfig, Server, start_server
from tsmsyncd.http.ratelimit import Limiter
from tsmsyncd.http.routes import build_api
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.sync.jobs import run_job
from tsmsyncd.sync.remote import RemoteGroups, current, failed, next_poll, token_hash
from tsmsyncd.tsm.groupset import GroupSet

REALM = RealmKey("us", 3678)
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def doc(items: list[str], root: str = "TSM Sync", realm: int = 3678) -> dict[str, Any]:
    return {"format": "tsmsyncd.groupset/1", "root": root, "source": {"region": "us", "connected_realm_id": realm},
            "groups": [{"path": ["Flips"], "items": items, "operations": {}}], "operations": {}}


async def serve_groups(services: Services, document: dict[str, Any] | str) -> None:
    """Store a GroupSet on the server as its generator would (a raw string: as it is, valid or not)."""
    if isinstance(document, str):
        text, digest = document, "raw"
    else:
        made = GroupSet.from_dict(document)
        text, digest = made.to_json(), content_hash(made)
    await services.db(groups_db.store_groupset, REALM, digest, text, "[]", datetime.now(UTC))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    server_services: Services
    server: Server
    client: RemoteGroups
    db: DbWriter
    clock: Clock
    source: GroupSource
    statuses: list[int] = field(default_factory=list)

    async def stored(self) -> tuple[int, str, datetime, str] | None:
        return await self.db(groups_db.groupset_row, groups_key(REALM))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with open_services(Settings(region="us"), tmp_path / "server",
                             environ={"TSMSYNCD_WOW_ROOTS": str(tmp_path)}) as services:
        await serve_groups(services, doc(["i:2447", "i:765"]))
        token, _ = await services.tokens.create("client")
        app = build_api(services, HttpConfig(server_mode=True), schedule=None, stop=lambda: None,  # type: ignore[arg-type]
                        limiter=Limiter(per_token=100, burst=100, overall=1000, overall_burst=1000,
                                        clock=lambda: 0.0))
        server = await start_server(app, "127.0.0.1", 0)
        statuses: list[int] = []

        async def on_end(session: object, context: object, params: aiohttp.TraceRequestEndParams) -> None:
            statuses.append(params.response.status)

        trace = aiohttp.TraceConfig()
        trace.on_request_end.append(on_end)
        writer = DbWriter(tmp_path / "client.db")
        async with aiohttp.ClientSession(trace_configs=[trace]) as session:
            async def opened() -> aiohttp.ClientSession:
                return session

            clock = Clock()
            source = GroupSource(server.url, token, poll_seconds=60)
            yield World(services, server, RemoteGroups(writer, opened, EventBus(), now=clock), writer, clock, source,
                        statuses)
        writer.close()
        await server.close()


async def test_the_first_poll_stores_the_servers_groups_and_the_next_asks_with_its_etag(world: World) -> None:
    polled = await world.client.poll(REALM, world.source)
    assert polled.new_version == 1 and polled.state.error is None and polled.state.etag
    stored = await world.stored()
    assert stored is not None and GroupSet.from_json(stored[1]).groups[0].items == ("i:2447", "i:765")
    again = await world.client.poll(REALM, world.source)
    assert again.new_version is None and world.statuses == [200, 304]
    assert (await world.stored()) == stored  # nothing new was written


async def test_new_groups_on_the_server_are_a_new_version_here(world: World) -> None:
    await world.client.poll(REALM, world.source)
    await serve_groups(world.server_services, doc(["i:2447"]))
    polled = await world.client.poll(REALM, world.source)
    assert polled.new_version == 2 and world.statuses == [200, 200]


async def test_a_revoked_token_keeps_the_last_groups_says_why_once_and_backs_off(world: World) -> None:
    await world.client.poll(REALM, world.source)
    before = await world.stored()
    await world.server_services.tokens.revoke("client")
    world.clock.now += timedelta(minutes=5)
    first = await world.client.poll(REALM, world.source)
    assert "refused the token" in (first.state.error or "") and "revoked" in (first.state.error or "")
    assert first.news and first.state.failures == 1 and first.state.retry_at == world.clock.now + timedelta(minutes=2)
    assert await world.stored() == before  # the last good groups stay
    assert not await world.client.due(REALM, world.source)
    world.clock.now = first.state.retry_at  # type: ignore[assignment]
    assert await world.client.due(REALM, world.source)
    second = await world.client.poll(REALM, world.source)
    assert not second.news and second.state.failures == 2
    assert second.state.retry_at == world.clock.now + timedelta(minutes=4)


async def test_a_rate_limit_is_waited_out_as_long_as_the_server_asks(world: World) -> None:
    token, _ = await world.server_services.tokens.create("greedy", rate="1/h")
    source = replace(world.source, token=token)
    assert (await world.client.poll(REALM, source)).state.error is None
    limited = await world.client.poll(REALM, source)
    assert limited.state.error is not None and "too many requests" in limited.state.error
    assert limited.state.retry_at == world.clock.now + timedelta(seconds=3600)  # Retry-After, over the backoff
    assert next_poll(limited.state, source, world.clock.now) == world.clock.now + timedelta(hours=1)


async def test_a_server_that_is_down_leaves_the_last_groups_in_place(world: World) -> None:
    await world.client.poll(REALM, world.source)
    before = await world.stored()
    await world.server.close()
    polled = await world.client.poll(REALM, world.source)
    assert "did not answer" in (polled.state.error or "") and await world.stored() == before


@pytest.mark.parametrize(("served", "says"), [
    ('{"format": "tsmsyncd.groupset/1", "root": "TSM Sync", "groups": [{"path": ["X"], "items": ["i:abc"]}]}',
     "groups[0].items[0]"),
    (doc(["i:2447"], realm=57), "the groups of us/57, not of us/3678"),
    ('{"format": "tsmsyncd.groupset/1", "root": "TSM Sync", "groups": [], "evil": 1}', "evil"),
])
async def test_groups_that_do_not_validate_are_refused_and_the_last_good_ones_kept(
        world: World, served: dict[str, Any] | str, says: str) -> None:
    await world.client.poll(REALM, world.source)
    before = await world.stored()
    await serve_groups(world.server_services, served)
    polled = await world.client.poll(REALM, world.source)
    assert says in (polled.state.error or "") and await world.stored() == before


async def test_another_server_starts_afresh_without_the_old_etag(world: World) -> None:
    await world.client.poll(REALM, world.source)
    other = replace(world.source, url=world.source.url.replace("127.0.0.1", "localhost"))
    assert next_poll(await world.client.state(REALM), other, world.clock.now) == world.clock.now
    await world.client.poll(REALM, other)
    assert world.statuses == [200, 200]  # no If-None-Match to a server that never gave that ETag


def test_another_token_keeps_the_etag_but_not_the_old_tokens_waits() -> None:
    source = GroupSource("https://guild.example", "t" * 20, poll_seconds=60)
    waited = failed(RemoteState("us/3678", source.url, token_hash(source.token), etag='"v1"', last_checked=T0),
                    GroupServerError("busy", 429, retry_after=3600), source, T0)
    assert next_poll(waited, source, T0) == T0 + timedelta(hours=1)
    other = replace(source, token="u" * 20)
    assert next_poll(waited, other, T0) == T0
    fresh = current(waited, REALM, other)
    assert (fresh.etag, fresh.failures, fresh.retry_at) == ('"v1"', 0, None)
    assert current(waited, REALM, replace(source, url="https://other.example")).etag is None


async def test_failures_are_said_in_history_once_and_the_recovery_too(world: World) -> None:
    await world.client.pull([REALM], world.source)
    await world.server_services.tokens.revoke("client")
    for _ in range(3):
        world.clock.now += timedelta(hours=2)
        shown, error = await world.client.pull([REALM], world.source)
        assert error is not None and error.startswith("group server: ") and "revoked" in error
    assert shown["realms"][0]["failures"] == 3 and shown["url"] == world.source.url
    token, _ = await world.server_services.tokens.create("again")
    world.clock.now += timedelta(hours=2)
    shown, error = await world.client.pull([REALM], replace(world.source, token=token))
    assert error is None
    kinds = [(e.kind, e.message) for e in reversed(await world.db(history_db.entries, 50))]
    failed_entries = [m for k, m in kinds if k == "refresh.failed"]
    assert len(failed_entries) == 1 and "revoked" in failed_entries[0]
    assert any(k == "refresh" and "answers again" in m for k, m in kinds)


async def test_the_realm_list_comes_from_the_server_for_a_client_without_blizzard_credentials(
        world: World) -> None:
    found = [RealmInfo("us", 3678, 3678, "Illidan", "illidan", "America/Chicago", "enUS", ("Illidan", "伊利丹"))]
    await world.server_services.db(realms_db.save_realms, "us", found, datetime.now(UTC))
    assert await world.client.realm_lists(world.source, "us", ["retail"], max_age=3600)
    assert await world.db(realms_db.realms, "us") == found
    assert not await world.client.realm_lists(world.source, "us", ["retail"], max_age=3600)  # fresh: not again


def test_the_backoff_doubles_up_to_an_hour_and_a_retry_after_is_capped_at_a_day() -> None:
    source = GroupSource("https://guild.example", "t" * 20, poll_seconds=60)
    state = RemoteState("us/3678", source.url, last_checked=T0)
    waits = []
    for _ in range(8):
        state = failed(state, GroupServerError("down"), source, T0)
        waits.append(state.retry_at - T0)  # type: ignore[operator]
    assert waits[:3] == [timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert waits[-1] == timedelta(hours=1)
    asked = failed(state, GroupServerError("busy", 429, retry_after=10 * 86400), source, T0)
    assert asked.retry_at == T0 + timedelta(days=1)
    fine = RemoteState("us/3678", source.url, token_hash(source.token), last_checked=T0)
    assert next_poll(fine, source, T0) == T0 + timedelta(minutes=1) and next_poll(None, source, T0) == T0
    assert isinstance(failed(fine, GroupSetError("root", "bad"), source, T0).error, str)


async def test_a_servers_groupset_whose_root_is_a_players_group_is_refused_by_the_merge(tmp_path: Path) -> None:
    """The same root guard as every merge path (issue 10): a server cannot take the player's "Herbs"."""
    file = tmp_path / "WTF" / "Account" / "ME" / "SavedVariables" / "TradeSkillMaster.lua"
    file.parent.mkdir(parents=True)
    file.write_bytes(render(tsm_db()))
    before = file.read_bytes()
    async with open_services(Settings(), tmp_path / "home", games=lambda path: []) as services:
        hostile = GroupSet.from_dict(doc(["i:2447"], root="Herbs"))
        await services.db(groups_db.store_groupset, groups_key(REALM), content_hash(hostile), hostile.to_json(), "[]",
                          T0)
        with pytest.raises(RootError, match="Herbs"):
            await run_job(services, "merge", {"target_id": "t1", "file": str(file), "profile": "Default",
                                              "apply": True, "realm": str(REALM), "groups": groups_key(REALM)})
    assert file.read_bytes() == before



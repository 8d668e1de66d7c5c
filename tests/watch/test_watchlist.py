"""The live watchlist on the real daemon and the fake Blizzard server (issue 16): adding items brings the list
back and then exactly one final row per (item, realm); a realm's snapshot is fetched once for all its rows,
not again while it is fresh, and again once it changed; a failing realm spoils only its own rows; alerts
fire once and re-arm; bad input is refused naming the field, with nothing stored."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from daemon_harness import Daemon, wait_for

from tsmsyncd.blizzard.catalog import CONNECTED_REALMS, ITEMS
from tsmsyncd.blizzard.fake import FakeBlizzard

pytestmark = pytest.mark.asyncio(loop_scope="module")

EXTRA_REALMS = 4  # the fake's six real US connected realms and four made-up ones: ten houses
REALMS = [c.id for c in CONNECTED_REALMS["us"]] + [20_000 + n for n in range(1, EXTRA_REALMS + 1)]
REALM_ITEMS = [i.id for i in ITEMS if i.kind in ("gear", "pet_item")]
_AUCTIONS = re.compile(r"/data/wow/connected-realm/(\d+)/auctions$")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def daemon(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Daemon]:
    async with FakeBlizzard(commodity_rows=2000, realm_rows=3000, extra_realms=EXTRA_REALMS) as fake:
        assert fake.realm_ids("us") == REALMS
        d = Daemon(tmp_path_factory.mktemp("watch"), fake)
        await d.start()
        await wait_for(lambda: _idle(d), 120, "the start-up refresh to end")
        yield d
        if d.proc is not None and d.proc.returncode is None:
            d.proc.kill()
            await d.proc.wait()
        await d.close_session()


async def _idle(d: Daemon) -> bool:
    status, body = await d.api("GET", "/api/v1/status")
    return status == 200 and body["state"] != "refreshing" and not body["jobs_running"]


class Socket:
    """The events WebSocket, collecting what arrives."""

    def __init__(self, d: Daemon) -> None:
        self.d, self.events = d, []  # type: list[dict[str, Any]]

    async def __aenter__(self) -> Socket:
        assert self.d.session is not None
        url = self.d.info["url"].replace("http://", "ws://") + "/api/v1/events"
        self.ws = await self.d.session.ws_connect(url, headers={"X-API-Key": self.d.info["api_key"]})
        assert (await self.ws.receive_json(timeout=10))["type"] == "status"
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for msg in self.ws:
            self.events.append(msg.json())

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()
        await self.task

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e["data"] for e in self.events if e["type"] == kind]

    def final(self, ids: set[int]) -> list[dict[str, Any]]:
        return [r for r in self.of("watch.update") if r["id"] in ids and r["status"] != "checking"]


def auction_requests(fake: FakeBlizzard, since: int) -> list[int]:
    return [int(m.group(1)) for r in fake.requests[since:] if (m := _AUCTIONS.search(r.path))]


async def clear(d: Daemon) -> None:
    _, listed = await d.api("GET", "/api/v1/watchlist")
    for item in listed["items"]:
        assert (await d.api("DELETE", f"/api/v1/watchlist/{item['id']}"))[0] == 200


async def test_fifty_items_on_ten_realms_cost_one_snapshot_per_realm_and_none_while_fresh(daemon: Daemon) -> None:
    await clear(daemon)
    assert len(REALMS) == 10
    items = [{"item": f"i:{n}", "max_price": "9999g", "realms": REALMS} for n in REALM_ITEMS[:50]]
    mark = len(daemon.fake.requests)
    async with Socket(daemon) as socket:
        status, body = await daemon.api("POST", "/api/v1/watchlist", {"items": items})
        assert status == 201 and len(body["items"]) == 50
        ids = {i["id"] for i in body["items"]}
        await wait_for(lambda: _count(socket.final(ids), 50 * len(REALMS)), 120, "a final row per (item, realm)")
        rows = socket.of("watch.rows")
        assert rows and {i["id"] for i in rows[-1]["items"]} == ids  # the list first...
        first_row = next(n for n, e in enumerate(socket.events) if e["type"] == "watch.update")
        assert any(e["type"] == "watch.rows" for e in socket.events[:first_row])  # ...then the rows
    finals = socket.final(ids)
    assert len({(r["id"], r["realm"]) for r in finals}) == len(finals) == 50 * len(REALMS)  # exactly one each
    assert {r["status"] for r in finals} <= {"available", "none"}, [r["reason"] for r in finals[:2]]
    assert any(r["status"] == "available" for r in finals)
    assert sorted(auction_requests(daemon.fake, mark)) == sorted(REALMS)  # one per realm, not per item
    mark = len(daemon.fake.requests)
    async with Socket(daemon) as socket:
        assert (await daemon.api("POST", "/api/v1/watchlist/check", {}))[0] == 202
        await wait_for(lambda: _count(socket.final(ids), 50 * len(REALMS)), 60, "the warm check")
    assert auction_requests(daemon.fake, mark) == []  # fresh for 30 minutes: nothing asked


async def test_a_new_snapshot_is_fetched_again_and_rechecked_by_itself(daemon: Daemon) -> None:
    await clear(daemon)
    status, entry = await daemon.api("POST", "/api/v1/watchlist",
                                     {"item": f"i:{REALM_ITEMS[0]}", "max_price": "9999g", "realms": REALMS[:2]})
    assert status == 201
    async with Socket(daemon) as socket:
        await wait_for(lambda: _count(socket.final({entry["id"]}), 2), 60, "the first check")
    daemon.fake.advance()  # Blizzard publishes the next hour
    mark = len(daemon.fake.requests)
    async with Socket(daemon) as socket:
        assert (await daemon.api("POST", "/api/v1/refresh"))[0] == 202
        # the refresh stores the new snapshots; the watchlist sees them newer than its cache and checks again
        await wait_for(lambda: _count(socket.final({entry["id"]}), 2), 120, "the check after the refresh")
    watched = [r for r in auction_requests(daemon.fake, mark) if r in REALMS[:2]]
    assert sorted(set(watched)) == sorted(REALMS[:2]) and len(watched) == 4  # the refresh's, then the watch's


async def test_a_realm_that_fails_spoils_only_its_own_rows(daemon: Daemon) -> None:
    await clear(daemon)
    bad, good = REALMS[2], REALMS[3]
    daemon.fake.fault("500", count=None, path=f"/connected-realm/{bad}/auctions")
    try:
        async with Socket(daemon) as socket:
            status, body = await daemon.api("POST", "/api/v1/watchlist", {"items": [
                {"item": f"i:{n}", "max_price": "9999g", "realms": [bad, good]} for n in REALM_ITEMS[:3]]})
            ids = {i["id"] for i in body["items"]}
            await wait_for(lambda: _count(socket.final(ids), 6), 180, "every row, the failing realm's too")
    finally:
        daemon.fake.clear_faults()
    by_realm = {r["realm"]: r for r in socket.final(ids)}
    assert all(r["status"] == "error" and "500" in r["reason"] for r in socket.final(ids) if r["realm"] == bad)
    assert by_realm[good]["status"] in ("available", "none")


async def test_an_alert_fires_once_and_again_only_after_the_price_was_out_of_reach(daemon: Daemon) -> None:
    await clear(daemon)
    async with Socket(daemon) as socket:  # open before the add: its check may end before a later connect
        status, entry = await daemon.api("POST", "/api/v1/watchlist", {
            "item": f"i:{REALM_ITEMS[1]}", "max_price": "99999g", "realms": [REALMS[0]]})
        assert status == 201
        path = f"/api/v1/watchlist/{entry['id']}"

        async def checked(socket: Socket, n: int) -> None:
            await wait_for(lambda: _count(socket.final({entry["id"]}), n), 60, "the check")

        await checked(socket, 1)
        assert socket.final({entry["id"]})[0]["status"] == "available"
        await daemon.api("POST", "/api/v1/watchlist/check", {"id": entry["id"]})
        await checked(socket, 2)
        await daemon.api("PATCH", path, {"max_price": "1c"})  # out of reach: re-armed
        await checked(socket, 3)
        await daemon.api("PATCH", path, {"max_price": "99999g"})  # back in reach: fires again
        await checked(socket, 4)
        await asyncio.sleep(0.5)
    alerts = [a for a in socket.of("watch.alert") if a["id"] == entry["id"]]
    assert len(alerts) == 2 and alerts[0]["message"].startswith(f"i:{REALM_ITEMS[1]} is up for ")
    _, history = await daemon.api("GET", "/api/v1/history?kind=watch.alert&limit=10")
    assert len([e for e in history["entries"] if e["data"]["id"] == entry["id"]]) == 2


async def test_adding_an_item_again_merges_it_and_the_socket_takes_the_same_messages(daemon: Daemon) -> None:
    await clear(daemon)
    item = f"i:{REALM_ITEMS[2]}"
    _, first = await daemon.api("POST", "/api/v1/watchlist", {"item": item, "max_price": "50g", "realms": [4]})
    async with Socket(daemon) as socket:
        await socket.ws.send_json({"type": "watch.add", "data": {"item": item, "max_price": "40g", "realms": [5],
                                                                 "amount": 3}})
        await wait_for(lambda: _count(socket.of("watch.rows"), 1), 30, "the merged list")
        await socket.ws.send_json({"type": "watch.add", "data": {"item": "x:1", "max_price": "1g"}})
        await wait_for(lambda: _count([e for e in socket.events if e["type"] == "error"], 1), 30, "the refusal")
    merged = socket.of("watch.rows")[-1]["items"]
    assert [(m["id"], m["realms"], m["max_price"], m["amount"]) for m in merged] == [(first["id"], [4, 5], 400000, 3)]
    refusal = next(e for e in socket.events if e["type"] == "error")
    assert refusal["error"]["field"] == "item"


@pytest.mark.parametrize(("body", "field"), [
    ({"item": "i:abc", "max_price": "1g", "realms": [4]}, "item"),
    ({"item": "x:12", "max_price": "1g", "realms": [4]}, "item"),
    ({"item": "i:2447", "max_price": "1g", "realms": [4], "amount": -1}, "amount"),
    ({"item": "i:2447", "max_price": "12x", "realms": [4]}, "max_price"),
    ({"item": "i:2447", "max_price": "1g", "realms": list(range(1, 601))}, "realms"),
    ({"items": [{"item": f"i:{n}", "max_price": "1g", "realms": [4]} for n in range(1, 10_001)]}, "items"),
    ({"items": [{"item": "i:2447", "max_price": "1g", "realms": [4]}, {"item": "i:2449"}]}, "items[1].max_price"),
    ({"item": "i:2447", "max_price": "1g", "realms": [4], "specs": {"min_quality": 9}}, "specs.min_quality"),
])
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    daemon: Daemon, body: dict[str, Any], field: str
) -> None:
    await clear(daemon)
    status, answer = await daemon.api("POST", "/api/v1/watchlist", body)
    assert status == 400 and answer["error"]["field"] == field, answer
    assert (await daemon.api("GET", "/api/v1/watchlist"))[1] == {"items": []}


def _count(rows: list[Any], n: int) -> Any:
    async def enough() -> bool:
        return len(rows) >= n
    return enough()

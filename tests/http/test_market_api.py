"""The market-data routes of the real daemon (``tsmsyncd run --headless`` on a sandbox install, the fake Blizzard
server, hourly refreshes (``warm``)): every number is the one ``tsmsyncd market show/list --json`` prints for the same
item and realm; pages, sorts and searches add up; the raw rows page back without a gap; unknown realms are 404
and bad parameters 400 naming the parameter; and the daemon still holds no pandas (the query worker does)."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from clirun import tsmsyncd
from daemon_harness import Daemon, warm

from tsmsyncd.blizzard.fake import FakeBlizzard

pytestmark = pytest.mark.asyncio(loop_scope="module")

INFO_KEYS = ("quality", "item_class", "item_subclass")  # what the API adds to `market show --json`
MONEY = ("min_buyout", "market_value", "market_value_14d")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def daemon(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Daemon]:
    async with FakeBlizzard(commodity_rows=1500, realm_rows=1000) as fake:
        d = Daemon(tmp_path_factory.mktemp("market"), fake)
        await d.start()
        await warm(d)
        yield d
        if d.proc is not None and d.proc.returncode is None:
            d.proc.kill()
            await d.proc.wait()
        await d.close_session()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def realm(daemon: Daemon) -> int:
    """A retail realm the daemon refreshed (its own auctions and the region's commodities)."""
    return next(int(t["realm"]["connected_realm_id"]) for t in await daemon.targets()
                if t["flavor"] == "retail" and t["realm"])


async def get(d: Daemon, path: str, status: int = 200) -> Any:
    got, body = await d.api("GET", path)
    assert got == status, (path, got, body)
    return body


async def market_show(d: Daemon, item: str, realm: int) -> dict[str, Any]:
    code, out, err = await tsmsyncd(d.env, "market", "show", item, "--realm", str(realm), "--json")
    assert code == 0, err
    return dict(json.loads(out))


def without_info(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in INFO_KEYS}


async def every_item(d: Daemon, realm: int, query: str = "") -> list[dict[str, Any]]:
    page = await get(d, f"/api/v1/market-data/{realm}?limit=1000{query}")
    assert page["total"] == len(page["items"]) <= 1000
    return list(page["items"])


# -- the numbers are the CLI's --------------------------------------------------------------------------


async def test_each_item_is_what_market_show_prints(daemon: Daemon, realm: int) -> None:
    page = await get(daemon, f"/api/v1/market-data/{realm}?limit=1000&sort=item")
    assert page["realm"] == f"us/{realm}" and page["status"]["listed"] is True
    assert page["status"]["realm_snapshot"] and page["status"]["commodities_snapshot"]
    kinds = {row["sales"]["kind"]: row for row in page["items"]}
    assert set(kinds) == {"realm", "commodities"}, "the realm's own auctions and the region's commodities"
    busiest = max(page["items"], key=lambda r: r["sales"]["sold"] or 0)
    for row in (kinds["realm"], kinds["commodities"], busiest):
        assert without_info(row) == await market_show(daemon, row["item"], realm)
        assert all(type(row[k]) is int for k in MONEY), "money is integer copper"
    named = next(r for r in page["items"] if r["name"])
    assert type(named["item_class"]) is int and named["quality"]


async def test_the_whole_list_is_what_market_list_prints(daemon: Daemon, realm: int) -> None:
    code, out, err = await tsmsyncd(daemon.env, "market", "list", "--realm", str(realm), "--json")
    assert code == 0, err
    listed = json.loads(out)
    shown = await every_item(daemon, realm, "&sort=item")
    assert [without_info(r) for r in shown] == listed["items"] and listed["realm"] == f"us/{realm}"


async def test_an_items_history_is_its_stored_rows_and_its_metrics_now(daemon: Daemon, realm: int) -> None:
    item = (await get(daemon, f"/api/v1/market-data/{realm}?limit=1&sort=-sold"))["items"][0]
    history = await get(daemon, f"/api/v1/items/{item['item']}/history?realm={realm}")
    show = await market_show(daemon, item["item"], realm)
    assert history["item"] == item["item"] and history["name"] == item["name"] == show["name"]
    assert without_info(history["market"]) == show and history["value_14d"] == show["market_value_14d"]
    assert history["source"] == show["source"]
    hourly = history["hourly"]
    assert len(hourly) >= 3 and [h["at"] for h in hourly] == sorted(h["at"] for h in hourly), "oldest first"
    newest = hourly[-1]
    assert newest["at"] == show["snapshot_time"]
    assert {k: newest[k] for k in ("min_buyout", "market_value", "quantity", "auctions")} == \
        {k: show[k] for k in ("min_buyout", "market_value", "quantity", "auctions")}
    assert sum(h["sold"] or 0 for h in hourly) == show["sales"]["sold"], "the window's sales are the hours' sum"
    (day,) = history["daily"]  # the fake market's hours lie in one day
    assert day["scans"] == len(hourly) and day["min_buyout"] == min(h["min_buyout"] for h in hourly)
    assert day["market_value"] == show["market_value_14d"], "one day: the 14-day value is that day's"
    assert day["quantity"] == math.floor(sum(h["quantity"] for h in hourly) / len(hourly) + 0.5)


async def test_an_item_with_no_data_has_an_empty_history(daemon: Daemon, realm: int) -> None:
    history = await get(daemon, f"/api/v1/items/999999/history?realm={realm}")
    assert history == {**history, "item": "i:999999", "hourly": [], "daily": [], "market": None, "value_14d": None}


async def test_a_classic_realm_lists_its_houses(daemon: Daemon) -> None:
    classic = next(t for t in await daemon.targets() if t["flavor"] == "classic-era" and t["realm"])
    number = classic["realm"]["connected_realm_id"]
    page = await get(daemon, f"/api/v1/market-data/{number}?flavor=classic-era&limit=5")
    assert page["realm"] == f"us/classic-era/{number}" and page["items"]
    assert {r["sales"]["kind"] for r in page["items"]} == {"house"}


# -- pages, sorts and searches ---------------------------------------------------------------------------


async def test_pages_add_up_to_the_whole_list(daemon: Daemon, realm: int) -> None:
    whole = await every_item(daemon, realm, "&sort=-sold_per_day")
    seen: list[dict[str, Any]] = []
    for offset in range(0, len(whole) + 100, 100):
        page = await get(daemon, f"/api/v1/market-data/{realm}?limit=100&offset={offset}")  # the default sort
        assert page["total"] == len(whole) and page["offset"] == offset and page["limit"] == 100
        seen += page["items"]
    assert seen == whole


@pytest.mark.parametrize("column", ["min_buyout", "-market_value_14d", "-sold_per_day", "quantity", "name"])
async def test_a_sort_orders_by_its_column_with_missing_values_last(daemon: Daemon, realm: int, column: str) -> None:
    rows = await every_item(daemon, realm, f"&sort={column}")
    key = column.lstrip("-")

    def value(row: dict[str, Any]) -> Any:
        if key == "sold_per_day":
            return row["sales"]["per_day"]
        return row[key].casefold() if key == "name" and row[key] else row[key]

    values = [value(r) for r in rows]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present))
    assert present == sorted(present, reverse=column.startswith("-")) and len(set(present)) > 1


async def test_q_finds_items_by_any_part_of_the_name_or_by_id(daemon: Daemon, realm: int) -> None:
    whole = await every_item(daemon, realm, "&sort=item")
    named = next(r for r in whole if r["name"] and " " in r["name"])
    word = named["name"].split()[-1]
    found = await every_item(daemon, realm, f"&sort=item&q={word.upper()}")
    assert found == [r for r in whole if r["name"] and word.casefold() in r["name"].casefold()]
    assert await every_item(daemon, realm, f"&q={named['item']}") == [named]
    assert await every_item(daemon, realm, f"&q={named['item'][2:]}") == [named]
    assert await every_item(daemon, realm, "&q=no%20such%20item%20anywhere") == []


async def test_items_are_found_by_name_or_id_best_first(daemon: Daemon, realm: int) -> None:
    named = next(r for r in await every_item(daemon, realm, "&sort=item") if r["name"])
    found = (await get(daemon, f"/api/v1/items?q={named['name'][1:-1].lower()}"))["items"]
    assert {"item": named["item"], "name": named["name"], "quality": named["quality"],
            "item_class": named["item_class"]} in found
    exact = (await get(daemon, f"/api/v1/items?q={named['name']}&limit=1"))["items"]
    assert [i["name"] for i in exact] == [named["name"]]
    assert (await get(daemon, f"/api/v1/items?q={named['item']}"))["items"][0]["item"] == named["item"]
    assert len((await get(daemon, "/api/v1/items?q=e&limit=3"))["items"]) == 3


# -- the raw rows ----------------------------------------------------------------------------------------


async def test_raw_rows_page_back_to_the_first_snapshot_without_a_gap(daemon: Daemon, realm: int) -> None:
    item = (await get(daemon, f"/api/v1/market-data/{realm}?limit=1&sort=-sold"))["items"][0]["item"]
    whole = await get(daemon, f"/api/v1/market-data/{realm}/raw?item={item}&limit=2000")
    assert whole["next_before"] is None and len(whole["rows"]) >= 3
    history = await get(daemon, f"/api/v1/items/{item}/history?realm={realm}")
    assert [{k: v for k, v in r.items() if k not in ("item", "source")} for r in reversed(whole["rows"])] == \
        history["hourly"]
    assert {r["source"] for r in whole["rows"]} == {history["source"]} and {r["item"] for r in whole["rows"]} == {item}
    paged: list[dict[str, Any]] = []
    before = ""
    while True:
        page = await get(daemon, f"/api/v1/market-data/{realm}/raw?item={item}&limit=1{before}")
        paged += page["rows"]
        if page["next_before"] is None:
            break
        assert page["next_before"] == page["rows"][-1]["at"]
        before = f"&before={page['next_before']}"
    assert paged == whole["rows"]


# -- refusals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/market-data/999999", "/api/v1/market-data/999999/raw?item=i:2447",
                                  "/api/v1/items/i:2447/history?realm=999999"])
async def test_an_unknown_realm_is_not_found(daemon: Daemon, path: str) -> None:
    body = await get(daemon, path, 404)
    assert body["ok"] is False and body["error"]["code"] == "not_found" and "999999" in body["error"]["message"]


@pytest.mark.parametrize(("query", "field"), [
    ("/market-data/{realm}?limit=0", "limit"), ("/market-data/{realm}?limit=abc", "limit"),
    ("/market-data/{realm}?offset=-1", "offset"), ("/market-data/{realm}?sort=price", "sort"),
    ("/market-data/{realm}?flavor=tbc", "flavor"), ("/market-data/{realm}?region=cn", "region"),
    ("/market-data/abc", "realm_id"), ("/market-data/{realm}/raw", "item"),
    ("/market-data/{realm}/raw?item=peacebloom", "item"), ("/market-data/{realm}/raw?item=i:2447&limit=9999", "limit"),
    ("/market-data/{realm}/raw?item=i:2447&before=yesterday", "before"),
    ("/items/i:abc/history?realm={realm}", "item"), ("/items/i:2447:1:2/history?realm={realm}", "item"),
    ("/items/i:2447/history", "realm"), ("/items/i:2447/history?realm=x", "realm"),
    ("/items", "q"), ("/items?q=%20", "q"), ("/items?q=dust&limit=1000", "limit"),
])
async def test_a_bad_parameter_is_refused_naming_it(daemon: Daemon, realm: int, query: str, field: str) -> None:
    body = await get(daemon, "/api/v1" + query.format(realm=realm), 400)
    assert body["error"]["code"] == "invalid_field" and body["error"]["field"] == field, body


async def test_the_daemon_leaves_pandas_to_the_query_worker(daemon: Daemon, realm: int) -> None:
    await get(daemon, f"/api/v1/market-data/{realm}?limit=5")
    await get(daemon, "/api/v1/items?q=dust")
    assert daemon.proc is not None
    maps = Path(f"/proc/{daemon.proc.pid}/maps")
    if not maps.exists():
        pytest.skip("needs /proc")
    text = maps.read_text()
    assert "/numpy/" not in text and "/pandas/" not in text


async def test_a_new_snapshot_is_seen_by_the_next_page(daemon: Daemon, realm: int) -> None:
    """The query worker keeps a realm's records between pages, until a refresh stores a newer snapshot."""
    before = await get(daemon, f"/api/v1/market-data/{realm}?limit=1&sort=item")
    daemon.fake.advance()
    await warm(daemon, 1)
    after = await get(daemon, f"/api/v1/market-data/{realm}?limit=1&sort=item")
    assert after["status"]["realm_snapshot"] > before["status"]["realm_snapshot"]
    (row,) = after["items"]
    assert without_info(row) == await market_show(daemon, row["item"], realm) != without_info(before["items"][0])

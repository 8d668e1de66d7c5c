"""Refreshing market data from the fake Blizzard server into SQLite: new snapshots are stored by their
Last-Modified, unchanged ones cost one 304, and every kind of failure leaves the last good data exactly as
it was while the error is reported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from tsmsyncd.blizzard.client import BlizzardClient, Credentials
from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.blizzard.fakemarket import HouseKey
from tsmsyncd.blizzard.ratelimit import RetryPolicy
from tsmsyncd.db import items as idb
from tsmsyncd.db import market as mdb
from tsmsyncd.db import realms as rdb
from tsmsyncd.market.sources import RealmKey, Source
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.sync.refresh import Refresher

REALM = 4


@pytest.fixture
async def fake() -> AsyncIterator[FakeBlizzard]:
    async with FakeBlizzard(commodity_rows=2000, realm_rows=1500) as server:
        yield server


@pytest.fixture
def db(tmp_path: Path):
    writer = DbWriter(tmp_path / "tsmsyncd.db")
    yield writer
    writer.close()


@pytest.fixture
async def refresher(fake: FakeBlizzard, db: DbWriter) -> AsyncIterator[Refresher]:
    async def no_wait(seconds: float) -> None:
        return None

    async with aiohttp.ClientSession() as session:
        client = BlizzardClient(session, Credentials("fake-client-id", "fake-client-secret"), api_url=fake.api_url,
                                oauth_url=fake.oauth_url, retry=RetryPolicy(attempts=2), sleep=no_wait, timeout=1.0)
        yield Refresher(client, db, now=lambda: fake.now + timedelta(minutes=3))


async def first_item(db: DbWriter, fake: FakeBlizzard) -> str:
    frame = await db(mdb.latest_metrics, [Source("us", "realm", REALM)], fake.now)
    return str(frame["item"].iloc[0])


async def test_a_new_snapshot_is_stored_then_the_next_check_costs_a_304(refresher, fake, db) -> None:
    first = await refresher.refresh("us", [REALM])
    assert [(o.source.key, o.status) for o in first] == [("us/commodities", "updated"), ("us/realm/4", "updated")]
    assert all(o.snapshot_time == fake.now and o.auctions and o.items for o in first)
    again = await refresher.refresh("us", [REALM])
    assert [o.status for o in again] == ["not-modified", "not-modified"]
    assert fake.requests[-1].status == 304


async def test_the_third_snapshot_brings_a_sales_estimate(refresher, fake, db) -> None:
    """The first hourly pair only learns how long each auction has left; the second pair is counted."""
    for _ in range(2):
        await refresher.refresh("us", [REALM])
        fake.advance()
    outcomes = await refresher.refresh("us", [REALM])
    assert all(o.status == "updated" and o.snapshot_time == fake.now for o in outcomes)
    assert all(o.sold_units is not None and o.sold_units > 0 for o in outcomes)  # the fake's market sells


@pytest.mark.parametrize("fault", ["500", "503", "429", "slow", "invalid_json", "wrong_shape", "truncated"])
async def test_a_failure_keeps_the_last_good_data_and_is_reported(refresher, fake, db, fault) -> None:
    await refresher.refresh("us", [REALM])
    item = await first_item(db, fake)
    before = await db(mdb.item_market, item, RealmKey("us", REALM), fake.now)
    fake.advance()
    fake.fault(fault, count=None, path="/connected-realm/4/auctions", mode="short", delay=2.0)
    outcomes = {o.source.key: o for o in await refresher.refresh("us", [REALM])}
    assert outcomes["us/commodities"].status == "updated"  # one bad source does not stop the others
    failed = outcomes["us/realm/4"]
    assert failed.status == "error" and failed.error
    assert await db(mdb.item_market, item, RealmKey("us", REALM), fake.now) == before
    state = await db(mdb.source_state, Source("us", "realm", REALM))
    assert state.last_error == failed.error and state.last_modified is not None


async def test_a_snapshot_that_stops_updating_is_only_ever_not_modified(refresher, fake, db) -> None:
    await refresher.refresh("us", [REALM])
    fake.fault("stale", count=None, path="/connected-realm/4/auctions")
    fake.advance(2)
    outcomes = {o.source.key: o.status for o in await refresher.refresh("us", [REALM])}
    assert outcomes == {"us/commodities": "updated", "us/realm/4": "not-modified"}


async def test_the_realm_list_is_stored_with_names(refresher, db) -> None:
    realms = await refresher.realm_list("us")
    assert {r.name for r in realms if r.connected_realm_id == REALM} == {"Kilrogg", "Winterhoof"}
    stored = await db(rdb.realms, "us")
    assert set(stored) == set(realms)


async def test_classic_refreshes_each_faction_house(refresher, fake) -> None:
    outcomes = await refresher.refresh("us", [REALM], flavor="classic-era")
    assert sorted(o.source.key for o in outcomes) == ["us/realm/4/house/2", "us/realm/4/house/6", "us/realm/4/house/7"]
    assert all(o.status == "updated" for o in outcomes)


async def test_progress_names_each_source_as_its_fetch_starts(refresher, fake) -> None:
    """What the UI shows while a refresh runs: "fetching Kil'jaeden… (3/6)"; realm names come from the stored
    realm index (a realm without one is "realm 4")."""
    heard: list[tuple[str, int, int]] = []
    await refresher.refresh("us", [REALM], progress=lambda *step: heard.append(step))
    assert {what for what, _, _ in heard} == {"realm 4", "the us commodities"}
    assert sorted(n for _, n, _ in heard) == [1, 2] and {total for _, _, total in heard} == {2}
    await refresher.realm_list("us")
    await refresher.realm_list("us", "classic-era")
    heard.clear()
    await refresher.refresh("us", [REALM, 9], progress=lambda *step: heard.append(step))
    assert {what for what, _, _ in heard} == {"the us commodities", "Kilrogg / Winterhoof", "Kil'jaeden"}
    assert sorted(n for _, n, _ in heard) == [1, 2, 3] and {total for _, _, total in heard} == {3}
    heard.clear()
    await refresher.refresh("us", [REALM], flavor="classic-era", progress=lambda *step: heard.append(step))
    assert {what for what, _, _ in heard} == {f"Kilrogg / Winterhoof ({house})" for house in ("Alliance", "Horde",
                                                                                                "neutral")}


async def test_item_names_and_classes_are_fetched_once_for_items_seen(refresher, fake, db) -> None:
    await refresher.refresh("us", [REALM])
    fetched, failed = await refresher.fill_item_info("us", limit=25)
    assert fetched + failed == 25 and fetched > 0
    asked = [r for r in fake.requests if "/data/wow/item/" in r.path]
    assert all(r.headers["Battlenet-Namespace"] == "static-us" for r in asked)
    again, _ = await refresher.fill_item_info("us", limit=25)
    already = {int(r.path.rsplit("/", 1)[1]) for r in asked if r.status == 200}
    infos = await db(idb.item_info, sorted(already))
    assert set(infos) == already and all(i.name and i.item_class >= 0 for i in infos.values())
    later = [r for r in fake.requests if "/data/wow/item/" in r.path][len(asked):]
    assert not {int(r.path.rsplit("/", 1)[1]) for r in later} & already  # each item is asked for once


async def test_hours_of_refreshes_give_estimates_over_a_window_ending_at_the_newest_snapshot(
    refresher, fake, db
) -> None:
    """Six hourly snapshots of the real fake: the first pair only learns each auction's deadline, the next four
    are counted. Each source's window holds those four hours and ends at its newest snapshot, each item is
    estimated by its source's rules, and the totals are near what the fake market really sold."""
    for hour in range(6):
        if hour:
            fake.advance()
        outcomes = await refresher.refresh("us", [REALM])
        assert all(o.status == "updated" for o in outcomes)
        assert all((o.sold_units is None) == (hour < 2) for o in outcomes), hour
    listed = await db(mdb.realm_market, RealmKey("us", REALM), fake.now)
    assert {m.sales.window_hours for m in listed} == {4.0} and {m.sales.window_end for m in listed} == {fake.now}
    assert {m.source.kind: m.sales.kind for m in listed} == {"commodities": "commodities", "realm": "realm"}
    assert all(m.sales.extrapolated and m.sales.confidence == "low" for m in listed)
    houses = {"commodities": HouseKey("commodities", "us"), "realm": HouseKey("realm", "us", "retail", REALM)}
    for kind, key in houses.items():
        truth = sum(int(fake.truth(key, hour).sold.sum()) for hour in (2, 3, 4, 5))
        estimate = sum(m.sales.sold or 0 for m in listed if m.source.kind == kind)
        assert truth > 0 and abs(estimate / truth - 1) < 0.25, (kind, estimate, truth)


async def test_no_estimate_is_made_across_a_gap_of_more_than_two_hours(refresher, fake, db) -> None:
    """Across the gap nothing is counted, and the hour after it learns the deadlines again."""
    await refresher.refresh("us", [REALM])
    fake.advance(3)
    for _ in range(2):
        assert [o.sold_units for o in await refresher.refresh("us", [REALM])] == [None, None]
        fake.advance()
    assert all(o.sold_units is not None for o in await refresher.refresh("us", [REALM]))
    shown = await db(mdb.item_market, await first_item(db, fake), RealmKey("us", REALM), fake.now)
    assert shown.sales.window_hours == 1.0  # the gap is no part of the window


async def test_items_blizzard_answers_404_for_are_not_asked_again_for_a_week(refresher, fake, db) -> None:
    await refresher.refresh("us", [REALM])
    seen = await db(idb.items_without_info, 500, fake.now)
    fake.missing_items = set(seen[:5])

    def asked() -> list[int]:
        return [int(r.path.rsplit("/", 1)[1]) for r in fake.requests if "/data/wow/item/" in r.path]

    fetched, failed = await refresher.fill_item_info("us", limit=500)
    first = asked()
    assert set(seen[:5]) <= set(first) and failed >= 5 and fetched > 0
    fake.missing_items.clear()  # Blizzard has them now, but we do not ask again so soon
    await refresher.fill_item_info("us", limit=500)
    assert not set(asked()[len(first):]) & set(seen[:5])
    fake.advance(24 * 7 + 1)  # a week later (the refresher's clock follows the fake's)
    again, _ = await refresher.fill_item_info("us", limit=500)
    assert set(seen[:5]) <= set(asked()) and again >= 5
    infos = await db(idb.item_info, seen[:5])
    assert sorted(infos) == sorted(seen[:5])

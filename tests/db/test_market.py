"""The market database: snapshots by Last-Modified, one transaction each, sales only between consecutive
snapshots over a window that ends at the source's newest snapshot, the stored index and its old format,
retention, and the 14-day value with TSM's weights — on a real SQLite file."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsmsyncd.db import items as idb
from tsmsyncd.db import market as mdb
from tsmsyncd.db import realms as rdb
from tsmsyncd.db.realms import RealmInfo
from tsmsyncd.db.schema import MIGRATIONS, Database
from tsmsyncd.market.auctions import AuctionIndex
from tsmsyncd.market.ingest import Snapshot, item_code
from tsmsyncd.market.items import ItemInfo
from tsmsyncd.market.metrics import WEIGHTS
from tsmsyncd.market.sales import WARM_HISTORY, sales_since
from tsmsyncd.market.sales_report import as_kind
from tsmsyncd.market.sources import RealmKey, Source

T0 = datetime(2026, 11, 1, 12, 26, tzinfo=UTC)
REALM = Source("us", "realm", 4)


def snapshot(listings: list[tuple[int, str, int, int, bool]], history: int = WARM_HISTORY) -> Snapshot:
    """(auction id, item, quantity, unit price, short) rows → a Snapshot as ingest makes them (a listing that is
    not SHORT is LONG: up to 12 hours left). Its index is warm by default (as if ``history`` earlier snapshots
    had narrowed its deadlines), so that the next pair is counted: these tests are about storing, not warming."""
    frame = pd.DataFrame(listings, columns=["id", "item", "quantity", "price", "short"])
    items = frame.groupby("item").agg(min_buyout=("price", "min"), quantity=("quantity", "sum"),
                                      auctions=("id", "count"))
    items["market_value"] = items["min_buyout"]
    items = items[["min_buyout", "market_value", "quantity", "auctions"]].astype("Int64")
    items.index.name = "item"
    short = frame["short"].to_numpy(dtype=bool)
    index = AuctionIndex(frame["id"].to_numpy(np.int64), np.array([item_code(i) for i in frame["item"]], np.int64),
                         frame["quantity"].to_numpy(np.int64), short, price=frame["price"].to_numpy(np.int64),
                         deadline=np.where(short, 30, 720), history=history)
    return Snapshot(items.sort_index(), index, len(frame))


def record(db: Database, at: datetime, listings, source: Source = REALM, history: int = WARM_HISTORY):
    """Store a snapshot as the refresh flow does: the sales estimate against the stored index first."""
    current = snapshot(listings, history)
    previous = mdb.previous_index(db, source)
    sales = sales_since(previous.index if previous else None, previous.at if previous else None, current.index, at,
                        as_kind(source.kind))
    return mdb.record_snapshot(db, source, at, at.strftime("%a, %d %b %Y %H:%M:%S GMT"), at + timedelta(minutes=3),
                               current, sales)


@pytest.fixture
def db(tmp_path: Path):
    database = Database(tmp_path / "tsmsyncd.db")
    yield database
    database.close()


def test_migrations_run_once_and_reopening_keeps_the_data(tmp_path: Path) -> None:
    first = Database(tmp_path / "x.db")
    record(first, T0, [(1, "i:2447", 5, 100, False)])
    first.close()
    again = Database(tmp_path / "x.db")
    names = [r[0] for r in again.conn.execute("select name from _migrations order by name")]
    assert names == sorted(name for name, _ in MIGRATIONS) and "0005_sales_missing_items" in names
    assert mdb.source_state(again, REALM).snapshots == 1
    again.close()


def test_a_snapshot_is_keyed_by_last_modified_and_storing_it_twice_changes_nothing(db: Database) -> None:
    first = record(db, T0, [(1, "i:2447", 5, 100, False)])
    assert not first.stale and first.items == 1 and first.auctions == 1 and first.sold_units is None
    again = record(db, T0, [(1, "i:2447", 5, 999, False)])
    assert again.stale and again.snapshot_id == first.snapshot_id
    assert mdb.item_market(db, "i:2447", RealmKey("us", 4), T0).min_buyout == 100
    assert mdb.source_state(db, REALM).last_modified == "Sun, 01 Nov 2026 12:26:00 GMT"


def test_sales_are_estimated_between_consecutive_snapshots_only(db: Database) -> None:
    record(db, T0, [(1, "i:2447", 5, 100, False), (2, "i:2447", 3, 110, True), (3, "i:765", 20, 50, False)])
    # An hour later: auction 1 sold (5), auction 2 expired (it was SHORT), 765 was partly bought (20 → 12).
    later = record(db, T0 + timedelta(hours=1), [(3, "i:765", 12, 50, False), (4, "i:765", 10, 55, False)])
    assert later.sold_units == 5 + 8
    market = mdb.item_market(db, "i:765", RealmKey("us", 4), T0 + timedelta(hours=1))
    assert market.sales.sold == 8 and market.sales.window_hours == pytest.approx(1)
    assert market.sales.per_day == pytest.approx(8 * 24) and market.sales.extrapolated
    # 2447 sold out: it still has its sale, recorded at quantity 0.
    sold_out = db.conn.execute("select quantity, sold from hourly where item = 'i:2447' order by at").fetchall()
    assert sold_out == [(8, None), (0, 5)]
    # Five hours later, everything vanished looks like sales: no estimate is made across a gap.
    gap = record(db, T0 + timedelta(hours=6), [(9, "i:765", 1, 60, False)])
    assert gap.sold_units is None


def test_hourly_rows_go_after_48_hours_and_daily_ones_after_60_days(db: Database) -> None:
    for day in range(62):
        record(db, T0 + timedelta(days=day), [(day, "i:2447", 1, 100 + day, False)])
    last = T0 + timedelta(days=61)
    hourly = db.conn.execute("select min(at) from hourly").fetchone()[0]
    assert datetime.fromisoformat(hourly) >= last - timedelta(hours=48)
    days = [r[0] for r in db.conn.execute("select day from daily order by day")]
    assert days[0] == (last - timedelta(days=60)).date().isoformat() and len(days) == 61


def test_the_14_day_value_weighs_days_as_tsm_does(db: Database) -> None:
    # Today two scans (100 and 200: day value 150), yesterday one (120), and one 20 days ago (ignored).
    record(db, T0 - timedelta(days=20), [(1, "i:2447", 1, 999, False)])
    record(db, T0 - timedelta(days=1), [(2, "i:2447", 1, 120, False)])
    record(db, T0, [(3, "i:2447", 1, 100, False)])
    record(db, T0 + timedelta(hours=1), [(4, "i:2447", 1, 200, False)])
    expected = (WEIGHTS[0] * 150 + WEIGHTS[1] * 120) / (WEIGHTS[0] + WEIGHTS[1])
    market = mdb.item_market(db, "i:2447", RealmKey("us", 4), T0 + timedelta(hours=1))
    assert market.market_value_14d == int(expected + 0.5)
    assert market.market_value == 200 and market.snapshots == 4  # listed in 4 snapshots since first seen


def test_a_failing_record_leaves_everything_as_it_was(db: Database) -> None:
    record(db, T0, [(1, "i:2447", 5, 100, False)])
    before = db.conn.execute("select count(*) from hourly").fetchone(), mdb.source_state(db, REALM)
    bad = snapshot([(2, "i:2447", 5, 100, False)])
    bad.items.loc["i:9999"] = [1, 1, 1, 1]  # a row the auction index does not know is fine...
    broken = Snapshot(bad.items.rename(index={"i:9999": "i:2447"}), bad.index, 1)  # ...an item twice is not
    with pytest.raises(sqlite3.IntegrityError):
        mdb.record_snapshot(db, REALM, T0 + timedelta(hours=1), "later", T0, broken, None)
    after = db.conn.execute("select count(*) from hourly").fetchone(), mdb.source_state(db, REALM)
    assert after == before
    assert db.conn.execute("select count(*) from snapshots").fetchone()[0] == 1


def test_errors_and_checks_are_remembered_per_source(db: Database) -> None:
    record(db, T0, [(1, "i:2447", 5, 100, False)])
    mdb.record_error(db, REALM, "Blizzard's server failed (HTTP 503)", T0 + timedelta(hours=1))
    state = mdb.source_state(db, REALM)
    assert state.last_error == "Blizzard's server failed (HTTP 503)" and state.snapshots == 1
    assert mdb.item_market(db, "i:2447", RealmKey("us", 4), T0).min_buyout == 100
    mdb.record_checked(db, REALM, T0 + timedelta(hours=2))
    assert mdb.source_state(db, REALM).last_error is None


def test_latest_metrics_over_two_sources_and_the_commodity_fallback(db: Database) -> None:
    commodities = Source("us", "commodities")
    record(db, T0, [(1, "i:2447", 5, 100, False)], commodities)
    record(db, T0, [(2, "i:19019", 1, 5_000_000, False)])
    frame = mdb.latest_metrics(db, [REALM, commodities], T0)
    assert sorted(zip(frame["source"], frame["item"], strict=True)) == [("us/commodities", "i:2447"),
                                                                       ("us/realm/4", "i:19019")]
    assert mdb.item_market(db, "i:2447", RealmKey("us", 4), T0).source == commodities  # not on the realm: region-wide
    assert mdb.item_market(db, "i:1", RealmKey("us", 4), T0) is None


def test_realms_and_item_info_round_trip(db: Database) -> None:
    realms = [RealmInfo("us", 4, 4, "Kilrogg", "kilrogg", "America/Los_Angeles", "enUS"),
              RealmInfo("us", 4, 1355, "Winterhoof", "winterhoof", "America/Los_Angeles", "enUS")]
    rdb.save_realms(db, "us", realms, T0)
    assert rdb.realms(db, "us") == realms and rdb.realms(db, "eu") == []
    info = ItemInfo(2447, "Peacebloom", "COMMON", 7, 9, 10, T0)
    idb.save_item_info(db, [info])
    assert idb.item_info(db, [2447, 765]) == {2447: info}
    assert idb.missing_item_info(db, [2447, 765, 3820], limit=1) == [765]


def test_a_snapshot_older_than_the_newest_is_kept_as_history_not_as_the_baseline(db: Database) -> None:
    record(db, T0 + timedelta(hours=1), [(1, "i:2447", 5, 100, False)])
    late = record(db, T0, [(7, "i:2447", 9, 90, False)])  # a lagging mirror served the previous hour
    assert not late.stale and late.sold_units is None
    assert mdb.source_state(db, REALM).last_modified == "Sun, 01 Nov 2026 13:26:00 GMT"  # still the newest
    assert mdb.item_market(db, "i:2447", RealmKey("us", 4), T0).min_buyout == 100
    nxt = record(db, T0 + timedelta(hours=2), [(1, "i:2447", 5, 100, False)])
    assert nxt.sold_units == 0  # compared with the newest snapshot's auctions, not the late one's


def test_the_window_ends_at_the_source_s_newest_snapshot_so_a_sold_out_item_keeps_its_sale(db: Database) -> None:
    """i:2447 sells out in the first hour; i:765 stays listed. Asked alone or in the realm's list, 2447 has the
    same window as every item of its source: it ends at the newest snapshot, not at 2447's last listing, and
    covers the last day of consecutive snapshots (24 hours, not 30, once 30 are stored)."""
    record(db, T0, [(1, "i:2447", 3, 100, False), (2, "i:765", 20, 50, False)])
    for hour in range(1, 31):
        record(db, T0 + timedelta(hours=hour), [(2, "i:765", 20, 50, False)])
        if hour == 3:
            shown = mdb.item_market(db, "i:2447", RealmKey("us", 4), T0)
            assert shown.sales.sold == 3 and shown.sales.window_hours == 3.0
            assert shown.sales.window_end == T0 + timedelta(hours=3) and shown.snapshot_time == T0
            assert not shown.listed_now and shown.quantity == 3  # its last listing, said to be an old one
    alone = mdb.item_market(db, "i:2447", RealmKey("us", 4), T0)
    listed = {m.item: m for m in mdb.realm_market(db, RealmKey("us", 4), T0)}
    assert alone == listed["i:2447"]
    assert alone.sales.window_hours == 24.0 and alone.sales.sold == 0  # the sale is more than a day old
    assert listed["i:765"].sales.window_end == alone.sales.window_end == T0 + timedelta(hours=30)
    assert listed["i:765"].listed_now


def test_the_realm_list_holds_every_item_once_its_own_auctions_first(db: Database) -> None:
    commodities = Source("us", "commodities")
    record(db, T0, [(1, "i:2447", 5, 100, False), (2, "i:19019", 1, 9, False)], commodities)
    record(db, T0, [(3, "i:19019", 1, 5_000_000, False), (4, "p:194", 1, 900, False)])
    record(db, T0 + timedelta(hours=1), [(3, "i:19019", 1, 5_000_000, False)])
    listed = mdb.realm_market(db, RealmKey("us", 4), T0)
    assert [(m.item, m.source.key) for m in listed] == [
        ("i:2447", "us/commodities"), ("i:19019", "us/realm/4"), ("p:194", "us/realm/4")]
    kinds = {m.item: m.sales.as_json() for m in listed}
    assert kinds["i:2447"]["kind"] == "commodities" and kinds["i:2447"]["sold"] is None  # one snapshot: none yet
    assert kinds["p:194"]["kind"] == "realm" and kinds["p:194"]["sold"] == 1 and kinds["p:194"]["window_hours"] == 1
    assert mdb.realm_market(db, RealmKey("us", 5), T0)[0].source == commodities  # a realm never refreshed


def test_the_stored_index_carries_the_narrowed_deadlines(db: Database) -> None:
    record(db, T0, [(1, "i:2447", 5, 100, False)], history=0)
    record(db, T0 + timedelta(hours=1), [(1, "i:2447", 5, 100, False)], history=0)
    stored = mdb.previous_index(db, REALM)
    assert stored is not None and stored.at == T0 + timedelta(hours=1) and stored.index.history == 1
    assert stored.index.deadline.tolist() == [720 - 60] and stored.index.price.tolist() == [100]


def test_the_first_pairs_after_a_start_learn_deadlines_and_count_nothing(db: Database) -> None:
    """Fresh indexes (as ingest makes them): the first pair is stored without sales (no window hours), the
    second is counted and opens the window."""
    listings = [(1, "i:2447", 5, 100, False)]
    results = [record(db, T0 + timedelta(hours=h), listings if h < 2 else [], history=0) for h in range(3)]
    assert [r.sold_units for r in results] == [None, None, 5]
    shown = mdb.item_market(db, "i:2447", RealmKey("us", 4), T0)
    assert shown.sales.sold == 5 and shown.sales.window_hours == 1.0


def test_an_index_stored_in_the_old_format_is_no_baseline(db: Database) -> None:
    """Before the estimator's index had a version byte, the database stored a bare npz of four columns. Such a
    row gives no estimate for one hour (no crash, nothing guessed) and is replaced by a current one."""
    record(db, T0, [(1, "i:2447", 5, 100, False)])
    buffer = io.BytesIO()
    np.savez_compressed(buffer, auction_id=np.array([1]), item=np.array([2447]), quantity=np.array([5]),
                        short=np.array([False]))
    with db.conn:
        db.conn.execute("update auction_index set data = ?", (buffer.getvalue(),))
    assert mdb.previous_index(db, REALM) is None
    nxt = record(db, T0 + timedelta(hours=1), [(2, "i:2447", 5, 100, False)])
    assert nxt.sold_units is None and not nxt.stale
    after = record(db, T0 + timedelta(hours=2), [])
    assert after.sold_units == 5


def test_items_blizzard_has_no_document_for_are_asked_again_only_after_a_week(db: Database) -> None:
    record(db, T0, [(1, "i:2447", 5, 100, False), (2, "i:765", 1, 10, False)])
    assert sorted(idb.items_without_info(db, 10, T0)) == [765, 2447]
    idb.record_missing(db, [765], T0)
    assert idb.items_without_info(db, 10, T0 + timedelta(days=6, hours=23)) == [2447]
    assert sorted(idb.items_without_info(db, 10, T0 + timedelta(days=7, minutes=1))) == [765, 2447]
    idb.save_item_info(db, [ItemInfo(765, "Silverleaf", "COMMON", 7, 9, 5, T0)])
    assert db.conn.execute("select count(*) from missing_items").fetchone()[0] == 0

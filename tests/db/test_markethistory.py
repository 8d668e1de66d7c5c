"""One item's stored history read without pandas, on a real SQLite file: hourly rows newest first and paged by
``before``, days with exact means rounded half up, the source that lists an item, and items found by name or
id, best first (``%`` and ``_`` in a search are letters, not wildcards)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tsmsyncd.db import items as items_db
from tsmsyncd.db import markethistory as mh
from tsmsyncd.db.schema import Database
from tsmsyncd.db.sources import source_id
from tsmsyncd.market.items import ItemInfo
from tsmsyncd.market.sources import RealmKey

REALM = RealmKey("us", 4)
OWN, COMMODITIES = REALM.auctions(), REALM.commodities()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "tsmsyncd.db")
    own, region = source_id(database, OWN), source_id(database, COMMODITIES)
    hours = [(own, f"2026-11-01T{h:02d}:26:00+00:00", 100 + h, 110 + h, 5 + h, 2, None if h == 10 else h)
             for h in (10, 11, 12)]
    hours += [(region, "2026-11-01T12:26:00+00:00", 7, 7, 1, 1, 0)]
    database.conn.executemany("insert into hourly values (?, 0, 'i:2447', ?, ?, ?, ?, ?, ?)", hours)
    database.conn.executemany("insert into daily values (?, 'i:2447', ?, ?, ?, ?, ?, ?, ?)", [
        (own, "2026-10-31", 301.0, 2, 99, 7, 2, 4),  # mean value 150.5 → 151; mean quantity 3.5 → 4
        (own, "2026-11-01", 333.0, 3, 100, 18, 3, None)])
    now = datetime(2026, 11, 1, tzinfo=UTC)
    items_db.save_item_info(database, [ItemInfo(2447, "Peacebloom", "COMMON", 7, 9, 5, now),
                                       ItemInfo(2453, "Bruiseweed", "COMMON", 7, 9, 5, now),
                                       ItemInfo(8153, "Wildvine", "COMMON", 7, 9, 5, now),
                                       ItemInfo(21, "100% Bloom_Dust", "RARE", 7, 9, 5, now),
                                       ItemInfo(4625, "Firebloom", "COMMON", 7, 9, 5, now),
                                       ItemInfo(22, "Bloom", "COMMON", 7, 9, 5, now)])
    database.conn.execute("insert into latest values (?, 'p:194', '2026-11-01T12:26:00+00:00', 1, 1, 1, 1, null, 1)",
                          (own,))
    database.conn.commit()
    yield database
    database.close()


def test_hourly_rows_are_newest_first_and_page_by_before(db: Database) -> None:
    rows = mh.hourly_rows(db, REALM.sources(), "i:2447")
    assert [(r.at[11:13], r.source) for r in rows] == [("12", "us/realm/4"), ("12", "us/commodities"),
                                                      ("11", "us/realm/4"), ("10", "us/realm/4")]
    assert rows[-1].sold is None and rows[0].as_json()["min_buyout"] == 112
    older = mh.hourly_rows(db, REALM.sources(), "i:2447", before=rows[0].at, limit=1)
    assert [r.at for r in older] == [rows[2].at]
    assert mh.hourly_rows(db, [RealmKey("us", 5).auctions()], "i:2447") == []


def test_days_are_exact_means_rounded_half_up_oldest_first(db: Database) -> None:
    days = mh.daily_rows(db, OWN, "i:2447")
    assert [d.as_json() for d in days] == [
        {"day": "2026-10-31", "market_value": 151, "min_buyout": 99, "quantity": 4, "sold": 4, "scans": 2},
        {"day": "2026-11-01", "market_value": 111, "min_buyout": 100, "quantity": 6, "sold": None, "scans": 3}]


def test_the_listed_source_is_the_realms_own_before_the_commodities(db: Database) -> None:
    assert mh.listed_source(db, REALM.sources(), "i:2447") == OWN
    assert mh.listed_source(db, REALM.sources(), "i:765") is None
    assert mh.seen(db, "p:194") and not mh.seen(db, "p:195")


def test_items_are_found_by_name_best_first(db: Database) -> None:
    names = [i.name for i in mh.find_items(db, "bloom", 10)]
    assert names == ["Bloom", "Firebloom", "Peacebloom", "100% Bloom_Dust"], "exact, then shortest"
    assert [i.name for i in mh.find_items(db, "BLOOM", 2)] == ["Bloom", "Firebloom"]
    assert [i.item_id for i in mh.find_items(db, "vine", 10, item_id=2453)] == [2453, 8153], "the id first"
    assert [i.name for i in mh.find_items(db, "0%", 10)] == ["100% Bloom_Dust"]
    assert [i.name for i in mh.find_items(db, "m_d", 10)] == ["100% Bloom_Dust"]
    assert mh.find_items(db, "bl_om", 10) == [] and mh.find_items(db, "pea%", 10) == []

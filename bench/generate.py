"""Benchmark: generate groups from every shipped template over a 20,000-item realm with 48 h of history.

Builds a real SQLite database (48 hourly snapshots of 20,000 items, with auction indexes so sales are
estimated), then prints, measured in this run:
  * frame    — reading the realm's metrics from SQLite (newest values, 14-day value, sold per day, item info);
  * generate — all templates on that frame: parse, evaluate, sort, limit, subgroups, cap, hysteresis, GroupSet;
  * pandas   — the same templates' conditions written by hand as plain pandas boolean filters on the same frame
               (the floor: no parsing, no grouping, no GroupSet).
This prints; it does not assert.

Usage: python bench/generate.py [--items 20000] [--hours 48] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from tsmsyncd.db import items as idb
from tsmsyncd.db import market as mdb
from tsmsyncd.db.schema import Database
from tsmsyncd.groups.frame import item_ids, metrics_frame
from tsmsyncd.groups.generate import generate
from tsmsyncd.groups.rules import load_templates
from tsmsyncd.market.auctions import AuctionIndex
from tsmsyncd.market.ingest import Snapshot, item_key
from tsmsyncd.market.items import ItemInfo
from tsmsyncd.market.sales import sales_since
from tsmsyncd.market.sources import RealmKey, Source

START = datetime(2026, 11, 23, 12, 26, tzinfo=UTC)


def fill(db: Database, items: int, hours: int, rng: np.random.Generator) -> datetime:
    codes = np.arange(100_000, 100_000 + items, dtype=np.int64)
    base = rng.lognormal(8, 1.5, items).astype(np.int64) + 1
    quantity = rng.integers(1, 3000, items)
    keys = pd.Index([item_key(int(c)) for c in codes], name="item")
    auction_ids = np.arange(items, dtype=np.int64)
    for hour in range(hours):
        price = (base * rng.uniform(0.5, 1.3, items)).astype(np.int64) + 1
        sold_mask = rng.random(items) < 0.3  # some auctions vanish every hour: sales to estimate
        auction_ids = np.where(sold_mask, auction_ids + items * (hour + 1), auction_ids)
        frame = pd.DataFrame({"min_buyout": pd.array(price, dtype="Int64"),
                              "market_value": pd.array((price * 1.1).astype(np.int64), dtype="Int64"),
                              "quantity": quantity, "auctions": np.ones(items, dtype=np.int64)}, index=keys)
        index = AuctionIndex(auction_ids.copy(), codes, quantity, np.zeros(items, dtype=bool))
        at = START + timedelta(hours=hour)
        source = Source("us", "realm", 4)
        previous = mdb.previous_index(db, source)
        sales = sales_since(previous.index if previous else None, previous.at if previous else None, index, at,
                            "realm")
        mdb.record_snapshot(db, source, at, at.strftime("%a, %d %b %Y %H:%M:%S GMT"), at,
                            Snapshot(frame, index, items), sales)
    classes = rng.choice([0, 4, 7, 7, 7], items)
    idb.save_item_info(db, [ItemInfo(int(c), f"Item {c}", "COMMON", int(k), 1, int(b // 20), START)
                       for c, k, b in zip(codes, classes, base, strict=True)])
    return START + timedelta(hours=hours - 1)


def plain_pandas(frame: pd.DataFrame) -> int:
    """The templates' top-level conditions as hand-written pandas filters (no subgroups, sort or cap)."""
    f = frame.astype({c: float for c in ("min_buyout", "market_value", "market_value_14d", "sold_per_day",
                                         "quantity", "discount")})
    flips = (f.min_buyout <= f.market_value_14d * 0.9) & (f.sold_per_day >= 2) & (f.market_value_14d >= 1000)
    deals = (f.discount >= 0.3) & (f.sold_per_day >= 0.5) & (f.min_buyout >= 10_000)
    rising = (f.market_value >= f.market_value_14d * 1.25) & (f.sold_per_day >= 1) & (f.market_value_14d >= 500)
    reagents = f.item_class.isin([7]) & (f.sold_per_day >= 100) & (f.quantity >= 500)
    return int(flips.sum() + deals.sum() + rising.sum() + reagents.sum())


def timed(runs: int, work) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory(prefix="tsmsyncd-bench-") as tmp:
        db = Database(Path(tmp) / "bench.db")
        started = time.perf_counter()
        now = fill(db, args.items, args.hours, rng)
        print(f"database: {args.items:,} items x {args.hours} hourly snapshots, built in "
              f"{time.perf_counter() - started:.1f} s")
        rules = load_templates()
        realm = RealmKey("us", 4)

        def frame_from_sqlite() -> pd.DataFrame:  # the reads GroupService.preview makes, then the pure frame
            own = mdb.latest_metrics(db, [realm.auctions(), realm.commodities()], now)
            return metrics_frame(own, None, idb.item_info(db, item_ids(own)), realm)

        frame_time, frame = timed(args.runs, frame_from_sqlite)
        gen_time, generated = timed(args.runs, lambda: generate(rules, frame, root="TSM Sync", realm_id=4,
                                                                generated_at="2026-11-25T00:00:00Z"))
        pandas_time, matches = timed(args.runs, lambda: plain_pandas(frame))
        db.close()
    total = sum(len(g.items) for g in generated.groupset.groups)
    print(f"frame from SQLite:           {frame_time * 1000:8.1f} ms ({len(frame):,} items)")
    print(f"generate (all templates):    {gen_time * 1000:8.1f} ms ({total:,} items in "
          f"{len(generated.groupset.groups)} groups)")
    print(f"plain pandas filters:        {pandas_time * 1000:8.1f} ms ({matches:,} matches)")
    print(f"generate / plain pandas:     {gen_time / pandas_time:8.1f}x   "
          f"(frame + generate: {(frame_time + gen_time) * 1000:.0f} ms per realm per hour)")


if __name__ == "__main__":
    main()

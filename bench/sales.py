"""Benchmark: sales estimators against the fake market's own ground truth.

Drives the fake market's houses directly (no HTTP): every hour's rows go through ``ingest_snapshot`` as a served
body would, and three estimators run on the same consecutive snapshot pairs:

  * new     — ``market.sales.estimate_sales`` (deadlines carried from one estimate to the next);
  * current — ``old_estimate_sold``, the estimator the database used before issue 14 (vanished = sold unless it
              was SHORT), copied here from main's ``market/metrics.py`` (the same rules) as the baseline: the
              package no longer has it;
  * naive   — "vanished = sold" (``old_estimate_sold`` with every SHORT flag cleared).

Each is compared per item with ``House.truth`` (units really sold, reposts bought before the next snapshot
included). Per kind (commodities, realm items, Classic houses) it prints, over the measured hours:
  * MAPE     — mean over items of |estimate - truth| / truth (items that truly sold anything);
  * bias     — mean over items of (estimate - truth) / truth;
  * ±15 %    — share of items whose estimate is within 15 % of the truth;
  * total    — sum of estimates / sum of truths - 1 (what busy items weigh);
and, for the new estimator, its bias by item volume (thirds of the items by units truly sold), the accuracy of its
expired and cancelled counts, the spread of truth/estimate over 24-hour windows (the window the database uses;
``sales_report.RANGE`` is set from it, and how often the truth of an item-day falls inside the range
``SalesReport`` shows for it), and the same table with ``same_hour_sales`` on (new listings bought out before
any snapshot sees them). Finally one 700,000-row commodity pair: time and peak memory of ``estimate_sales``, and
the size of the packed index.

Targets (issue 14): commodities MAPE <= 15 % and |bias| <= 10 %; realm items MAPE <= 30 % and |bias| <= 20 %; both
far better than naive. This prints; it does not assert.

Usage: python bench/sales.py [--hours 48] [--warmup 2] [--seed 1] [--commodity-rows 100000] [--realm-rows 3000]
                             [--big-rows 700000] [--no-same-hour] [--no-big]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from tsmsyncd.blizzard.catalog import CONNECTED_REALMS
from tsmsyncd.blizzard.fakemarket import House, HouseKey, build_slots, envelope
from tsmsyncd.market.auctions import AuctionIndex
from tsmsyncd.market.ingest import Kind, ingest_snapshot
from tsmsyncd.market.sales import WARM_HISTORY, estimate_sales
from tsmsyncd.market.sales_report import SalesReport

ESTIMATORS = ("new", "current", "naive")
KINDS: dict[str, Kind] = {"commodities": "commodities", "realm": "realm", "classic": "house"}
LABELS = {"commodities": "commodities", "realm": "realm items", "classic": "classic houses"}
API = "http://127.0.0.1/api/us"


def old_estimate_sold(previous: AuctionIndex, current: AuctionIndex) -> tuple[np.ndarray, np.ndarray]:
    """The estimator before issue 14, as main had it: per auction of ``previous``, gone from ``current`` -> its
    whole quantity sold unless it was SHORT (then expired); still there with less -> the difference sold. Returns
    (items ascending, units), sold > 0 only."""
    def by_id(index: AuctionIndex) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(index.auction_id, kind="stable")
        return order, index.auction_id[order]

    prev_order, prev_ids = by_id(previous)
    cur_order, cur_ids = by_id(current)
    if cur_ids.size:
        pos = np.minimum(np.searchsorted(cur_ids, prev_ids), cur_ids.size - 1)
        present = cur_ids[pos] == prev_ids
        now = current.quantity[cur_order][pos]
    else:
        present = np.zeros(prev_ids.size, dtype=bool)
        now = np.zeros(prev_ids.size, dtype=np.int64)
    before = previous.quantity[prev_order]
    vanished = np.where(previous.short[prev_order], 0, before)
    sold = np.where(present, np.maximum(before - now, 0), vanished)
    mask = sold > 0
    items, sold = previous.item[prev_order][mask], sold[mask]
    if items.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.argsort(items, kind="stable")
    items, sold = items[order], sold[order]
    first = np.flatnonzero(np.r_[True, items[1:] != items[:-1]])
    return items[first], np.add.reduceat(sold, first).astype(np.int64, copy=False)


@dataclass
class Tally:
    """Units per (house, item): truth and each estimator's, over the measured hours and per 24-hour window."""

    sold: dict[str, dict[tuple, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    windows: list[tuple[float, float]] = field(default_factory=list)  # (truth, new) per (house, item, day)

    def add(self, name: str, where: object, items: np.ndarray, units: np.ndarray) -> None:
        column = self.sold[name]
        for item, n in zip(items.tolist(), units.tolist(), strict=True):
            column[(where, item)] += n


def houses(kind: str, args: argparse.Namespace) -> list[tuple[HouseKey, int]]:
    if kind == "commodities":
        return [(HouseKey("commodities", region), args.commodity_rows) for region in ("us", "eu")]
    if kind == "realm":
        return [(HouseKey("realm", region, "retail", cr.id), args.realm_rows)
                for region in ("us", "eu") for cr in CONNECTED_REALMS[region]]
    return [(HouseKey("classic", "us", "classic1x", cr.id, house), args.realm_rows)
            for cr in CONNECTED_REALMS["us"] for house in (2, 6)]


def snapshots(key: HouseKey, rows: int, hours: int, seed: int, same_hour: bool) -> Iterator[tuple[int, AuctionIndex,
                                                                                                   House]]:
    """(hour, the ingested index of that hour's body, the house) for hours 0..hours."""
    house = House(seed, key, rows, build_slots(seed, key, rows), same_hour_sales=same_hour)
    for hour in range(hours + 1):
        house.advance_to(hour)
        body = envelope(key, house.rows_json(), API, "Auction House" if key.kind == "classic" else None)
        yield hour, ingest_snapshot(body, KINDS[key.kind]).index, house


def run(kind: str, args: argparse.Namespace, same_hour: bool) -> Tally:
    tally = Tally()
    total = args.warmup + args.hours
    for key, rows in houses(kind, args):
        day: dict[str, dict[int, int]] = {"truth": defaultdict(int), "new": defaultdict(int)}
        previous = carried = None
        for hour, index, house in snapshots(key, rows, total, args.seed, same_hour):
            if previous is None:
                previous = carried = index
                continue
            estimate = estimate_sales(carried, index, 1.0, KINDS[kind])
            carried = estimate.carried
            if hour > args.warmup:  # the first snapshots have no deadline history yet
                truth = house.truth(hour)
                tally.add("truth", key, truth.item, truth.sold)
                tally.add("new", key, estimate.items, estimate.sold)
                for fate in ("expired", "cancelled"):
                    tally.add(f"truth {fate}", key, truth.item, getattr(truth, fate))
                    tally.add(f"new {fate}", key, estimate.items, getattr(estimate, fate))
                tally.add("current", key, *old_estimate_sold(previous, index))
                blind = AuctionIndex(previous.auction_id, previous.item, previous.quantity,
                                     np.zeros(len(previous), dtype=bool))
                tally.add("naive", key, *old_estimate_sold(blind, index))
                for item, n in zip(truth.item.tolist(), truth.sold.tolist(), strict=True):
                    day["truth"][item] += n
                for item, n in zip(estimate.items.tolist(), estimate.sold.tolist(), strict=True):
                    day["new"][item] += n
                if (hour - args.warmup) % 24 == 0:
                    tally.windows += [(t, day["new"].get(i, 0)) for i, t in day["truth"].items() if t > 0]
                    day = {"truth": defaultdict(int), "new": defaultdict(int)}
            previous = index
    return tally


def errors(tally: Tally, name: str, of: str = "truth") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = [k for k, v in tally.sold[of].items() if v > 0]
    truth = np.array([tally.sold[of][k] for k in keys], dtype=float)
    estimate = np.array([tally.sold[name].get(k, 0) for k in keys], dtype=float)
    return truth, estimate, (estimate - truth) / truth


def row(label: str, truth: np.ndarray, estimate: np.ndarray, err: np.ndarray) -> str:
    total = estimate.sum() / truth.sum() - 1
    return (f"  {label:<28} {np.mean(np.abs(err)):>7.1%} {np.mean(err):>+8.1%} {np.mean(np.abs(err) <= 0.15):>7.1%}"
            f" {total:>+8.1%} {len(err):>6}")


def table(results: dict[str, Tally], title: str) -> None:
    print(f"\n{title}")
    print(f"  {'estimator x kind':<28} {'MAPE':>7} {'bias':>8} {'±15 %':>7} {'total':>8} {'items':>6}")
    for kind, tally in results.items():
        for name in ESTIMATORS:
            print(row(f"{name} x {LABELS[kind]}", *errors(tally, name)))


def details(results: dict[str, Tally]) -> None:
    print("\nnew estimator: bias by item volume (thirds by units truly sold), 24-hour windows")
    print(f"  {'kind':<16} {'slow':>8} {'middle':>8} {'busy':>8}   truth/estimate per item-day: 10th, 50th, 90th pct;"
          " truth inside the range shown (SalesReport.range)")
    for kind, tally in results.items():
        truth, estimate, _ = errors(tally, "new")
        order = np.argsort(truth)
        thirds = [f"{estimate[part].sum() / truth[part].sum() - 1:>+8.1%}" for part in np.array_split(order, 3)]
        windows = np.array([(t, e) for t, e in tally.windows if e > 0])
        ratio = windows[:, 0] / windows[:, 1]
        pct = " ".join(f"{q:.2f}" for q in np.percentile(ratio, [10, 50, 90]))
        inside = np.mean([_in_range(KINDS[kind], t, e) for t, e in tally.windows])
        print(f"  {LABELS[kind]:<16} {' '.join(thirds)}   {pct}  ({len(windows)} item-days); {inside:.1%}")
    print(f"new estimator, the other fates:\n  {'fate x kind':<28} {'MAPE':>7} {'bias':>8} {'±15 %':>7} {'total':>8}"
          f" {'items':>6}")
    for kind, tally in results.items():
        for fate in ("expired", "cancelled"):
            print(row(f"{fate} x {LABELS[kind]}", *errors(tally, f"new {fate}", of=f"truth {fate}")))


def _in_range(kind: Kind, truth: float, estimate: float) -> bool:
    shown = SalesReport(kind, int(estimate), 24.0, None).range
    return shown is not None and shown[0] <= truth <= shown[1]


def big_pair(rows: int, seed: int) -> None:
    key = HouseKey("commodities", "us")
    indexes = [index for _, index, _ in snapshots(key, rows, 1, seed, False)]
    first = estimate_sales(indexes[0], indexes[1], 1.0, "commodities").carried  # an index as stored: carried
    house = House(seed, key, rows, build_slots(seed, key, rows))
    house.advance_to(2)
    second = ingest_snapshot(envelope(key, house.rows_json(), API), "commodities").index
    del house, indexes
    took = best_of(3, lambda: estimate_sales(first, second, 1.0, "commodities"))
    gc.collect()
    tracemalloc.start()
    estimate = estimate_sales(first, second, 1.0, "commodities")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    index_mb = sum(getattr(first, c).nbytes for c in ("auction_id", "item", "quantity", "short", "price", "variant",
                                                      "deadline")) / 1e6
    packed = first.pack()
    pack = best_of(3, first.pack)
    unpack = best_of(3, lambda: AuctionIndex.unpack(packed))
    print(f"\none {len(first):,} -> {len(second):,}-row commodity pair: estimate_sales {took:.3f} s, peak memory "
          f"{peak / 1e6:.0f} MB beyond its inputs (each index {index_mb:.0f} MB in memory); "
          f"{len(estimate.items):,} items")
    print(f"packed index: {len(packed) / 1e6:.1f} MB (pack {pack:.2f} s, unpack {unpack:.2f} s)")


def best_of(runs: int, work: Callable[[], object]) -> float:
    samples = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--warmup", type=int, default=WARM_HISTORY,
                        help="pairs before measuring (deadline history; the database counts none before WARM_HISTORY)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--commodity-rows", type=int, default=100_000)
    parser.add_argument("--realm-rows", type=int, default=3000)
    parser.add_argument("--big-rows", type=int, default=700_000)
    parser.add_argument("--no-same-hour", action="store_true")
    parser.add_argument("--no-big", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    realms = len(CONNECTED_REALMS["us"]) + len(CONNECTED_REALMS["eu"])
    print(f"{args.hours} measured hours after {args.warmup} warm-up pair(s), seed {args.seed}; commodities: us+eu "
          f"regions of {args.commodity_rows:,} listings; realm: {realms} connected realms of {args.realm_rows:,}; "
          f"classic: {2 * len(CONNECTED_REALMS['us'])} Era houses of {args.realm_rows:,}")
    results = {kind: run(kind, args, same_hour=False) for kind in KINDS}
    table(results, "realistic clock, undercut reposts that may sell within the hour (the fake's default):")
    details(results)
    if not args.no_same_hour:
        shifted = {kind: run(kind, args, same_hour=True) for kind in KINDS}
        table(shifted, "same, and new listings can be bought before any snapshot sees them (same_hour_sales):")
        details(shifted)
    if not args.no_big:
        big_pair(args.big_rows, args.seed)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()

"""The sales estimator, rule by rule on hand-built snapshot pairs, against a literal reading of its rules on random
pairs, and against the fake market's ground truth; and which snapshots it may compare at all (``sales_since``)."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tsmsyncd.blizzard.fakemarket import House, HouseKey, build_slots, envelope
from tsmsyncd.market.auctions import AuctionIndex
from tsmsyncd.market.ingest import ingest_snapshot
from tsmsyncd.market.sales import MAX_SNAPSHOT_GAP_HOURS, WARM_HISTORY, estimate_sales, sales_since

SHORT, MEDIUM, LONG, VERY_LONG = 30, 120, 720, 2880  # deadline minutes of each time_left bucket
HERB, GEAR = 2447, 82265


def idx(*rows: tuple) -> AuctionIndex:
    """Rows of (auction id, item, quantity, unit price, deadline minutes[, variant]) as an index."""
    full = [tuple(r) + (0,) * (6 - len(r)) for r in rows]
    cols = [np.array(c, dtype=np.int64) for c in zip(*full, strict=True)] if rows else [np.zeros(0, np.int64)] * 6
    return AuctionIndex(cols[0], cols[1], cols[2], cols[4] <= SHORT, price=cols[3], variant=cols[5],
                        deadline=cols[4])


def fates(prev: AuctionIndex, cur: AuctionIndex, kind: str = "realm", hours: float = 1.0) -> dict[int, dict]:
    est = estimate_sales(prev, cur, hours, kind)  # type: ignore[arg-type]
    return {item: {name: int(getattr(est, name)[i]) for name in ("sold", "expired", "cancelled", "uncertain")
                   if getattr(est, name)[i]} for i, item in enumerate(est.items.tolist())}


# ---- expiry: the deadline carried from the time_left history ----------------------------------------------------


def test_an_auction_gone_past_its_deadline_expired() -> None:
    assert fates(idx((1, GEAR, 1, 5000, 60)), idx()) == {GEAR: {"expired": 1}}


def test_an_auction_gone_before_its_deadline_sold() -> None:
    """A realm sale cannot be told from a withdrawal: it is counted as sold, and as uncertain."""
    assert fates(idx((1, GEAR, 1, 5000, LONG)), idx()) == {GEAR: {"sold": 1, "uncertain": 1}}


def test_the_deadline_narrows_with_the_time_left_history() -> None:
    """Seen LONG, then MEDIUM, then MEDIUM again, then gone: the carried deadline (120, then 60 minutes) says it
    ran out. A bare index of the last snapshot (MEDIUM: anything under 2 hours) would call it a sale."""
    seen = [idx((1, GEAR, 1, 5000, LONG)), idx((1, GEAR, 1, 5000, MEDIUM)), idx((1, GEAR, 1, 5000, MEDIUM))]
    carried = seen[0]
    for snapshot in seen[1:]:
        carried = estimate_sales(carried, snapshot, 1.0, "realm").carried
    assert carried.deadline.tolist() == [60]
    assert fates(carried, idx()) == {GEAR: {"expired": 1}}
    assert fates(seen[-1], idx()) == {GEAR: {"sold": 1, "uncertain": 1}}


def test_a_short_auction_that_sold() -> None:
    """SHORT is under 30 minutes left, not "expired": a part-bought SHORT commodity row counts what was bought, and
    a SHORT auction gone 20 minutes later (before its deadline) was sold."""
    assert fates(idx((1, HERB, 100, 50, SHORT)), idx((1, HERB, 60, 50, SHORT)), "commodities") == {HERB: {"sold": 40}}
    assert fates(idx((1, GEAR, 1, 5000, SHORT)), idx(), hours=1 / 3) == {GEAR: {"sold": 1, "uncertain": 1}}
    assert fates(idx((1, GEAR, 1, 5000, SHORT)), idx(), hours=1.0) == {GEAR: {"expired": 1}}


def test_an_auction_without_buyout_only_expires() -> None:
    assert fates(idx((1, GEAR, 1, 0, LONG)), idx()) == {GEAR: {"expired": 1}}


def test_a_gap_of_more_than_one_hour() -> None:
    """Two hours apart, a MEDIUM auction (under 2 hours left) that vanished has run out; one hour apart it sold.
    Deadlines carried across the gap shrink by the whole gap."""
    medium = idx((1, GEAR, 1, 5000, MEDIUM))
    assert fates(medium, idx(), hours=2.0) == {GEAR: {"expired": 1}}
    assert fates(medium, idx(), hours=1.0) == {GEAR: {"sold": 1, "uncertain": 1}}
    carried = estimate_sales(idx((1, GEAR, 1, 5000, LONG)), idx((1, GEAR, 1, 5000, LONG)), 2.0, "realm").carried
    assert carried.deadline.tolist() == [LONG - 120]


def test_a_deadline_passed_while_still_listed_starts_again_from_time_left() -> None:
    """Snapshots a little more than an hour apart can outrun a bound; the auction's own bucket is then the bound."""
    carried = estimate_sales(idx((1, GEAR, 1, 5000, SHORT)), idx((1, GEAR, 1, 5000, MEDIUM)), 1.0, "realm").carried
    assert carried.deadline.tolist() == [MEDIUM]


# ---- relists -----------------------------------------------------------------------------------------------------


def test_a_relist_of_the_same_variant_is_a_cancel() -> None:
    """Gone, and a fresh listing of the same variant and quantity undercuts the item's cheapest: cancel and
    repost. Another variant that vanished is a sale."""
    prev = idx((1, GEAR, 1, 5000, LONG, 11), (2, GEAR, 1, 6000, LONG, 22))
    cur = idx((9, GEAR, 1, 4900, VERY_LONG, 11))
    assert fates(prev, cur) == {GEAR: {"cancelled": 1, "sold": 1, "uncertain": 1}}


@pytest.mark.parametrize("fresh", [
    (9, GEAR, 1, 4900, VERY_LONG, 33),  # another variant
    (9, GEAR, 2, 4900, VERY_LONG, 11),  # another quantity
    (9, GEAR, 1, 5000, VERY_LONG, 11),  # not below the item's cheapest a snapshot ago
    (9, 4306, 1, 10, VERY_LONG, 11),  # another item
])
def test_a_fresh_listing_that_is_not_the_same_thing_cheaper_is_no_relist(fresh: tuple) -> None:
    assert fates(idx((1, GEAR, 1, 5000, LONG, 11)), idx(fresh))[GEAR] == {"sold": 1, "uncertain": 1}


def test_relists_pair_one_to_one() -> None:
    prev = idx((1, GEAR, 1, 5000, LONG, 11), (2, GEAR, 1, 5100, LONG, 11))
    assert fates(prev, idx((9, GEAR, 1, 4900, LONG, 11))) == {GEAR: {"cancelled": 1, "sold": 1, "uncertain": 1}}


# ---- commodities: cheapest first ----------------------------------------------------------------------------------


def test_a_commodity_bought_below_the_cheapest_remaining() -> None:
    """Row 2 stayed listed and lost 6 units, so buyers reached its price: the cheaper row 1 was bought."""
    prev = idx((1, HERB, 10, 100, LONG), (2, HERB, 10, 120, LONG))
    assert fates(prev, idx((2, HERB, 4, 120, LONG)), "commodities") == {HERB: {"sold": 16}}


def test_a_commodity_dearer_than_one_still_listed_was_cancelled_and_its_repost_still_listed() -> None:
    prev = idx((1, HERB, 10, 100, LONG), (3, HERB, 10, 150, LONG))
    cur = idx((1, HERB, 10, 100, LONG), (9, HERB, 10, 95, VERY_LONG))
    assert fates(prev, cur, "commodities") == {HERB: {"cancelled": 10}}


def test_a_cancelled_commodity_whose_repost_is_gone_was_bought_at_the_front() -> None:
    prev = idx((1, HERB, 10, 100, LONG), (3, HERB, 10, 150, LONG))
    assert fates(prev, idx((1, HERB, 10, 100, LONG)), "commodities") == {
        HERB: {"cancelled": 10, "sold": 10, "uncertain": 10}}


def test_a_repost_bought_in_part_leaves_its_remainder_listed() -> None:
    prev = idx((1, HERB, 10, 100, LONG), (3, HERB, 10, 150, LONG))
    cur = idx((1, HERB, 10, 100, LONG), (9, HERB, 4, 95, VERY_LONG))
    assert fates(prev, cur, "commodities") == {HERB: {"cancelled": 10, "sold": 6, "uncertain": 6}}


def test_a_fresh_commodity_row_behind_the_front_is_nobody_s_repost() -> None:
    prev = idx((1, HERB, 10, 100, LONG), (3, HERB, 10, 150, LONG))
    cur = idx((1, HERB, 10, 100, LONG), (9, HERB, 4, 100, VERY_LONG))
    assert fates(prev, cur, "commodities") == {HERB: {"cancelled": 10, "sold": 10, "uncertain": 10}}


def test_with_nothing_left_listed_every_vanished_commodity_row_was_bought() -> None:
    prev = idx((1, HERB, 10, 100, LONG), (3, HERB, 10, 150, LONG), (4, HERB, 5, 90, 45))
    assert fates(prev, idx(), "commodities") == {HERB: {"sold": 20, "expired": 5}}


# ---- whole snapshots ----------------------------------------------------------------------------------------------


def test_units_are_summed_per_item_and_the_carried_index_is_in_id_order() -> None:
    prev = idx((5, 7, 1, 10, LONG), (3, 9, 2, 10, LONG), (4, 7, 3, 10, 50), (8, 9, 1, 10, LONG))
    cur = idx((8, 9, 1, 10, LONG), (2, 9, 1, 10, VERY_LONG))
    est = estimate_sales(prev, cur, 1.0, "realm")
    assert est.items.tolist() == [7, 9] and est.sold.tolist() == [1, 2] and est.expired.tolist() == [3, 0]
    assert est.carried.auction_id.tolist() == [2, 8] and est.carried.deadline.tolist() == [VERY_LONG, LONG - 60]
    assert est.sold.dtype == np.int64 and est.hours == 1.0
    empty = estimate_sales(idx(), idx(), 1.0, "commodities")
    assert len(empty.items) == 0 and len(empty.carried) == 0


def test_an_index_without_prices_or_deadlines_knows_only_short() -> None:
    """A hand-built index with the optional columns left out: SHORT and gone is expired, gone with time left
    sold, part-bought the difference (cheapest-first cannot apply without prices)."""
    prev = AuctionIndex(np.array([1, 2, 3]), np.array([7, 7, 9]), np.array([5, 2, 4]), np.array([False, True, False]))
    cur = AuctionIndex(np.array([3]), np.array([9]), np.array([1]), np.array([False]))
    est = estimate_sales(prev, cur, 1.0, "commodities")
    assert est.items.tolist() == [7, 9] and est.sold.tolist() == [5, 3] and est.expired.tolist() == [2, 0]
    assert est.total == 8


@pytest.mark.parametrize("hours", [0, -1.0, float("nan"), float("inf")])
def test_the_gap_must_be_a_positive_number_of_hours(hours: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        estimate_sales(idx(), idx(), hours, "realm")


def test_bad_kind_and_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        estimate_sales(idx(), idx(), 1.0, "auctions")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unique"):
        estimate_sales(idx((2, 7, 1, 10, LONG), (1, 7, 1, 10, LONG), (2, 7, 1, 10, LONG)), idx(), 1.0, "realm")


# ---- the vectorized rules equal a literal reading of them ---------------------------------------------------------


def reference(prev: list[tuple], cur: list[tuple], gap: float, kind: str) -> dict[int, Counter]:
    """The module docstring's rules, one auction at a time (rows as ``idx`` takes them)."""
    out: dict[int, Counter] = defaultdict(Counter)
    now = {r[0]: r for r in cur}
    before = {r[0] for r in prev}
    cheapest = {}
    for r in prev:
        if r[3] > 0:
            cheapest[r[1]] = min(cheapest.get(r[1], math.inf), r[3])
    items = {r[1] for r in prev}
    front = [r for r in cur if r[0] not in before and r[1] in items and 0 < r[3] < cheapest.get(r[1], math.inf)]
    kept_cheapest: dict[int, float] = {}
    open_ = []
    for r in prev:
        if r[0] in now:
            out[r[1]]["sold"] += max(r[2] - now[r[0]][2], 0)
            if r[3] > 0:
                kept_cheapest[r[1]] = min(kept_cheapest.get(r[1], math.inf), r[3])
        elif r[4] <= gap or r[3] == 0:
            out[r[1]]["expired"] += r[2]
        else:
            open_.append(r)
    unpaired = Counter((r[1], r[5], r[2]) for r in front)

    def paired(r: tuple) -> bool:
        if unpaired[(r[1], r[5], r[2])] > 0:
            unpaired[(r[1], r[5], r[2])] -= 1
            return True
        return False

    if kind != "commodities":
        for r in open_:
            fate = "cancelled" if paired(r) else "sold"
            out[r[1]][fate] += r[2]
            out[r[1]]["uncertain"] += r[2] if fate == "sold" else 0
        return out
    presumed = []
    for r in open_:
        if r[3] > kept_cheapest.get(r[1], math.inf):
            out[r[1]]["cancelled"] += r[2]
            if not paired(r):
                presumed.append(r)
        else:
            out[r[1]]["sold"] += r[2]
    # Each presumed repost, smallest first, takes the largest unused smaller front row as its unbought rest.
    spare = [(key[0], key[2]) for key, n in unpaired.items() for _ in range(n)]  # front rows no pair took
    for r in sorted(presumed, key=lambda r: r[2]):
        smaller = [s for s in spare if s[0] == r[1] and s[1] < r[2]]
        rest = max(smaller, key=lambda s: s[1])[1] if smaller else 0
        if smaller:
            spare.remove((r[1], rest))
        out[r[1]]["sold"] += r[2] - rest
        out[r[1]]["uncertain"] += r[2] - rest
    return out


def random_pair(rng: np.random.Generator) -> tuple[list[tuple], list[tuple]]:
    prev, cur = [], []
    for auction in range(int(rng.integers(0, 14))):
        price = int(rng.choice([0, *range(3, 13)]))  # 0: bid only; room below for undercuts
        row = (auction + 1, int(rng.integers(1, 4)), int(rng.choice([1, 2, 3, 5])), price,
               int(rng.choice([20, 45, 60, 120, 720])), int(rng.integers(0, 2)))
        prev.append(row)
        roll = rng.random()
        if roll < 0.4:  # still listed, maybe part-bought
            cur.append((row[0], row[1], int(rng.integers(1, row[2] + 1)), *row[3:5], row[5]))
    for auction in range(int(rng.integers(0, 8))):  # fresh listings, often undercutting (prices skew low)
        cur.append((100 + auction, int(rng.integers(1, 5)), int(rng.choice([1, 2, 3, 5])), int(rng.integers(0, 6)),
                    int(rng.choice([720, 2880])), int(rng.integers(0, 2))))
    return prev, cur


@pytest.mark.parametrize("kind", ["commodities", "realm"])
def test_vectorized_equals_the_literal_rules(kind: str) -> None:
    rng = np.random.default_rng(14)
    for _ in range(1500):
        prev, cur = random_pair(rng)
        gap = float(rng.choice([20.0, 60.0, 120.0]))
        got = fates(idx(*prev), idx(*cur), kind, gap / 60)
        want = {item: {k: v for k, v in c.items() if v} for item, c in reference(prev, cur, gap, kind).items()}
        assert got == {k: v for k, v in want.items() if v}, (prev, cur, gap)


# ---- which snapshots are compared ---------------------------------------------------------------------------------

T0 = datetime(2026, 11, 24, 12, 26, tzinfo=UTC)


def warm(index: AuctionIndex) -> AuctionIndex:
    """The index as if enough earlier snapshots had narrowed its deadlines for its next pair to be counted."""
    return dataclasses.replace(index, history=WARM_HISTORY)


def test_sales_since_compares_consecutive_snapshots_only() -> None:
    """No baseline, a gap over MAX_SNAPSHOT_GAP_HOURS, or a snapshot no newer than the baseline: no estimate.
    Otherwise the estimate of the real gap, with the baseline's time kept as ``since``."""
    prev, cur = warm(idx((1, GEAR, 1, 5000, LONG))), idx()
    assert sales_since(None, None, cur, T0, "realm") is None
    assert sales_since(prev, T0, cur, T0 + timedelta(hours=MAX_SNAPSHOT_GAP_HOURS, seconds=1), "realm") is None
    assert sales_since(prev, T0, cur, T0, "realm") is None
    assert sales_since(prev, T0, cur, T0 - timedelta(hours=1), "realm") is None  # a late snapshot
    est = sales_since(prev, T0, cur, T0 + timedelta(minutes=90), "realm")
    assert est is not None and est.since == T0 and est.hours == 1.5 and est.sold.tolist() == [1] and est.counted


def test_a_baseline_without_history_only_carries_deadlines() -> None:
    """A fresh index knows each auction's bucket only, so its expiries would read as sales: the first pair
    after a start (or a gap) is made for the index it carries, not counted; the next one is."""
    at = T0 + timedelta(hours=1)
    fresh = sales_since(idx((1, GEAR, 1, 5000, MEDIUM)), T0, idx((1, GEAR, 1, 5000, MEDIUM)), at, "realm")
    assert fresh is not None and not fresh.counted and fresh.carried.history == WARM_HISTORY == 1
    second = sales_since(fresh.carried, at, idx(), at + timedelta(hours=1), "realm")
    assert second is not None and second.counted and second.expired.tolist() == [1]  # its deadline was learnt
    assert sales_since(idx((1, GEAR, 1, 5000, MEDIUM)), at, idx(), at + timedelta(hours=1), "realm").sold.tolist() \
        == [1]  # type: ignore[union-attr]  # a bare MEDIUM (under 2 hours left) that vanished reads as sold


def test_sales_since_uses_the_source_s_rules() -> None:
    """The same pair read as commodities (cheapest first: the dearer row was cancelled) and as a realm's items."""
    prev = warm(idx((1, HERB, 10, 100, LONG), (3, HERB, 10, 150, LONG)))
    cur = idx((1, HERB, 10, 100, LONG), (9, HERB, 10, 95, VERY_LONG))
    at = T0 + timedelta(hours=1)
    commodities, realm = sales_since(prev, T0, cur, at, "commodities"), sales_since(prev, T0, cur, at, "realm")
    assert commodities is not None and realm is not None
    assert commodities.sold.tolist() == [0] and commodities.cancelled.tolist() == [10]
    assert realm.sold.tolist() == [0] and realm.cancelled.tolist() == [10]  # paired as a relist there too
    dearer = idx((1, HERB, 10, 100, LONG))
    assert sales_since(prev, T0, dearer, at, "commodities").cancelled.tolist() == [10]  # type: ignore[union-attr]
    assert sales_since(prev, T0, dearer, at, "realm").sold.tolist() == [10]  # type: ignore[union-attr]


# ---- against the fake market ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "rows"), [("commodities", 20_000), ("realm", 3000)])
def test_close_to_the_fake_market_s_truth(kind: str, rows: int) -> None:
    """Twelve hours of a small fake market: per item, the estimate's mean error and bias stay near the issue's
    targets (bench/sales.py holds it to them at scale, beside the estimator it replaced, which is off by +50 % and
    more). On a market this small, slow items, which read high, weigh more."""
    key = HouseKey(kind, "us", "retail", 0 if kind == "commodities" else 4)
    house = House(5, key, rows, build_slots(5, key, rows))
    carried = ingest_snapshot(envelope(key, house.rows_json(), "http://x"), kind).index  # type: ignore[arg-type]
    truth, new = Counter(), Counter()
    for hour in range(1, 13):
        house.advance_to(hour)
        now = ingest_snapshot(envelope(key, house.rows_json(), "http://x"), kind).index  # type: ignore[arg-type]
        est = estimate_sales(carried, now, 1.0, kind)  # type: ignore[arg-type]
        carried = est.carried
        t = house.truth(hour)
        if hour > 2:  # the first hours have no deadline history yet
            truth.update(dict(zip(t.item.tolist(), t.sold.tolist(), strict=True)))
            new.update(dict(zip(est.items.tolist(), est.sold.tolist(), strict=True)))
    sold = [item for item, n in truth.items() if n > 0]
    errors = np.array([(new[i] - truth[i]) / truth[i] for i in sold])
    assert len(sold) > 50
    mape, bias = float(np.abs(errors).mean()), float(errors.mean())
    most_error, most_bias = (0.20, 0.15) if kind == "commodities" else (0.30, 0.20)
    assert mape <= most_error and abs(bias) <= most_bias, (kind, mape, bias)



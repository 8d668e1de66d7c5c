"""Market metrics from auction-house snapshots: pure numpy, data in and data out (no I/O, no clock).

Owns two calculations and nothing else (min buyout and friends live elsewhere):

* TSM's AuctionDB market value of one scan: ``market_values`` for many items at once, ``market_value`` for one,
  ``market_value_breakdown`` for the intermediate numbers a player may ask about;
* TSM's day value and weighted 15-day market value: ``day_value``, ``weighted_market_value(s)``, ``WEIGHTS``.

Sales estimates live in ``market/sales.py``, the per-auction index they read in ``market/auctions.py``.

Prices are integer copper per unit and quantities integer units. Every comparison that decides which units count
("15 % of N", "a 20 % jump") is done in integer arithmetic, so a boundary case never depends on float rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tsmsyncd.market.auctions import int_column as _int_column  # one check of integer columns for both

__all__ = [
    "WEIGHTS",
    "MarketValueBreakdown",
    "day_value",
    "market_value",
    "market_value_breakdown",
    "market_values",
    "weighted_market_value",
    "weighted_market_values",
]

# TSM AuctionDB constants (support page "How is AuctionDB market value calculated"; the TSM2/3 client code has the
# same numbers as MIN_PERCENTILE = 0.15, MAX_PERCENTILE = 0.30, MAX_JUMP = 1.2). Kept as integer ratios on purpose.
MIN_PERCENT = 15
MAX_PERCENT = 30
JUMP_NUM, JUMP_DEN = 6, 5  # a price >= 6/5 of the one below it is a jump
STDEV_BAND = 1.5
# Exact ties on the band edge are common (e.g. 4 considered units, 3 equal and 1 not: that one sits at exactly 1.5σ),
# and float64 may land a hair either side. Widening by this relative margin keeps them, as the inclusive rule says.
EDGE_RTOL = 1e-9

# Day weights of TSM's AuctionDB client code (TSM2/3 TradeSkillMaster_AuctionDB/Modules/data.lua), index 0 = today,
# 14 = fourteen days ago. The bump at day 7 is in the original and is kept as is.
WEIGHTS: tuple[int, ...] = (132, 125, 100, 75, 45, 34, 33, 38, 28, 21, 15, 10, 7, 5, 4)
_WEIGHTS = np.asarray(WEIGHTS, dtype=np.float64)

_NO_JUMP = np.iinfo(np.int64).max


def _starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal keys (input sorted, non-empty)."""
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def _same_length(**columns: np.ndarray) -> None:
    if len({len(c) for c in columns.values()}) > 1:
        sizes = ", ".join(f"{name}={len(c)}" for name, c in columns.items())
        raise ValueError(f"columns must have equal length: {sizes}")


# --------------------------------------------------------------------------------------------- market value


@dataclass(frozen=True)
class _Scan:
    """Per-item results of one scan, items ascending (all arrays of equal length)."""

    items: np.ndarray
    units: np.ndarray
    considered: np.ndarray
    mean: np.ndarray
    stdev: np.ndarray
    kept: np.ndarray
    value: np.ndarray


def _scan(item: np.ndarray, price: np.ndarray, quantity: np.ndarray) -> _Scan:
    item, price, quantity = _int_column("item", item), _int_column("price", price), _int_column("quantity", quantity)
    _same_length(item=item, price=price, quantity=quantity)
    if item.size == 0:
        empty_i, empty_f = np.empty(0, np.int64), np.empty(0, np.float64)
        return _Scan(empty_i, empty_i, empty_i, empty_f, empty_f, empty_i, empty_f)
    if price.min() <= 0:
        raise ValueError("prices must be positive copper amounts")
    if quantity.min() < 1:
        raise ValueError("quantities must be at least 1")

    order = _by_item_then_price(item, price)
    item, price, quantity = item[order], price[order], quantity[order]
    first = _starts(item)
    seg = np.repeat(np.arange(first.size), np.diff(np.r_[first, item.size]))  # row -> item slot
    below_global = np.cumsum(quantity) - quantity
    below = below_global - below_global[first][seg]  # units of the same item cheaper than this auction
    units = np.add.reduceat(quantity, first)

    considered = _walk(price, units, below, seg, first)
    used = np.clip(considered[seg] - below, 0, quantity)  # the 30 % cap may cut an auction part-way

    pf = price.astype(np.float64)
    mean = np.add.reduceat(used * pf, first) / considered
    dev = pf - mean[seg]
    ss = np.add.reduceat(used * dev * dev, first)  # two-pass variance: no cancellation on large prices
    var = np.divide(ss, considered - 1, out=np.zeros_like(ss), where=considered > 1)
    stdev = np.sqrt(var)

    # Never empty: some unit always lies within one population σ of the mean, and 1.5 sample σ is wider.
    kept_units = np.where(np.abs(dev) <= STDEV_BAND * (1 + EDGE_RTOL) * stdev[seg], used, 0)
    kept = np.add.reduceat(kept_units, first)
    value = np.add.reduceat(kept_units * pf, first) / kept
    return _Scan(item[first], units, considered, mean, stdev, kept, value)


def _by_item_then_price(item: np.ndarray, price: np.ndarray) -> np.ndarray:
    """The one sort: by item, then cheapest first (order among equal prices does not change any result)."""
    low, span, top = int(item.min()), int(item.max()) - int(item.min()), int(price.max())
    if (span + 1) * (top + 1) < 2**63:  # both keys fit one int64: a single argsort is ~2x faster than lexsort
        return np.argsort((item - low) * (top + 1) + price)
    return np.lexsort((price, item))


def _walk(price: np.ndarray, units: np.ndarray, below: np.ndarray, seg: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Step 1: how many of each item's cheapest units are considered (rows sorted by item, then price)."""
    floor = np.maximum(1, units * MIN_PERCENT // 100)  # unit 1 and every unit i <= 0.15·N always count
    cap = units * MAX_PERCENT // 100  # i <= 0.30·N  <=>  i <= floor(0.30·N)
    # Units of one auction share a price, so a jump can only happen at an auction's first unit (below + 1).
    jump = np.zeros(price.size, dtype=bool)
    jump[1:] = (seg[1:] == seg[:-1]) & (price[1:] * JUMP_DEN >= price[:-1] * JUMP_NUM)
    start = below + 1
    late_jump = jump & (start > floor[seg])  # jumps inside the first 15 % are ignored
    first_jump = np.minimum.reduceat(np.where(late_jump, start, _NO_JUMP), first)
    considered: np.ndarray = np.maximum(floor, np.minimum(cap, first_jump - 1))  # numpy types ufuncs as Any
    return considered


def market_values(item: np.ndarray, price: np.ndarray, quantity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TSM AuctionDB market value of one scan for every item in it, as (item codes ascending, value float64).

    ``item``, ``price`` (copper per unit, > 0) and ``quantity`` (units, >= 1) are one row per auction, in any
    order. An auction of quantity q counts as q units at its price. Per item, with N its total units and units
    numbered 1..N cheapest first:

    1. Walk: unit i is considered while ``i == 1``, or ``i <= 0.15·N``, or ``i <= 0.30·N`` and
       ``price_i < 1.2·price_(i-1)``. The first unit that fails ends the walk; it and all dearer units are dropped.
       So a jump of 20 % or more (``>=``) stops the walk only after the first 15 %; the 30 % cap can cut an
       auction part-way (units up to floor(0.30·N)); at least one unit is always considered.
    2. Band: with μ the mean and σ the *sample* standard deviation (ddof=1; 0 for one unit) of the considered
       units, keep the units with ``|price − μ| <= 1.5·σ`` (inclusive).
    3. Value: mean of the kept units (quantity-weighted).

    Follows the published page (its example gives σ 3.761 and 14.5, which only the sample σ reproduces) rather
    than the old TSM2 client code, which used the population σ and seeded the final mean with μ. Steps 1 and 3
    are exact; step 2 runs in float64 with a 1e-9 relative margin (``EDGE_RTOL``) so that exact ties stay kept.
    """
    scan = _scan(item, price, quantity)
    return scan.items, scan.value


@dataclass(frozen=True)
class MarketValueBreakdown:
    """The intermediate numbers of one item's market value, for explaining a value to a player."""

    units: int  # N, all units listed
    considered: int  # units that survived the cheapest-first walk (step 1)
    mean: float  # μ of the considered units
    stdev: float  # sample σ of the considered units (0 for one unit)
    kept: int  # considered units inside μ ± 1.5σ (step 2)
    value: float  # mean of the kept units (step 3)

    @property
    def band(self) -> tuple[float, float]:
        """The inclusive price band of step 2."""
        return self.mean - STDEV_BAND * self.stdev, self.mean + STDEV_BAND * self.stdev


def market_value_breakdown(price: np.ndarray, quantity: np.ndarray) -> MarketValueBreakdown:
    """``market_values`` for the auctions of a single item, with its intermediate numbers."""
    price = _int_column("price", price)
    if price.size == 0:
        raise ValueError("no auctions: an item without listings has no market value")
    scan = _scan(np.zeros(price.size, dtype=np.int64), price, quantity)
    return MarketValueBreakdown(
        units=int(scan.units[0]),
        considered=int(scan.considered[0]),
        mean=float(scan.mean[0]),
        stdev=float(scan.stdev[0]),
        kept=int(scan.kept[0]),
        value=float(scan.value[0]),
    )


def market_value(price: np.ndarray, quantity: np.ndarray) -> float:
    """TSM market value of one item's auctions in one scan (see ``market_values`` for the rules)."""
    return market_value_breakdown(price, quantity).value


# --------------------------------------------------------------------------------------------- day weighting


def day_value(scan_values: np.ndarray) -> float:
    """One day's value of an item: the plain mean of that day's scan market values."""
    values = np.asarray(scan_values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("a day value needs a non-empty 1-D array of scan values")
    if np.isnan(values).any():
        raise ValueError("scan values must not contain NaN")
    return float(values.mean())


def weighted_market_values(offsets: np.ndarray, values: np.ndarray, item: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted market value of many items, as (item codes ascending, value float64).

    One row per (item, day): ``offsets`` is days ago (0 = today). Rows outside 0..14 are ignored; value =
    Σ WEIGHTS[d]·v_d / Σ WEIGHTS[d] over the days present. Items with no day in range are left out of the result;
    two rows for the same item and day are refused (a day has one value, see ``day_value``).
    """
    offsets, item = _int_column("offsets", offsets), _int_column("item", item)
    values = np.asarray(values, dtype=np.float64)
    _same_length(offsets=offsets, values=values, item=item)
    if np.isnan(values).any():
        raise ValueError("day values must not contain NaN")
    inside = (offsets >= 0) & (offsets < len(WEIGHTS))
    offsets, values, item = offsets[inside], values[inside], item[inside]
    if item.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.float64)

    order = np.lexsort((offsets, item))
    offsets, values, item = offsets[order], values[order], item[order]
    twice = (item[1:] == item[:-1]) & (offsets[1:] == offsets[:-1])
    if twice.any():
        at = int(np.flatnonzero(twice)[0])
        raise ValueError(f"item {item[at]} has two values for day offset {offsets[at]}")
    first = _starts(item)
    weight = _WEIGHTS[offsets]
    return item[first], np.add.reduceat(weight * values, first) / np.add.reduceat(weight, first)


def weighted_market_value(day_values: Mapping[int, float]) -> float:
    """TSM's market value from day values keyed by days ago (0 = today .. 14); other keys are ignored.

    Σ WEIGHTS[d]·v_d / Σ WEIGHTS[d] over the days present; no day in 0..14 raises ValueError rather than
    returning NaN, so a missing value can never pass for a price.
    """
    days = [(int(d), float(v)) for d, v in day_values.items() if 0 <= d < len(WEIGHTS)]
    if not days:
        raise ValueError("no day value in the last 15 days (offsets 0..14)")
    offsets = np.fromiter((d for d, _ in days), dtype=np.int64, count=len(days))
    values = np.fromiter((v for _, v in days), dtype=np.float64, count=len(days))
    _, value = weighted_market_values(offsets, values, np.zeros(len(days), dtype=np.int64))
    return float(value[0])

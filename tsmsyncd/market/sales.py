"""Sales estimates from consecutive auction snapshots of one source: pure numpy, data in and data out.

Owns ``estimate_sales`` (sold, expired and cancelled units per item between two snapshots, plus the index to keep
for the next pair), how to present its result (``sales_rate``: per day, with a range, its window and caveats), and
the legacy ``estimate_sold`` it replaces (kept for comparison and for callers not yet moved). The per-auction
``AuctionIndex`` and its stored form live in ``market/auctions.py``.

How ``estimate_sales`` tells the fate of each auction of the previous snapshot:

* **partly bought** (commodities): still listed with a lower quantity: the difference sold;
* **expired**: vanished after its latest possible end. Every auction carries that ``deadline`` (minutes after its
  snapshot): the minimum over its ``time_left`` history of ``seen + bucket maximum`` (SHORT 30 min, MEDIUM 2 h,
  LONG 12 h, VERY_LONG 48 h). A retail auction is seen LONG, then MEDIUM within two hours of its end, so by its
  last hour the deadline is right to the hour. An auction without a buyout only ever ends by expiring;
* **relisted** (cancelled): vanished, and the next snapshot has a fresh listing of the same item variant (bonus
  ids, modifiers, pet stats, Classic seed) and quantity that undercuts every listing of the item a snapshot ago:
  an undercut seller's cancel-and-repost. Pairs are one to one;
* **not bought** (commodities, cancelled): buyers fill cheapest first, so a vanished row dearer than the cheapest
  row of its item that stayed listed cannot have been bought. Its seller cancelled it and, as sellers do, reposted
  it below the cheapest: a repost still listed is paired as above; one bought before the snapshot is a sale; one
  bought in part is still listed with less (the remainder), and only the difference sold;
* otherwise **sold**.

``uncertain`` marks sold units the data cannot tell from a withdrawal (a cancel without repost): every realm and
Classic sale, and the commodity reposts presumed bought. What no rule sees, and bench/sales.py measures: listings
posted and bought out between two snapshots, sales in an auction's last hour (counted as expired), withdrawals
(counted as sales), a sale undercut at once by an identical listing (counted as a relist). Longer gaps make all of
these larger; the caller decides which gaps to compare (``MAX_SNAPSHOT_GAP_HOURS``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tsmsyncd.market.auctions import AuctionIndex

__all__ = [
    "CAVEATS",
    "MAX_SNAPSHOT_GAP_HOURS",
    "RANGE",
    "SALES_CAVEATS",
    "Kind",
    "SalesEstimate",
    "SalesRate",
    "estimate_sales",
    "estimate_sold",
    "sales_rate",
    "sold_per_day",
]

Kind = Literal["realm", "commodities", "house"]
# The gap beyond which a caller should not diff two snapshots (hourly data, one missed hour tolerated).
MAX_SNAPSHOT_GAP_HOURS = 2.0
_TOP = np.iinfo(np.int64).max

# What the legacy ``estimate_sold`` cannot see (shown by the API and CLI while they still use it).
SALES_CAVEATS: tuple[str, ...] = (
    "Sales are estimated from listings that disappear between two snapshots; they are not recorded sales.",
    "A cancelled auction looks like a sale.",
    "A relisted auction looks like a sale plus a new listing.",
    "Anything listed and bought between two snapshots is invisible.",
    "An auction that had under 30 minutes left (SHORT) and vanished counts as expired, even if it sold.",
    "A missed snapshot or a maintenance gap makes everything look sold, so only consecutive snapshots are compared.",
)


@dataclass(frozen=True)
class SalesEstimate:
    """Units per item between two snapshots (items ascending: every item with any units), and the index to keep.

    ``uncertain`` is the part of ``sold`` that may instead have been withdrawn (see the module docstring).
    ``carried`` is the current snapshot's index in auction-id order, with deadlines narrowed by the previous one:
    store it, not the bare current index, and pass it as ``previous`` next time.
    """

    items: np.ndarray
    sold: np.ndarray
    expired: np.ndarray
    cancelled: np.ndarray
    uncertain: np.ndarray
    hours: float
    carried: AuctionIndex


def estimate_sales(previous: AuctionIndex, current: AuctionIndex, hours: float, kind: Kind) -> SalesEstimate:
    """What became of ``previous``'s auctions by ``current``, ``hours`` later (the rules: module docstring).

    ``previous`` should be the ``carried`` index of the estimate before (a freshly ingested or version-0 index
    works too, with looser deadlines); ``kind`` is the source's: "commodities" turns on the cheapest-first rules.
    """
    if not (hours > 0 and math.isfinite(hours)):  # also refuses NaN
        raise ValueError(f"hours between snapshots must be positive, got {hours}")
    if kind not in ("realm", "commodities", "house"):
        raise ValueError(f"kind must be realm, commodities or house, got {kind!r}")
    rows = _classify(previous.by_id(), current.by_id(), hours * 60, kind)
    return _per_item(rows, hours)


@dataclass(frozen=True)
class _Rows:
    """The fate of each auction of the previous snapshot, as masks over ``prev`` (both indexes in id order)."""

    prev: AuctionIndex
    cur: AuctionIndex
    carried: AuctionIndex
    codes: np.ndarray  # the previous snapshot's item codes, ascending
    prev_code: np.ndarray  # prev row -> position in codes
    cur_code: np.ndarray  # cur row -> position in codes, -1 for an item the previous snapshot did not list
    partial: np.ndarray  # units bought off an auction still listed
    expired: np.ndarray
    cancelled: np.ndarray
    sold: np.ndarray  # the whole quantity sold (a commodity repost: bought before the snapshot)
    uncertain: np.ndarray
    remainder: np.ndarray  # cur: units of a fresh row that are the unbought rest of a presumed-bought repost


def _classify(prev: AuctionIndex, cur: AuctionIndex, gap: float, kind: Kind) -> _Rows:
    pos = np.minimum(np.searchsorted(cur.auction_id, prev.auction_id), max(len(cur) - 1, 0))
    present = cur.auction_id[pos] == prev.auction_id if len(cur) else np.zeros(len(prev), dtype=bool)
    at = pos[present]  # where each kept auction is now
    fresh = np.ones(len(cur), dtype=bool)
    fresh[at] = False

    # Carry each deadline forward; one already past while the auction is still listed was wrong (clock jitter).
    narrowed = np.ceil(prev.deadline[present] - gap)
    own = cur.deadline[at]
    deadline = cur.deadline.copy()
    deadline[at] = np.where(narrowed > 0, np.minimum(narrowed, own), own)
    carried = dataclasses.replace(cur, deadline=deadline)

    partial = np.zeros(len(prev), np.int64)
    partial[present] = np.maximum(prev.quantity[present] - cur.quantity[at], 0)
    expired = ~present & ((prev.deadline <= gap) | (prev.price == 0))
    open_ = ~present & ~expired

    codes, prev_code = np.unique(prev.item, return_inverse=True)
    cur_code = np.minimum(np.searchsorted(codes, cur.item), max(len(codes) - 1, 0))
    known = codes[cur_code] == cur.item if len(codes) else np.zeros(len(cur), dtype=bool)
    cur_code = np.where(known, cur_code, -1)
    # A repost undercuts every listing of its item: fresh, and cheaper than the item's cheapest a snapshot ago.
    cheapest = _cheapest(prev_code, prev.price, prev.price > 0, len(codes))
    front = fresh & known & (cur.price > 0) & (cur.price < cheapest[cur_code])
    rows = dict(prev=prev, cur=cur, carried=carried, codes=codes, prev_code=prev_code, cur_code=cur_code,
                partial=partial, expired=expired)
    if kind != "commodities":
        relisted, _ = _pair_reposts(prev, open_, cur, front)
        sold = open_ & ~relisted
        return _Rows(**rows, cancelled=relisted, sold=sold, uncertain=sold, remainder=np.zeros(len(cur), np.int64))
    kept = _cheapest(prev_code, prev.price, present & (prev.price > 0), len(codes))
    cancelled = open_ & (prev.price > kept[prev_code])
    relisted, taken = _pair_reposts(prev, cancelled, cur, front)
    presumed = cancelled & ~relisted
    remainder = _remainders(prev, presumed, cur, front & ~taken)
    return _Rows(**rows, cancelled=cancelled, sold=(open_ & ~cancelled) | presumed, uncertain=presumed,
                 remainder=remainder)


def _cheapest(code: np.ndarray, price: np.ndarray, mask: np.ndarray, n_codes: int) -> np.ndarray:
    """Per item code, the lowest ``price`` among the ``mask`` rows (int64 max where there is none), plus one more
    entry at the end, so that code -1 (an item the previous snapshot did not list) reads as "none"."""
    out = np.full(n_codes + 1, _TOP, dtype=np.int64)
    np.minimum.at(out, code[mask], price[mask])
    return out


def _per_item(r: _Rows, hours: float) -> SalesEstimate:
    n = len(r.codes)
    q = r.prev.quantity
    rest = r.remainder > 0

    def per_code(units: np.ndarray) -> np.ndarray:
        return np.rint(np.bincount(r.prev_code, weights=units, minlength=n)).astype(np.int64)

    # A part-bought repost's remainder is still listed: those units of it were not sold.
    taken_back = np.rint(np.bincount(r.cur_code[rest], weights=r.remainder[rest], minlength=n)).astype(np.int64)
    sums = {"sold": per_code(q * r.sold + r.partial) - taken_back, "expired": per_code(q * r.expired),
            "cancelled": per_code(q * r.cancelled), "uncertain": per_code(q * r.uncertain) - taken_back}
    touched = np.zeros(n, dtype=bool)
    for column in sums.values():
        touched |= column != 0
    return SalesEstimate(items=r.codes[touched], hours=hours, carried=r.carried,
                         **{name: column[touched] for name, column in sums.items()})


def _sorted_groups(by: tuple[np.ndarray, ...], then: tuple[np.ndarray, ...] = ()
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort rows by the ``by`` keys, then the ``then`` keys (in each tuple the last key is the major one).

    Returns (the order, each sorted row's group index, the first sorted row of each group); a group is a run of
    equal ``by`` keys."""
    order = np.lexsort((*then, *by))
    new = np.zeros(len(order), dtype=bool)
    new[:1] = True
    for key in by:
        k = key[order]
        new[1:] |= k[1:] != k[:-1]
    return order, np.cumsum(new) - 1, np.flatnonzero(new)


def _pair_reposts(prev: AuctionIndex, candidates: np.ndarray, cur: AuctionIndex, front: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Pair vanished ``candidates`` one to one with ``front`` rows of the same item, variant and quantity.

    Any front row is cheaper than every vanished row of its item, so a group of a vanished and b front rows holds
    min(a, b) pairs, whichever they are. Returns (paired previous rows, paired current rows)."""
    v, f = np.flatnonzero(candidates), np.flatnonzero(front)
    paired_v, paired_f = np.zeros(len(prev), dtype=bool), np.zeros(len(cur), dtype=bool)
    if not len(v) or not len(f):
        return paired_v, paired_f
    side = np.r_[np.zeros(len(v), np.int8), np.ones(len(f), np.int8)]  # 0 vanished, 1 front
    order, group, first = _sorted_groups(
        by=(np.r_[prev.quantity[v], cur.quantity[f]], np.r_[prev.variant[v], cur.variant[f]],
            np.r_[prev.item[v], cur.item[f]]), then=(side,))
    side = side[order]
    n_v = np.bincount(group, weights=side == 0).astype(np.int64)
    pairs = np.minimum(n_v, np.bincount(group).astype(np.int64) - n_v)
    rank = np.arange(len(order)) - first[group]  # vanished rows come first in their group, then front rows
    take = np.where(side == 0, rank < pairs[group], rank - n_v[group] < pairs[group])
    rows = np.r_[v, f][order]
    paired_v[rows[take & (side == 0)]] = True
    paired_f[rows[take & (side == 1)]] = True
    return paired_v, paired_f


def _remainders(prev: AuctionIndex, presumed: np.ndarray, cur: AuctionIndex, candidates: np.ndarray
                ) -> np.ndarray:
    """Per current row, units that are the unbought rest of a presumed-bought repost (else 0).

    A repost bought in part is still listed with less than its quantity, at the front. Per item, each presumed
    repost (in ascending quantity) takes the largest unused smaller front row as its rest: bracket matching, with
    front rows opening and presumed reposts closing, in one pass of running minima."""
    v, f = np.flatnonzero(presumed), np.flatnonzero(candidates)
    out = np.zeros(len(cur), np.int64)
    if not len(v) or not len(f):
        return out
    step = np.r_[np.full(len(v), -1, np.int64), np.ones(len(f), np.int64)]
    # By item, then quantity; at equal quantities the presumed repost first (an equal row is no remainder).
    order, group, first = _sorted_groups(by=(np.r_[prev.item[v], cur.item[f]],),
                                         then=(step, np.r_[prev.quantity[v], cur.quantity[f]]))
    step, rows = step[order], np.r_[np.full(len(v), -1), f][order]
    depth = _group_cumsum(step, group, first)
    # A presumed repost with no smaller front row left (the depth sinks to a new low) was bought whole.
    starts = np.r_[True, group[1:] != group[:-1]]
    before = np.where(starts, 0, np.r_[0, _group_cummin(depth, group)[:-1]])
    keep = ~((step < 0) & (depth < np.minimum(before, 0)))
    step, rows, group = step[keep], rows[keep], group[keep]
    if not len(step):
        return out
    starts = np.r_[True, group[1:] != group[:-1]]
    group = np.cumsum(starts) - 1
    depth = _group_cumsum(step, group, np.flatnonzero(starts))
    # A front row is someone's rest when the depth later comes back below the level it opened at.
    ends = np.r_[starts[1:], True]
    after = _group_cummin(depth[::-1], (group[-1] - group)[::-1])[::-1]  # minimum from here to the group's end
    later = np.where(ends, np.iinfo(np.int64).max, np.r_[after[1:], 0])
    matched = (step > 0) & (later < depth)
    out[rows[matched]] = cur.quantity[rows[matched]]
    return out


def _group_cumsum(values: np.ndarray, group: np.ndarray, first: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    return total - (total - values)[first][group]


def _group_cummin(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running minimum that restarts at each group (``group`` non-decreasing)."""
    span = 2 * int(np.abs(values).max(initial=0)) + 2  # shift each group below all earlier ones
    return np.minimum.accumulate(values - group * span) + group * span


def _starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal keys (input sorted, non-empty)."""
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


# --------------------------------------------------------------------------------------------- presenting it

# Per kind, the range a per-day estimate E is shown with: [low * E, high * E]. Measured by bench/sales.py on the
# fake market over 24-hour windows (truth / estimate per item and day): low is the 10th percentile with the fake's
# defaults, high the 90th percentile when new listings can also be bought before any snapshot sees them, as on
# busy live markets. Real markets are not the fake: treat the range as the least uncertainty there is.
RANGE: dict[str, tuple[float, float]] = {"commodities": (0.8, 1.85), "realm": (0.9, 1.55), "house": (0.9, 1.85)}

_COMMON = (
    "An estimate from auctions that vanish between hourly snapshots, not recorded sales; the window says how many "
    "hours of consecutive snapshots it covers (gaps over 2 hours are skipped).",
    "Listings posted and bought out between two snapshots are invisible, so busy items read low: on the test "
    "market up to about half too low when new listings sell within minutes. The range's upper end allows for it.",
    "A sale in an auction's last hour counts as expired, so a few percent low.",
)
CAVEATS: dict[str, tuple[str, ...]] = {
    "commodities": (*_COMMON,
                    "A listing dearer than one that stayed listed was cancelled, not bought; its repost counts as sold "
                    "once gone. A listing cancelled for good reads as sold, so slow items read high: by about 15 % on "
                    "the test market (where 1 cancel in 4 is for good), more where sellers withdraw more often."),
    "realm": (*_COMMON,
              "A listing that vanishes with time left counts as sold unless a cheaper listing of the same variant and "
              "quantity appears (a relist). A withdrawal reads as a sale and a sale undercut at once by an identical "
              "listing as a relist: busy items read low, by about 20 % on the test market."),
}
CAVEATS["house"] = (*_COMMON, CAVEATS["realm"][-1].replace("about 20 %", "about 30 %"))


@dataclass(frozen=True)
class SalesRate:
    """Sales per day of one item as a player should read it: an estimate, a range, its window and its caveats."""

    per_day: float
    low: float
    high: float
    window_hours: float
    caveats: tuple[str, ...]


def sales_rate(sold_units: float, hours_covered: float, kind: Kind) -> SalesRate:
    """``sold_units`` estimated over ``hours_covered`` hours of consecutive snapshots, as a rate per day."""
    if kind not in RANGE:
        raise ValueError(f"kind must be realm, commodities or house, got {kind!r}")
    per_day = sold_per_day(sold_units, hours_covered)
    low, high = RANGE[kind]
    return SalesRate(per_day, per_day * low, per_day * high, float(hours_covered), CAVEATS[kind])


# --------------------------------------------------------------------------------------------- legacy estimate


def estimate_sold(previous: AuctionIndex, current: AuctionIndex) -> tuple[np.ndarray, np.ndarray]:
    """Estimated units sold between two consecutive snapshots, as (items ascending, units int64), sold > 0 only.

    The estimator before ``estimate_sales`` (measured against it in bench/sales.py). Per auction of ``previous``:
    gone from ``current`` → its whole quantity sold, unless it was SHORT (then it expired, 0); still there with a
    lower quantity → the difference sold (partial commodity buys); same or higher quantity → 0. Auctions new in
    ``current`` count nothing. Sales are credited to the item of ``previous``.

    This is an estimate, not a record (see ``SALES_CAVEATS``): cancellations look like sales; relists look like a
    sale plus a new listing; something listed and bought between snapshots is invisible; SHORT auctions that did
    sell count as expired; a missed or maintenance snapshot makes everything look sold. Callers must only diff
    consecutive snapshots of the same source (at most ``MAX_SNAPSHOT_GAP_HOURS`` apart) and label the output
    "estimate".
    """
    prev_order, prev_ids = previous._by_id()
    cur_order, cur_ids = current._by_id()
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
    first = _starts(items)
    return items[first], np.add.reduceat(sold, first).astype(np.int64, copy=False)


def sold_per_day(sold_units: float, hours_covered: float) -> float:
    """Scale units sold over ``hours_covered`` hours to a 24-hour rate (still an estimate)."""
    if not hours_covered > 0:  # also refuses NaN
        raise ValueError(f"hours_covered must be positive, got {hours_covered}")
    if sold_units < 0:
        raise ValueError(f"sold_units must not be negative, got {sold_units}")
    return float(sold_units) * 24.0 / float(hours_covered)

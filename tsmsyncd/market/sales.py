"""Sales estimates from consecutive auction snapshots of one source: pure numpy, data in and data out.

Owns ``estimate_sales`` (sold, expired and cancelled units per item between two snapshots, plus the index to keep
for the next pair) and ``sales_since``, which decides which two snapshots may be compared at all. The per-auction
``AuctionIndex`` and its stored form live in ``market/auctions.py``; how an estimate is shown to a player (window,
range, confidence, caveats) in ``market/sales_report.py``.

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
these larger, so ``sales_since`` compares no snapshots more than ``MAX_SNAPSHOT_GAP_HOURS`` apart.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from tsmsyncd.market.auctions import MAX_HISTORY, AuctionIndex
from tsmsyncd.market.sales_report import MAX_SNAPSHOT_GAP_HOURS, Kind

__all__ = ["MAX_SNAPSHOT_GAP_HOURS", "WARM_HISTORY", "Kind", "SalesEstimate", "estimate_sales", "sales_since"]

# Snapshots of history a baseline needs before its pair is counted. A fresh baseline knows each auction's
# time_left bucket only, so its expiries read as sales: on the fake market (bench/sales.py --hours 1 --warmup 0)
# the first pair counts +41 % on commodities, +33 % on realm items, +137 % on Classic houses; from the second on
# the error is what later pairs have (retail listings run 12 hours or more, so one earlier sighting suffices).
WARM_HISTORY = 1
_TOP = np.iinfo(np.int64).max


@dataclass(frozen=True)
class SalesEstimate:
    """Units per item between two snapshots (items ascending: every item with any units), and the index to keep.

    ``uncertain`` is the part of ``sold`` that may instead have been withdrawn (see the module docstring).
    ``carried`` is the current snapshot's index in auction-id order, with deadlines narrowed by the previous one:
    store it, not the bare current index, and pass it as ``previous`` next time. ``since`` is the previous
    snapshot's time when ``sales_since`` made the estimate; ``counted`` is False when it was made only to carry
    the deadlines forward (its baseline had under ``WARM_HISTORY`` snapshots of history): its units must not be
    counted.
    """

    items: np.ndarray
    sold: np.ndarray
    expired: np.ndarray
    cancelled: np.ndarray
    uncertain: np.ndarray
    hours: float
    carried: AuctionIndex
    since: datetime | None = None
    counted: bool = True

    @property
    def total(self) -> int:
        """Units sold over all items."""
        return int(self.sold.sum())


def sales_since(previous: AuctionIndex | None, previous_at: datetime | None, current: AuctionIndex, at: datetime,
                kind: Kind) -> SalesEstimate | None:
    """The estimate from the stored baseline (``previous``, the snapshot of ``previous_at``) to ``current``, the
    snapshot of ``at``; or None where the two are not consecutive: no baseline yet, a gap over
    ``MAX_SNAPSHOT_GAP_HOURS`` (across it every auction would look sold or expired), or a snapshot no newer than
    the baseline (a late one: history, never compared backwards). While the baseline has under ``WARM_HISTORY``
    snapshots of history the estimate is made for its carried index only (``counted`` False): after a start or
    a gap, the first pair is learnt, not counted. Pure: the caller reads and stores."""
    if previous is None or previous_at is None:
        return None
    hours = (at - previous_at).total_seconds() / 3600
    if not 0 < hours <= MAX_SNAPSHOT_GAP_HOURS:
        return None
    return dataclasses.replace(estimate_sales(previous, current, hours, kind), since=previous_at,
                               counted=previous.history >= WARM_HISTORY)


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
    carried = dataclasses.replace(cur, deadline=deadline, history=min(prev.history + 1, MAX_HISTORY))

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

    def rows(cancelled: np.ndarray, sold: np.ndarray, uncertain: np.ndarray, remainder: np.ndarray) -> _Rows:
        return _Rows(prev, cur, carried, codes, prev_code, cur_code, partial, expired, cancelled, sold, uncertain,
                     remainder)

    if kind != "commodities":
        relisted, _ = _pair_reposts(prev, open_, cur, front)
        sold = open_ & ~relisted
        return rows(cancelled=relisted, sold=sold, uncertain=sold, remainder=np.zeros(len(cur), np.int64))
    kept = _cheapest(prev_code, prev.price, present & (prev.price > 0), len(codes))
    cancelled = open_ & (prev.price > kept[prev_code])
    relisted, taken = _pair_reposts(prev, cancelled, cur, front)
    presumed = cancelled & ~relisted
    remainder = _remainders(prev, presumed, cur, front & ~taken)
    return rows(cancelled=cancelled, sold=(open_ & ~cancelled) | presumed, uncertain=presumed, remainder=remainder)


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
    sold, uncertain = per_code(q * r.sold + r.partial) - taken_back, per_code(q * r.uncertain) - taken_back
    expired, cancelled = per_code(q * r.expired), per_code(q * r.cancelled)
    touched = (sold != 0) | (expired != 0) | (cancelled != 0) | (uncertain != 0)
    return SalesEstimate(items=r.codes[touched], sold=sold[touched], expired=expired[touched],
                         cancelled=cancelled[touched], uncertain=uncertain[touched], hours=hours, carried=r.carried)


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
    sums: np.ndarray = total - (total - values)[first][group]
    return sums


def _group_cummin(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running minimum that restarts at each group (``group`` non-decreasing)."""
    span = 2 * int(np.abs(values).max(initial=0)) + 2  # shift each group below all earlier ones
    lowest: np.ndarray = np.minimum.accumulate(values - group * span) + group * span
    return lowest

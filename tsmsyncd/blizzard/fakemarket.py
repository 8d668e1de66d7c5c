"""The fake's synthetic auction market: listings per auction house, their hourly evolution, the truth of what
happened in each hour, and their JSON rows.

One ``House`` is one auction house the API serves: a region's commodities, a retail connected realm, or one
Classic faction house. Its listings live in numpy columns and evolve one published hour at a time, played out in
quarter hours so that the order of events matters:

- a snapshot sees each listing at a random moment of its life: the minutes left are anywhere in its ``time_left``
  bucket (SHORT < 30, MEDIUM < 120, LONG <= 720, VERY_LONG beyond), so a listing that ends within the hour may
  well be seen MEDIUM, as on Blizzard's hourly dumps; it can be bought until the minute it runs out;
- commodity buyers take the cheapest units first against an hourly demand per item (the row where demand runs out
  loses part of its quantity and keeps its id); realm and Classic listings sell whole, likelier when cheap;
- undercut sellers cancel and repost just below the cheapest listing (same item, variant and quantity, new id);
  the repost can be bought before the next snapshot. A few sellers withdraw for good; a third of expired
  listings are posted again; new listings arrive at random minutes (many undercutting the current minimum),
  and each item's price level drifts a little. By default a brand-new listing is not bought before the next
  snapshot; ``same_hour_sales=True`` lets buyers take it at once, as on busy live markets, where such sales are
  invisible to anything that reads hourly snapshots.

``House.truth(hour)`` gives what really happened between two snapshots (``HourTruth``: units sold, expired,
cancelled, relisted and posted per item), for tests and benchmarks that measure sales estimators; the
Blizzard-shaped API never shows it.

Everything is drawn from ``numpy.random.default_rng((seed, region, flavor, house..., hour))``: no global random
state, and the same seed and hour always give byte-identical rows however the hours were reached.

The bodies are built here too (``envelope``: the ``auctions`` array inside its links), so the server only adds
headers; the links carry the server's own base URL.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from tsmsyncd.blizzard.catalog import ITEMS, PET_CAGE_ID, PETS, synthetic_commodity

__all__ = [
    "CLASSIC_HOUSES", "TIME_LEFT", "HourTruth", "House", "HouseKey", "Slots", "build_slots", "envelope", "namespace",
    "synthetic_count",
]

TIME_LEFT = ("SHORT", "MEDIUM", "LONG", "VERY_LONG")
# House ids are Blizzard's (2 Alliance, 6 Horde, 7 neutral/Booty Bay); the names are our guess [UNVERIFIED].
CLASSIC_HOUSES = {2: "Alliance Auction House", 6: "Horde Auction House", 7: "Blackwater Auction House"}

# Slot kinds: what one listable thing is, which decides its row shape.
STACKABLE, GEAR, PET_ITEM, CAGED_PET = 0, 1, 2, 3

# Real item-detail shapes seen in live realm dumps (ArgentPony AuctionsResponse); %d is modifier 9, the level the
# player had when the item dropped. Variant 0 is an item with no details at all.
_GEAR_DETAILS = (
    "",
    ',"context":0,"bonus_lists":[6654,1708],"modifiers":[{"type":9,"value":%d},{"type":28,"value":49}]',
    ',"context":36,"bonus_lists":[1687,4767],"modifiers":[{"type":9,"value":%d}]',
)
_GEAR_PRICE_FACTOR = np.array([1.0, 1.15, 0.9])
_DROP_LEVELS = np.array([20, 30, 40, 50, 60, 70, 80])
_PET_BREEDS = np.arange(3, 13)

_COMMODITY_QTY = np.array([1, 5, 10, 20, 50, 100, 200, 500, 1000])
_COMMODITY_QTY_P = np.array([0.15, 0.10, 0.15, 0.20, 0.15, 0.12, 0.07, 0.04, 0.02])
_CLASSIC_QTY = np.array([1, 5, 10, 20])
# Listing durations in hours: retail 12/24/48, vanilla-style Classic 2/8/24.
_RETAIL_HOURS = np.array([12, 24, 48])
_CLASSIC_HOURS = np.array([2, 8, 24])
_N_REAL_COMMODITIES = sum(item.kind == "commodity" for item in ITEMS)
# The hour is played out in quarters, so that what happens first matters (a repost can sell before the snapshot).
_QUARTERS = 4
_RELIST_P = 0.015  # per hour, an undercut listing is cancelled and reposted cheaper
_WITHDRAW_P = 0.005  # per hour, a listing is cancelled for good
_EXPIRED_RELIST_P = 0.35  # an expired listing is posted again when it comes back from the mailbox


@dataclass(frozen=True, slots=True)
class HouseKey:
    """Which auction house: ``kind`` is "commodities", "realm" (retail) or "classic"."""

    kind: str
    region: str
    flavor: str = "retail"  # "retail", "classic" or "classic1x"
    realm: int = 0  # connected realm id; 0 for commodities
    house: int = 0  # Classic auction house id (2, 6, 7); 0 otherwise


@dataclass(frozen=True, slots=True)
class Slots:
    """The things a house can list, one entry each, as parallel arrays."""

    item_id: np.ndarray  # int64
    species: np.ndarray  # int64, 0 unless a caged pet
    kind: np.ndarray  # int8, STACKABLE/GEAR/PET_ITEM/CAGED_PET
    base: np.ndarray  # float64, typical unit price in copper
    weight: np.ndarray  # float64, share of listings (sums to 1)
    expensive: np.ndarray  # bool, listed in small quantities


def _code(part: str | int) -> int:
    # crc32, not hash(): Python salts str hashes per process, and the market must repeat across processes.
    return part if isinstance(part, int) else zlib.crc32(part.encode())


def _rng(seed: int, *parts: str | int) -> np.random.Generator:
    return np.random.default_rng([seed, *(_code(p) for p in parts)])


def synthetic_count(commodity_rows: int) -> int:
    """How many generated commodity ids a region with ``commodity_rows`` listings uses.

    Real regions list thousands of distinct commodities (~200 listings each); past what the catalog holds, generated
    ids stand in for the ones we do not know, so a 700k-row snapshot has a realistic spread of items.
    """
    return max(0, commodity_rows // 200 - _N_REAL_COMMODITIES)


def build_slots(seed: int, key: HouseKey, rows: int) -> Slots:
    """The listable things of ``key``'s house type, with popularity weights fixed by seed and region."""
    item_id: list[int] = []
    species: list[int] = []
    kind: list[int] = []
    base: list[float] = []
    if key.kind == "commodities":
        items = [item for item in ITEMS if item.kind == "commodity"]
        items += [synthetic_commodity(i) for i in range(synthetic_count(rows))]
    elif key.kind == "realm":
        items = [item for item in ITEMS if item.kind in ("gear", "pet_item")]
    else:
        items = [item for item in ITEMS if item.classic]
    for item in items:
        item_id.append(item.id)
        species.append(0)
        kind.append({"gear": GEAR, "pet_item": PET_ITEM}.get(item.kind, STACKABLE))
        # Classic gold is scarcer: the same goods trade at a fraction of retail prices.
        base.append(item.base_price * (0.3 if key.kind == "classic" else 1.0))
    if key.kind == "realm":
        for pet in PETS:
            item_id.append(PET_CAGE_ID)
            species.append(pet.id)
            kind.append(CAGED_PET)
            base.append(float(pet.base_price))
    rng = _rng(seed, "slots", key.kind, key.region, key.flavor)
    base_arr = np.array(base) * rng.lognormal(0.0, 0.08, len(base))  # each region prices a little differently
    kinds = np.array(kind, dtype=np.int8)
    # Pets are a minority of a realm's listings next to gear.
    weight = rng.lognormal(0.0, 1.0, len(base)) * np.select([kinds == CAGED_PET, kinds == PET_ITEM], [0.3, 0.5], 1.0)
    return Slots(
        item_id=np.array(item_id, dtype=np.int64),
        species=np.array(species, dtype=np.int64),
        kind=kinds,
        base=base_arr,
        weight=weight / weight.sum(),
        expensive=base_arr > 500_000,
    )


@dataclass(frozen=True, slots=True)
class HourTruth:
    """What really happened in one house between the snapshots of ``hour - 1`` and ``hour``, per item.

    ``item`` holds item codes as ingest makes them (the item id, or minus the species for caged pets), ascending;
    the other arrays are units (int64) per item. ``relisted`` is the part of ``cancelled`` whose seller reposted it
    cheaper (same variant and quantity) within the hour; ``posted`` counts every unit listed during the hour,
    reposts included, and listings bought out before the next snapshot too. Per item:
    ``listed(hour - 1) + posted - sold - expired - cancelled == listed(hour)``.
    """

    hour: int
    item: np.ndarray
    sold: np.ndarray
    expired: np.ndarray
    cancelled: np.ndarray
    relisted: np.ndarray
    posted: np.ndarray


@dataclass(slots=True)
class _Plan:
    """One hour decided up front: the listings of the last snapshot (``n`` of them), what will happen to them
    if they are still there by then, and the listings that arrive. Candidate columns (``slot``, ``unit``, ``rem``,
    ``start``) hold the old listings, then the planned reposts of cancelled ones, then the new listings."""

    n: int
    expiring: np.ndarray  # old: ends within this hour
    end: np.ndarray  # old: first quarter it is no longer listed in (4 = lasts the hour)
    cancel_at: np.ndarray  # old: quarter it is cancelled in (4 = never)
    repost_expired: np.ndarray  # old: listed again as it was if it expires
    src: np.ndarray  # old index of each repost
    re_unit: np.ndarray
    re_minute: np.ndarray
    new: list[np.ndarray]  # slot, qty, unit, bid, hours, va, vb of the new listings
    new_minute: np.ndarray
    slot: np.ndarray
    unit: np.ndarray
    rem: np.ndarray  # units still listed (reposts: 0 until their original is cancelled)
    start: np.ndarray  # first quarter a candidate can be bought in


class House:
    """One auction house's listings, evolved lazily to the hour being served, with the truth of every hour."""

    def __init__(self, seed: int, key: HouseKey, rows: int, slots: Slots, *, same_hour_sales: bool = False) -> None:
        self.key = key
        self.hour = 0
        # Off: buyers take what was listed at the last snapshot and the reposts of undercut sellers; brand-new
        # listings wait for the next hour. On: new listings can be bought out before any snapshot sees them.
        self.same_hour_sales = same_hour_sales
        self._seed = seed
        self._target = rows
        self._slots = slots
        rng = self._rng(0)
        # Each realm's prices sit a little apart from its region's; they then drift on their own.
        self._base = slots.base * rng.lognormal(0.0, 0.1, len(slots.base))
        self._hours = _CLASSIC_HOURS if key.kind == "classic" else _RETAIL_HOURS
        # Auction ids grow monotonically per house, starting somewhere realistic (8-9 digits like live dumps).
        self._next_id = int(rng.integers(30_000_000, 900_000_000))
        slot, qty, unit, bid, hours, va, vb = self._new_rows(rng, rows)
        # A listing seen at a random moment of its life. Time is continuous: no snapshot falls on the very minute an
        # auction ends, so minutes left are never a whole number of hours.
        left = (rng.integers(0, hours) * 60 + rng.integers(1, 60, rows)).astype(np.int32)
        self.id = self._ids(rng, rows)
        self.slot, self.qty, self.unit, self.bid, self.left, self.va, self.vb = slot, qty, unit, bid, left, va, vb
        self._sold_rows = 0  # listings bought out last hour: about as many go this hour and are replaced
        self._cache: tuple[int, bytes] | None = None
        code = np.where(slots.kind == CAGED_PET, -slots.species, slots.item_id)
        self._by_code = np.argsort(code, kind="stable")
        self._codes = code[self._by_code]
        self._truth: list[HourTruth] = []

    def truth(self, hour: int) -> HourTruth:
        """What happened between the snapshots of ``hour - 1`` and ``hour`` (evolving the house that far)."""
        if hour < 1:
            raise ValueError(f"the first hour ends at snapshot 1; there is no truth for hour {hour}")
        self.advance_to(hour)
        return self._truth[hour - 1]

    # ---- evolution ----------------------------------------------------------------------------------------------

    def _rng(self, hour: int) -> np.random.Generator:
        k = self.key
        return _rng(self._seed, k.kind, k.region, k.flavor, k.realm, k.house, hour)

    def advance_to(self, hour: int) -> None:
        """Evolve hour by hour up to ``hour`` (the house never goes back)."""
        while self.hour < hour:
            self.hour += 1
            rng = self._rng(self.hour)
            plan = self._plan(rng)
            tally = self._play(rng, plan)
            self._settle(rng, plan, *tally)

    def _plan(self, rng: np.random.Generator) -> _Plan:
        n = len(self.id)
        # A listing with L <= 60 minutes left ends at minute L; it can be bought in the quarters before that.
        expiring = self.left <= 60
        end = np.where(expiring, (self.left + 14) // 15, _QUARTERS)
        has_buyout = self.unit > 0
        lowest = self._lowest()
        # TSM's cancel scan: an undercut seller cancels and reposts just below the cheapest listing, same item,
        # variant and quantity; a few sellers withdraw for good.
        relist = has_buyout & (self.unit > lowest[self.slot]) & (rng.random(n) < _RELIST_P)
        withdraw = has_buyout & ~relist & (rng.random(n) < _WITHDRAW_P)
        cancel_at = np.where(relist | withdraw, rng.integers(0, _QUARTERS, n), _QUARTERS)
        repost_expired = expiring & (rng.random(n) < _EXPIRED_RELIST_P)
        self._base = self._base * rng.lognormal(0.0, 0.01, len(self._base))  # price levels drift
        src = np.flatnonzero(relist)
        floor = lowest[self.slot[src]]
        re_unit = np.maximum(floor - self._cut(rng, floor), 1).astype(np.int64)
        re_minute = cancel_at[src] * 15 + rng.integers(1, 15, len(src))  # never on the hour (see __init__)
        # New listings keep the house near its usual size: about as many as will go this hour, plus a trickle.
        gone = int(expiring.sum() - repost_expired.sum() + withdraw.sum()) + self._sold_rows
        n_new = int(rng.poisson(0.8 * max(0, self._target - n + gone) + 0.02 * self._target))
        new = self._new_rows(rng, n_new)
        new[2] = self._undercut(rng, new[0], new[2], lowest)
        new_minute = rng.integers(1, 60, n_new)
        return _Plan(
            n=n, expiring=expiring, end=end, cancel_at=cancel_at, repost_expired=repost_expired, src=src,
            re_unit=re_unit, re_minute=re_minute, new=new, new_minute=new_minute,
            slot=np.concatenate([self.slot, self.slot[src], new[0]]),
            unit=np.concatenate([self.unit, re_unit, new[2]]),
            rem=np.concatenate([self.qty, np.zeros(len(src), np.int64), new[1]]),
            start=np.concatenate([np.zeros(n, np.int64), cancel_at[src],
                                  new_minute // 15 if self.same_hour_sales else np.full(n_new, _QUARTERS)]))

    def _play(self, rng: np.random.Generator, plan: _Plan) -> tuple[np.ndarray, ...]:
        """The hour quarter by quarter: listings run out, sellers cancel (and repost), buyers buy what is listed.

        Returns units per candidate: sold, and for the old listings expired, cancelled, and relisted (the part of
        cancelled that was reposted); then the quantity each repost was posted with.
        """
        n, rem = plan.n, plan.rem
        expired = np.zeros(n, np.int64)
        cancelled = np.zeros(n, np.int64)
        sold = np.zeros(len(rem), np.int64)
        is_repost = np.zeros(n, dtype=bool)
        is_repost[plan.src] = True
        buy = self._buyer(rng, plan)
        for k in range(_QUARTERS + 1):
            ends = np.flatnonzero(plan.expiring & (plan.end == k) & (rem[:n] > 0))
            expired[ends], rem[ends] = rem[ends], 0
            if k == _QUARTERS:
                break
            now = np.flatnonzero((plan.cancel_at == k) & (rem[:n] > 0))
            cancelled[now] = rem[now]
            reposts = np.flatnonzero(plan.cancel_at[plan.src] == k)
            rem[n + reposts] = rem[plan.src[reposts]]  # 0 when the original sold or ran out first
            rem[now] = 0
            take = buy(k, (plan.start <= k) & (rem > 0))
            rem -= take
            sold += take
        relisted = np.where(is_repost, cancelled, 0)
        return sold, expired, cancelled, relisted, relisted[plan.src]

    def _buyer(self, rng: np.random.Generator, plan: _Plan) -> Callable[[int, np.ndarray], np.ndarray]:
        """Who buys in a quarter: commodity buyers take the cheapest units first (the last row touched loses part
        of its quantity); a realm or Classic listing sells whole, far likelier when cheap."""
        slot, unit = plan.slot, plan.unit
        if self.key.kind == "commodities":
            n_slots = len(self._base)
            listed = np.bincount(self.slot, weights=self.qty, minlength=n_slots)
            rate = (0.02 + 0.10 * self._slots.weight / self._slots.weight.max()) / _QUARTERS
            demand = [rng.poisson(listed * rate) for _ in range(_QUARTERS)]
            order = np.lexsort((unit, slot))
            slot_sorted = slot[order]
            first = np.searchsorted(slot_sorted, slot_sorted, side="left")

            def cheapest_first(k: int, available: np.ndarray) -> np.ndarray:
                q = np.where(available, plan.rem, 0)[order]
                before = np.cumsum(q) - q
                before -= before[first]
                take = np.empty_like(q)
                take[order] = np.clip(demand[k][slot_sorted] - before, 0, q)
                return take

            return cheapest_first
        # Cheap listings sell far more often; absurd ones (1000x) practically never; bid-only ones only expire.
        ratio = self._base[slot] / np.maximum(unit, 1)
        p_hour = np.where(unit > 0, np.clip(0.03 * ratio**2, 0.0, 0.5), 0.0)
        p_quarter = 1 - (1 - p_hour) ** (1 / _QUARTERS)
        rolls = rng.random((_QUARTERS, len(slot)))

        def whole(k: int, available: np.ndarray) -> np.ndarray:
            return np.where(available & (rolls[k] < p_quarter), plan.rem, 0)

        return whole

    def _settle(self, rng: np.random.Generator, plan: _Plan, sold: np.ndarray, expired: np.ndarray,
                cancelled: np.ndarray, relisted: np.ndarray, reposted: np.ndarray) -> None:
        """Record the hour's truth and build the next snapshot's listings."""
        n, src, new = plan.n, plan.src, plan.new
        # Expired listings some sellers post again as they were, when the goods come back from the mailbox.
        again = np.flatnonzero(plan.repost_expired & (expired > 0))
        done = np.flatnonzero(reposted > 0)
        posted_slot = np.concatenate([self.slot[src[done]], new[0], self.slot[again]])
        posted_qty = np.concatenate([reposted[done], new[1], expired[again]])
        self._record(plan.slot, sold, expired, cancelled, relisted, posted_slot, posted_qty)
        self._sold_rows = int(((sold > 0) & (plan.rem == 0)).sum())

        # Everything posted this hour gets an id in posting order, bought out or not.
        minute = np.concatenate([plan.re_minute[done], plan.new_minute, self.left[again]])
        rem = np.concatenate([plan.rem[n + done], plan.rem[n + len(src):], expired[again]])
        bid = np.floor(self.bid[src] * (plan.re_unit / np.maximum(self.unit[src], 1))).astype(np.int64)
        unit = np.concatenate([plan.re_unit[done], new[2], self.unit[again]])
        cols = [posted_slot, rem, unit, np.concatenate([bid[done], new[3], self.bid[again]]),
                np.concatenate([rng.choice(self._hours, len(done)), new[4], rng.choice(self._hours, len(again))]),
                np.concatenate([self.va[src[done]], new[5], self.va[again]]),
                np.concatenate([self.vb[src[done]], new[6], self.vb[again]])]
        order = np.argsort(minute, kind="stable")
        ids = self._ids(rng, len(order))
        cols = [c[order] for c in cols]
        keep = cols[1] > 0
        left = (cols[4] * 60 - 60 + minute[order]).astype(np.int32)
        old = plan.rem[:n] > 0
        self.id = np.concatenate([self.id[old], ids[keep]])
        self.slot = np.concatenate([self.slot[old], cols[0][keep]]).astype(np.int32)
        self.qty = np.concatenate([plan.rem[:n][old], cols[1][keep]])
        self.unit = np.concatenate([self.unit[old], cols[2][keep]])
        self.bid = np.concatenate([self.bid[old], cols[3][keep]])
        self.left = np.concatenate([self.left[old] - 60, left[keep]]).astype(np.int32)
        self.va = np.concatenate([self.va[old], cols[5][keep]]).astype(np.int32)
        self.vb = np.concatenate([self.vb[old], cols[6][keep]]).astype(np.int32)

    def _record(self, slot: np.ndarray, sold: np.ndarray, expired: np.ndarray, cancelled: np.ndarray,
                relisted: np.ndarray, posted_slot: np.ndarray, posted_qty: np.ndarray) -> None:
        n_slots, n = len(self._base), len(expired)

        def per_item(where: np.ndarray, units: np.ndarray) -> np.ndarray:
            return np.bincount(where, weights=units, minlength=n_slots).astype(np.int64)[self._by_code]

        self._truth.append(HourTruth(
            hour=self.hour, item=self._codes, sold=per_item(slot, sold), expired=per_item(slot[:n], expired),
            cancelled=per_item(slot[:n], cancelled), relisted=per_item(slot[:n], relisted),
            posted=per_item(posted_slot, posted_qty)))

    def _lowest(self) -> np.ndarray:
        """The cheapest buyout per slot now (inf where nothing has a buyout)."""
        lowest = np.full(len(self._base), np.inf)
        has_buyout = self.unit > 0
        np.minimum.at(lowest, self.slot[has_buyout], self.unit[has_buyout].astype(np.float64))
        return lowest

    def _ids(self, rng: np.random.Generator, n: int) -> np.ndarray:
        ids = self._next_id + np.cumsum(rng.integers(1, 40, n, dtype=np.int64))
        self._next_id = int(ids[-1]) if n else self._next_id
        return ids

    def _pick_slots(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self._base), size=n, p=self._slots.weight).astype(np.int32)

    def _new_rows(self, rng: np.random.Generator, n: int) -> list[np.ndarray]:
        """Columns slot, qty, unit, bid, hours (listing duration), va, vb of ``n`` new listings."""
        s = self._slots
        slot = self._pick_slots(rng, n)
        kind = s.kind[slot]
        spread = 0.25 if self.key.kind == "commodities" else 0.35
        unit = self._base[slot] * rng.lognormal(0.0, spread, n)
        # A few absurd listings: fat-fingered 1000x prices and the odd 90 %-off mistake.
        roll = rng.random(n)
        unit = np.where(roll < 0.002, unit * 1000, np.where(roll > 0.9995, unit * 0.1, unit))
        va = np.zeros(n, dtype=np.int32)
        vb = np.zeros(n, dtype=np.int32)
        gear, caged = kind == GEAR, kind == CAGED_PET
        if self.key.kind == "realm":
            variant = rng.integers(0, len(_GEAR_DETAILS), n)
            va = np.where(gear, variant, va)
            vb = np.where(gear, rng.choice(_DROP_LEVELS, n), vb)
            unit = np.where(gear, unit * _GEAR_PRICE_FACTOR[variant], unit)
            level = np.where(rng.random(n) < 0.7, 1, np.where(rng.random(n) < 0.6, 25, rng.integers(2, 25, n)))
            quality = np.where(rng.random(n) < 0.8, 3, rng.integers(0, 3, n))
            va = np.where(caged, level, va)
            vb = np.where(caged, rng.choice(_PET_BREEDS, n) * 10 + quality, vb)
            unit = np.where(caged, unit * (1 + (level == 25) * 0.6) * np.where(quality == 3, 1.0, 0.6), unit)
        elif self.key.kind == "classic":
            va = np.where(gear & (rng.random(n) < 0.2), rng.integers(1, 2000, n), va)  # random enchantment
            vb = np.where(gear, rng.integers(1, 2**31 - 1, n), vb)  # the item's seed
        # Players type round prices; undercut bots leave odd ones.
        unit = np.maximum(np.where((unit >= 10_000) & (rng.random(n) < 0.7), np.round(unit, -2), np.round(unit)), 1)
        if self.key.kind == "commodities":
            qty = rng.choice(_COMMODITY_QTY, n, p=_COMMODITY_QTY_P)
            qty = np.where(s.expensive[slot], np.minimum(qty, rng.integers(1, 6, n)), qty)
        elif self.key.kind == "classic":
            qty = np.where(kind == STACKABLE, rng.choice(_CLASSIC_QTY, n), 1)
        else:
            qty = np.ones(n, dtype=np.int64)
        bid = np.zeros(n, dtype=np.int64)
        if self.key.kind != "commodities":
            with_bid = rng.random(n) < (1.0 if self.key.kind == "classic" else 0.25)
            bid = np.where(with_bid, np.floor(unit * qty * rng.uniform(0.5, 0.95, n)), 0).astype(np.int64)
            bid_only = rng.random(n) < 0.03
            bid = np.where(bid_only, np.maximum(bid, np.floor(unit * qty * 0.7)), bid).astype(np.int64)
            unit = np.where(bid_only, 0, unit)  # unit 0 = no buyout
        hours = rng.choice(self._hours, n)
        return [slot, qty.astype(np.int64), unit.astype(np.int64), bid, hours, va, vb]

    @staticmethod
    def _cut(rng: np.random.Generator, floor: np.ndarray) -> np.ndarray:
        """How far an undercut goes below ``floor``: a copper, or 0.1-3 %."""
        return np.where(rng.random(len(floor)) < 0.5, 1, np.ceil(floor * rng.uniform(0.001, 0.03, len(floor))))

    def _undercut(self, rng: np.random.Generator, slot: np.ndarray, unit: np.ndarray, lowest: np.ndarray
                  ) -> np.ndarray:
        """Four in ten new listings undercut the cheapest current listing of their item."""
        if not len(slot):
            return unit
        undercut = (rng.random(len(slot)) < 0.4) & np.isfinite(lowest[slot]) & (unit > 0)
        floor = np.where(np.isfinite(lowest[slot]), lowest[slot], 0.0)  # inf would poison the arithmetic below
        return np.where(undercut, np.maximum(floor - self._cut(rng, floor), 1), unit).astype(np.int64)

    # ---- serialization ------------------------------------------------------------------------------------------

    def rows_json(self) -> bytes:
        """The ``auctions`` array of the current hour, as compact JSON (cached per hour)."""
        if self._cache is None or self._cache[0] != self.hour:
            self._cache = (self.hour, self._serialize())
        return self._cache[1]

    def _serialize(self) -> bytes:
        bucket = (self.left >= 30).astype(np.int8) + (self.left >= 120) + (self.left > 720)
        time_left = np.array(TIME_LEFT, dtype=object)[bucket].tolist()
        ids, qty, unit, bid = self.id.tolist(), self.qty.tolist(), self.unit.tolist(), self.bid.tolist()
        item_ids = self._slots.item_id[self.slot].tolist()
        if self.key.kind == "commodities":
            # The hot path (700k rows): one f-string per row is ~4x faster than building dicts for orjson.
            rows = [
                f'{{"id":{a},"item":{{"id":{i}}},"quantity":{q},"unit_price":{p},"time_left":"{t}"}}'
                for a, i, q, p, t in zip(ids, item_ids, qty, unit, time_left, strict=True)
            ]
        else:
            kinds = self._slots.kind[self.slot].tolist()
            species = self._slots.species[self.slot].tolist()
            va, vb = self.va.tolist(), self.vb.tolist()
            classic = self.key.kind == "classic"
            rows = []
            for n, auction_id in enumerate(ids):
                item = self._item_json(kinds[n], item_ids[n], species[n], va[n], vb[n], classic)
                if classic:  # Classic always sends both; 0 means "no buyout"
                    price = f'"bid":{bid[n]},"buyout":{unit[n] * qty[n]}'
                else:
                    parts = ([f'"bid":{bid[n]}'] if bid[n] else []) + ([f'"buyout":{unit[n]}'] if unit[n] else [])
                    price = ",".join(parts)
                rows.append(f'{{"id":{auction_id},"item":{item},{price},"quantity":{qty[n]},'
                            f'"time_left":"{time_left[n]}"}}')
        return ("[" + ",".join(rows) + "]").encode()

    @staticmethod
    def _item_json(kind: int, item_id: int, species: int, va: int, vb: int, classic: bool) -> str:
        if kind == CAGED_PET:
            # Live rows also carry modifier 6 (the creature display id); we know no display ids, so it is left out.
            breed, quality = divmod(vb, 10)
            return (f'{{"id":{item_id},"context":0,"pet_breed_id":{breed},"pet_level":{va},'
                    f'"pet_quality_id":{quality},"pet_species_id":{species}}}')
        if kind == GEAR and classic:
            rand = f',"rand":{va}' if va else ""
            return f'{{"id":{item_id}{rand},"seed":{vb}}}'
        if kind == GEAR and va:
            return f'{{"id":{item_id}{_GEAR_DETAILS[va] % vb}}}'
        return f'{{"id":{item_id}}}'


def namespace(family: str, flavor: str, region: str) -> str:
    """``dynamic-us``, ``static-classic1x-eu``...: Blizzard's namespace for a family, game flavor and region."""
    return f"{family}-{region}" if flavor == "retail" else f"{family}-{flavor}-{region}"


def envelope(key: HouseKey, rows: bytes, api: str, house_name: Any = None) -> bytes:
    """The whole response body of ``key``'s auction route around ``rows``; ``api`` is ``<base>/api/<region>``.

    ``house_name`` is the Classic house's (already localized) name. Rows are spliced in as bytes: re-encoding a
    700k-row array through orjson would double the cost of every snapshot.
    """
    ns = namespace("dynamic", key.flavor, key.region)
    commodities = {"href": f"{api}/data/wow/auctions/commodities?namespace={ns}"}
    if key.kind == "commodities":
        return orjson.dumps({"_links": {"self": commodities}})[:-1] + b',"auctions":' + rows + b"}"
    realm = f"{api}/data/wow/connected-realm/{key.realm}"
    if key.kind == "realm":
        head = {"_links": {"self": {"href": f"{realm}/auctions?namespace={ns}"}},
                "connected_realm": {"href": f"{realm}?namespace={ns}"}}
        tail = orjson.dumps({"commodities": commodities})
        return orjson.dumps(head)[:-1] + b',"auctions":' + rows + b"," + tail[1:]
    head = {"_links": {"self": {"href": f"{realm}/auctions/{key.house}?namespace={ns}"}}, "id": key.house,
            "name": house_name, "connected_realm": {"href": f"{realm}?namespace={ns}"}}
    return orjson.dumps(head)[:-1] + b',"auctions":' + rows + b"}"

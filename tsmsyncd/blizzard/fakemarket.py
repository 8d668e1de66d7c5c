"""The fake's synthetic auction market: listings per auction house, their hourly evolution, and their JSON rows.

One ``House`` is one auction house the API serves: a region's commodities, a retail connected realm, or one
Classic faction house. Its listings live in numpy columns and evolve one published hour at a time:

- time runs down by an hour; listings whose last snapshot said SHORT expire (a third are relisted with a new id);
- commodities sell cheapest-first against an hourly demand per item, so the cheapest rows vanish and the row where
  demand ran out loses part of its quantity (its id stays); realm and Classic rows sell whole, likelier when cheap;
- a few sellers cancel and relist (new id, same item), new listings arrive (many undercutting the current minimum),
  and each item's price level drifts a little.

Everything is drawn from ``numpy.random.default_rng((seed, region, flavor, house..., hour))``: no global random
state, and the same seed and hour always give byte-identical rows however the hours were reached. Remaining times
are ``k * 60 + r`` minutes with ``1 <= r <= 29`` at every snapshot, so a listing is always SHORT in the last
snapshot before it expires (the signal sales estimators use to tell expiry from a sale).

The bodies are built here too (``envelope``: the ``auctions`` array inside its links), so the server only adds
headers; the links carry the server's own base URL.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from tsmsyncd.blizzard.catalog import ITEMS, PET_CAGE_ID, PETS, synthetic_commodity

__all__ = [
    "CLASSIC_HOUSES", "TIME_LEFT", "House", "HouseKey", "Slots", "build_slots", "envelope", "namespace",
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


class House:
    """One auction house's listings, evolved lazily to the hour being served."""

    def __init__(self, seed: int, key: HouseKey, rows: int, slots: Slots) -> None:
        self.key = key
        self.hour = 0
        self._seed = seed
        self._target = rows
        self._slots = slots
        rng = self._rng(0)
        # Each realm's prices sit a little apart from its region's; they then drift on their own.
        self._base = slots.base * rng.lognormal(0.0, 0.1, len(slots.base))
        self._hours = _CLASSIC_HOURS if key.kind == "classic" else _RETAIL_HOURS
        # Auction ids grow monotonically per house, starting somewhere realistic (8-9 digits like live dumps).
        self._next_id = int(rng.integers(30_000_000, 900_000_000))
        cols = self._new_rows(rng, rows, fresh=False)
        self.id, self.slot, self.qty, self.unit, self.bid, self.left, self.va, self.vb = cols
        self._cache: tuple[int, bytes] | None = None

    # ---- evolution ----------------------------------------------------------------------------------------------

    def _rng(self, hour: int) -> np.random.Generator:
        k = self.key
        return _rng(self._seed, k.kind, k.region, k.flavor, k.realm, k.house, hour)

    def advance_to(self, hour: int) -> None:
        """Evolve hour by hour up to ``hour`` (the house never goes back)."""
        while self.hour < hour:
            self.hour += 1
            self._step(self._rng(self.hour))

    def _step(self, rng: np.random.Generator) -> None:
        n = len(self.id)
        self.left = self.left - 60
        expired = self.left < 0
        qty = self.qty.copy()
        sold = np.zeros(n, dtype=bool)
        if self.key.kind == "commodities":
            sold, qty = self._sell_cheapest(rng, qty)
        else:
            # Cheap listings sell far more often; absurd ones (1000x) practically never.
            ratio = self._base[self.slot] / np.maximum(self.unit, 1)
            p_sell = np.clip(0.03 * ratio**2, 0.0, 0.5)
            sold = rng.random(n) < p_sell
            sold &= self.unit > 0  # bid-only rows end only by expiring
        gone = sold | expired
        cancelled = ~gone & (rng.random(n) < 0.02)
        relisted_expired = expired & ~sold & (rng.random(n) < 0.35)
        keep = ~(gone | cancelled)
        relist_slots = self.slot[cancelled | relisted_expired]
        self.id, self.slot, self.unit, self.bid, self.left = (
            self.id[keep], self.slot[keep], self.unit[keep], self.bid[keep], self.left[keep])
        self.qty, self.va, self.vb = qty[keep], self.va[keep], self.vb[keep]
        # Price levels drift; new listings arrive to keep the house near its usual size.
        self._base = self._base * rng.lognormal(0.0, 0.01, len(self._base))
        missing = max(0, self._target - len(self.id) - len(relist_slots))
        n_new = int(rng.poisson(0.8 * missing + 0.02 * self._target))
        new_slots = np.concatenate([relist_slots, self._pick_slots(rng, n_new)])
        cols = self._new_rows(rng, len(new_slots), fresh=True, slots=new_slots)
        self._undercut(rng, cols)
        self.id, self.slot, self.qty, self.unit, self.bid, self.left, self.va, self.vb = (
            np.concatenate([old, new]) for old, new in zip(
                (self.id, self.slot, self.qty, self.unit, self.bid, self.left, self.va, self.vb), cols, strict=True))

    def _sell_cheapest(self, rng: np.random.Generator, qty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Commodity buyers take the cheapest units first; the last row touched loses part of its quantity."""
        n_slots = len(self._base)
        listed = np.bincount(self.slot, weights=qty, minlength=n_slots)
        rate = 0.02 + 0.10 * self._slots.weight / self._slots.weight.max()
        demand = rng.poisson(listed * rate)
        order = np.lexsort((self.unit, self.slot))
        slot_sorted = self.slot[order]
        q_sorted = qty[order]
        before = np.cumsum(q_sorted) - q_sorted
        before -= before[np.searchsorted(slot_sorted, slot_sorted, side="left")]
        d = demand[slot_sorted]
        sold_sorted = before + q_sorted <= d
        partial = ~sold_sorted & (before < d)
        q_sorted = np.where(partial, q_sorted - (d - before), q_sorted)
        sold = np.zeros(len(qty), dtype=bool)
        sold[order] = sold_sorted
        out = qty.copy()
        out[order] = q_sorted
        return sold, out

    def _pick_slots(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self._base), size=n, p=self._slots.weight).astype(np.int32)

    def _new_rows(
        self, rng: np.random.Generator, n: int, *, fresh: bool, slots: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Columns for ``n`` new listings. ``fresh`` ones were posted within the last hour."""
        s = self._slots
        slot = self._pick_slots(rng, n) if slots is None else slots.astype(np.int32)
        kind = s.kind[slot]
        ids = self._next_id + np.cumsum(rng.integers(1, 40, n, dtype=np.int64))
        self._next_id = int(ids[-1]) if n else self._next_id
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
        k = hours - 1 if fresh else rng.integers(0, hours)
        left = (k * 60 + rng.integers(1, 30, n)).astype(np.int32)
        return [ids, slot, qty.astype(np.int64), unit.astype(np.int64), bid, left, va, vb]

    def _undercut(self, rng: np.random.Generator, cols: list[np.ndarray]) -> None:
        """Four in ten new listings undercut the cheapest current listing of their item."""
        slot, unit = cols[1], cols[3]
        if not len(slot):
            return
        lowest = np.full(len(self._base), np.inf)
        has_buyout = self.unit > 0
        np.minimum.at(lowest, self.slot[has_buyout], self.unit[has_buyout].astype(np.float64))
        undercut = (rng.random(len(slot)) < 0.4) & np.isfinite(lowest[slot]) & (unit > 0)
        floor = np.where(np.isfinite(lowest[slot]), lowest[slot], 0.0)  # inf would poison the arithmetic below
        cut = np.where(rng.random(len(slot)) < 0.5, 1, np.ceil(floor * rng.uniform(0.001, 0.03, len(slot))))
        cols[3] = np.where(undercut, np.maximum(floor - cut, 1), unit).astype(np.int64)

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

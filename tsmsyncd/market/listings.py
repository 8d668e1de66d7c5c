"""One auction house's listings, compact, for the watchlist: a snapshot body (bytes) becomes numpy columns
sorted by item and unit price, with each listing's bonus ids and pet stats, so a watched item's listings are
one ``searchsorted`` away and a 700,000-row commodities snapshot holds ~20 MB, not a Python object per
auction. Pure: bytes in, ``Listings`` out; then ``match`` (also pure) says what meets a tracked item.

Only listings with a buyout count (a bid cannot be bought now). Unit price is ``unit_price`` for commodities
and ``buyout / quantity`` for realm auctions (Blizzard has sent no unit price there since 9.2.7). Item keys
are coded as ``id`` for ``i:<id>`` and ``-species`` for caged pets ``p:<species>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import msgspec
import numpy as np

from tsmsyncd.errors import SnapshotError
from tsmsyncd.market.watchitem import WatchItem

__all__ = ["QUALITIES", "TIME_LEFT", "Listings", "Match", "decode_listings", "match"]

PET_CAGE = 82800
TIME_LEFT = ("SHORT", "MEDIUM", "LONG", "VERY_LONG")
QUALITIES = {"POOR": 0, "COMMON": 1, "UNCOMMON": 2, "RARE": 3, "EPIC": 4, "LEGENDARY": 5, "ARTIFACT": 6,
             "HEIRLOOM": 7}
SHOWN = 10  # listings per row: the cheapest ones


class _Item(msgspec.Struct, gc=False):
    id: int
    bonus_lists: list[int] = []
    pet_species_id: int | None = None
    pet_quality_id: int | None = None
    pet_level: int | None = None


class _Auction(msgspec.Struct, gc=False):
    item: _Item
    quantity: int
    time_left: Literal["SHORT", "MEDIUM", "LONG", "VERY_LONG"]
    unit_price: int | None = None
    buyout: int | None = None


class _Body(msgspec.Struct, gc=False):
    auctions: list[_Auction] = []


_DECODER = msgspec.json.Decoder(_Body)


@dataclass(frozen=True)
class Listings:
    code: np.ndarray  # int64, sorted (then by unit price)
    unit: np.ndarray  # int64 copper per unit
    quantity: np.ndarray  # int64
    time_left: np.ndarray  # int8 index into TIME_LEFT
    pet_quality: np.ndarray  # int8 (-1: not a pet)
    pet_level: np.ndarray  # int8
    bonus_start: np.ndarray  # int64 offsets into ``bonuses``
    bonus_count: np.ndarray  # int64
    bonuses: np.ndarray  # int64, every listing's bonus ids one after another

    @property
    def nbytes(self) -> int:
        return int(sum(getattr(self, f).nbytes for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return int(self.code.size)

    def rows_of(self, code: int) -> range:
        start = int(np.searchsorted(self.code, code, "left"))
        return range(start, int(np.searchsorted(self.code, code, "right")))

    def has(self, code: int) -> bool:
        return len(self.rows_of(code)) > 0


def decode_listings(body: bytes) -> Listings:
    """A realm's or the region's commodities snapshot as listings; SnapshotError if it is not that shape."""
    try:
        rows = _DECODER.decode(body).auctions
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SnapshotError(f"the auction snapshot is not Blizzard's shape ({exc})") from exc
    n = len(rows)
    code = np.empty(n, np.int64)
    unit = np.zeros(n, np.int64)
    quantity = np.empty(n, np.int64)
    time_left = np.empty(n, np.int8)
    pet_quality = np.full(n, -1, np.int8)
    pet_level = np.zeros(n, np.int8)
    bonus_count = np.zeros(n, np.int64)
    flat: list[int] = []
    slot = {name: i for i, name in enumerate(TIME_LEFT)}
    for i, a in enumerate(rows):
        item = a.item
        quantity[i] = max(a.quantity, 1)
        time_left[i] = slot[a.time_left]
        if a.unit_price is not None:
            unit[i] = a.unit_price
        elif a.buyout:
            unit[i] = a.buyout // max(a.quantity, 1)
        if item.id == PET_CAGE and item.pet_species_id:
            code[i] = -item.pet_species_id
            pet_quality[i] = item.pet_quality_id or 0
            pet_level[i] = item.pet_level or 0
        else:
            code[i] = item.id
        if item.bonus_lists:
            bonus_count[i] = len(item.bonus_lists)
            flat.extend(item.bonus_lists)
    del rows
    starts = np.concatenate(([0], np.cumsum(bonus_count)[:-1])) if n else np.empty(0, np.int64)
    keep = unit > 0
    order = np.lexsort((unit[keep], code[keep]))
    return Listings(code[keep][order], unit[keep][order], quantity[keep][order], time_left[keep][order],
                    pet_quality[keep][order], pet_level[keep][order], starts[keep][order].astype(np.int64),
                    bonus_count[keep][order], np.asarray(flat, np.int64))


@dataclass(frozen=True)
class Match:
    status: Literal["available", "none"]
    listings: list[dict[str, Any]]  # the cheapest that meet the specs, at any price
    cheapest: int | None
    covered: bool  # listings at or under the price add up to the amount wanted
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "listings": self.listings, "cheapest": self.cheapest,
                "covered": self.covered, "reason": self.reason}


def code_of(item: WatchItem) -> int:
    return -item.number if item.is_pet else item.number


def match(listings: Listings, item: WatchItem, quality: int | None = None, level: int | None = None) -> Match:
    """What in ``listings`` meets ``item``: its specs (pet quality and level, required bonus ids; for ``i:``
    items the item's own ``quality`` and base ``level``, when known), then its price."""
    rows = listings.rows_of(code_of(item))
    specs = item.specs
    if not item.is_pet:
        if specs.min_quality and quality is not None and quality < specs.min_quality:
            return Match("none", [], None, False, f"{item.item} is of quality {quality}, below the "
                                                   f"{specs.min_quality} asked for")
        if specs.min_ilvl and level is not None and level < specs.min_ilvl:
            return Match("none", [], None, False, f"{item.item} is item level {level}, below {specs.min_ilvl}")
    wanted = set(specs.bonus_ids)
    found: list[int] = []
    for r in rows:
        if item.is_pet and (listings.pet_quality[r] < specs.min_quality or listings.pet_level[r] < specs.min_level):
            continue
        if wanted:
            start = int(listings.bonus_start[r])
            if not wanted <= set(listings.bonuses[start:start + int(listings.bonus_count[r])].tolist()):
                continue
        found.append(r)
    if not found:
        why = "none listed" if not rows else f"{len(rows)} listed, none with the specs asked for"
        return Match("none", [], None, False, why)
    cheapest = int(listings.unit[found[0]])  # rows are sorted by unit price
    affordable = sum(int(listings.quantity[r]) for r in found if listings.unit[r] <= item.max_price)
    shown = [{"unit_price": int(listings.unit[r]), "quantity": int(listings.quantity[r]),
              "time_left": TIME_LEFT[int(listings.time_left[r])]} for r in found[:SHOWN]]
    if cheapest > item.max_price:
        return Match("none", shown, cheapest, False, f"{len(found)} listed, the cheapest above your price")
    covered = affordable >= item.amount
    reason = f"{affordable:,} at or under your price" + ("" if covered else f", fewer than the {item.amount:,} wanted")
    return Match("available", shown, cheapest, covered, reason)

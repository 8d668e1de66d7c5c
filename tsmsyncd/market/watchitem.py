"""A watched item, the watchlist's record (DESIGN "Watchlist"): an item string, the total amount wanted,
the most a player will pay per unit (TSM money syntax), the connected realms to look on, the specs a
listing must meet, and an optional named list. Pure: documents in, records out; every refusal names the field.

    {"item": "i:190396", "amount": 20, "max_price": "120g", "realms": [3678, 57], "list": "Raid mats",
     "specs": {"min_quality": 3, "min_ilvl": 0, "bonus_ids": [], "min_level": 0}}

``min_quality`` is the pet's quality for ``p:`` items and Blizzard's item quality (0 poor … 5 legendary)
for ``i:`` items; ``min_ilvl`` compares with the item's base level from Blizzard's item document (bonus
ids that raise it are not known to tsmsyncd, so a listing is never rejected for a level it may have);
every listed bonus id must be on the listing; ``min_level`` is the battle pet's level. Adding an item that
is already tracked in the same list merges them: realms united, the lower price and the larger amount win.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tsmsyncd.errors import FieldError
from tsmsyncd.tsm.money import format_money, parse_money

__all__ = ["MAX_ITEMS", "MAX_PER_REQUEST", "MAX_REALMS", "Specs", "WatchItem", "merge", "parse_item",
           "parse_items", "parse_changes"]

MAX_ITEMS = 1000  # tracked in all: each is checked on every watched realm
MAX_PER_REQUEST = 500
MAX_REALMS = 100  # per item
MAX_AMOUNT = 1_000_000
MAX_LIST_NAME = 60
_ITEM = re.compile(r"^(i|p):([1-9]\d{0,9})$")
_KEYS = {"item", "amount", "max_price", "realms", "specs", "list"}
_SPEC_KEYS = {"min_quality", "min_ilvl", "bonus_ids", "min_level"}


class WatchError(FieldError):
    what = "watchlist"


@dataclass(frozen=True)
class Specs:
    min_quality: int = 0
    min_ilvl: int = 0
    bonus_ids: tuple[int, ...] = ()
    min_level: int = 0  # battle pets

    def as_json(self) -> dict[str, Any]:
        return {"min_quality": self.min_quality, "min_ilvl": self.min_ilvl, "bonus_ids": list(self.bonus_ids),
                "min_level": self.min_level}


@dataclass(frozen=True)
class WatchItem:
    item: str  # "i:190396" or "p:<species>"
    amount: int
    max_price: int  # copper per unit
    realms: tuple[int, ...]
    specs: Specs = field(default_factory=Specs)
    list: str = ""
    id: int | None = None

    @property
    def is_pet(self) -> bool:
        return self.item.startswith("p:")

    @property
    def number(self) -> int:
        return int(self.item[2:])

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "item": self.item, "amount": self.amount, "max_price": self.max_price,
                "max_price_text": format_money(self.max_price), "realms": list(self.realms),
                "specs": self.specs.as_json(), "list": self.list}


def _whole(value: object, name: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise WatchError(name, f"must be a whole number from {low:,} to {high:,}")
    return value


def _price(value: object, name: str) -> int:
    if type(value) is int:
        return _whole(value, name, 1, 10**15)
    if not isinstance(value, str):
        raise WatchError(name, "must be money as TSM writes it, e.g. \"120g\" or \"1g50s\"")
    try:
        copper = parse_money(value)
    except ValueError as exc:
        raise WatchError(name, str(exc)) from exc
    if copper < 1:
        raise WatchError(name, "must be more than nothing")
    return copper


def _realms(value: object, name: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise WatchError(name, "must be a non-empty list of connected realm ids")
    if len(value) > MAX_REALMS:
        raise WatchError(name, f"at most {MAX_REALMS} realms per item ({len(value):,} given)")
    return tuple(dict.fromkeys(_whole(r, f"{name}[{i}]", 1, 2**31 - 1) for i, r in enumerate(value)))


def _specs(value: object, name: str) -> Specs:
    if value is None:
        return Specs()
    if not isinstance(value, dict):
        raise WatchError(name, "must be an object (min_quality, min_ilvl, bonus_ids, min_level)")
    unknown = sorted(set(value) - _SPEC_KEYS)
    if unknown:
        raise WatchError(f"{name}.{unknown[0]}", f"is not a spec (specs: {', '.join(sorted(_SPEC_KEYS))})")
    bonus = value.get("bonus_ids", [])
    if not isinstance(bonus, list) or len(bonus) > 20:
        raise WatchError(f"{name}.bonus_ids", "must be a list of at most 20 bonus ids")
    return Specs(_whole(value.get("min_quality", 0), f"{name}.min_quality", 0, 7),
                 _whole(value.get("min_ilvl", 0), f"{name}.min_ilvl", 0, 2000),
                 tuple(sorted({_whole(b, f"{name}.bonus_ids[{i}]", 1, 2**31 - 1) for i, b in enumerate(bonus)})),
                 _whole(value.get("min_level", 0), f"{name}.min_level", 0, 25))


def _list_name(value: object, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_LIST_NAME or any(ord(c) < 0x20 for c in value):
        raise WatchError(name, f"must be a name of at most {MAX_LIST_NAME} characters")
    return value.strip()


def parse_item(doc: object, where: str = "item", default_realms: Sequence[int] = ()) -> WatchItem:
    """One tracked item from its JSON; ``where`` prefixes the field names (``items[3]``)."""
    prefix = f"{where}." if where != "item" else ""
    if not isinstance(doc, dict):
        raise WatchError(where, "must be an object such as {\"item\": \"i:190396\", \"max_price\": \"120g\"}")
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise WatchError(f"{prefix}{unknown[0]}", f"is not a field (fields: {', '.join(sorted(_KEYS))})")
    item = doc.get("item")
    if not isinstance(item, str) or not _ITEM.match(item.strip()):
        raise WatchError(f"{prefix}item", "must be an item string such as i:190396, or p:<species> for a battle pet")
    if "max_price" not in doc:
        raise WatchError(f"{prefix}max_price", "is required: the most you pay per unit, e.g. \"120g\"")
    realms = doc.get("realms", list(default_realms) or None)
    return WatchItem(item.strip(), _whole(doc.get("amount", 1), f"{prefix}amount", 1, MAX_AMOUNT),
                     _price(doc["max_price"], f"{prefix}max_price"), _realms(realms, f"{prefix}realms"),
                     _specs(doc.get("specs"), f"{prefix}specs"), _list_name(doc.get("list"), f"{prefix}list"))


def parse_items(body: Mapping[str, Any], default_realms: Sequence[int] = ()) -> list[WatchItem]:
    """One item, or ``{"items": [...]}`` of up to ``MAX_PER_REQUEST``; all valid or an error (none stored)."""
    if "items" not in body:
        return [parse_item(dict(body), default_realms=default_realms)]
    if set(body) != {"items"}:
        raise WatchError(sorted(set(body) - {"items"})[0], "send one item, or {\"items\": [...]} alone")
    items = body["items"]
    if not isinstance(items, list) or not items:
        raise WatchError("items", "must be a non-empty list of items")
    if len(items) > MAX_PER_REQUEST:
        raise WatchError("items", f"at most {MAX_PER_REQUEST} items at once ({len(items):,} given)")
    return [parse_item(doc, f"items[{i}]", default_realms) for i, doc in enumerate(items)]


def parse_changes(current: WatchItem, changes: Mapping[str, Any]) -> WatchItem:
    """``current`` with the fields of a PATCH (``item`` cannot change: delete and add instead)."""
    if "item" in changes and changes["item"] != current.item:
        raise WatchError("item", "cannot change: remove this entry and track the other item")
    merged = {**current.as_json(), **dict(changes)}
    merged.pop("id")
    merged.pop("max_price_text")
    return replace(parse_item(merged), id=current.id)


def merge(old: WatchItem, new: WatchItem) -> WatchItem:
    """The same item tracked again in the same list: realms united, the lower price, the larger amount."""
    return replace(old, realms=tuple(dict.fromkeys((*old.realms, *new.realms))), max_price=min(old.max_price,
                   new.max_price), amount=max(old.amount, new.amount), specs=new.specs)

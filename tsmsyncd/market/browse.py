"""A realm's items as the market page browses them: found by name or item id, sorted by one column, a page at a
time; and the item strings a player may type. Pure Python (no numpy), so the daemon itself may parse an item.

``browse`` takes the records ``db.market.realm_market`` gives (anything with their fields, see ``Listed``) and
the names of their items; missing values (no price, no sales estimate yet) sort last whichever way a column
is sorted, and items that tie keep the order they came in (item order).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

from tsmsyncd.market.sales_report import SalesReport

__all__ = ["SORTS", "SORT_KEYS", "Listed", "browse", "fold", "item_string"]

SORT_KEYS = ("item", "name", "min_buyout", "market_value", "market_value_14d", "quantity", "auctions", "sold",
             "sold_per_day")
SORTS = (*SORT_KEYS, *(f"-{k}" for k in SORT_KEYS))  # "-" first: largest first
_ITEM = re.compile(r"^(?:([ip]):)?([1-9][0-9]{0,8})$")


class Listed(Protocol):
    """What ``browse`` reads of a record (``db.market.ItemMarket`` has it all)."""

    @property
    def item(self) -> str: ...
    @property
    def min_buyout(self) -> int | None: ...
    @property
    def market_value(self) -> int | None: ...
    @property
    def market_value_14d(self) -> int | None: ...
    @property
    def quantity(self) -> int: ...
    @property
    def auctions(self) -> int: ...
    @property
    def sales(self) -> SalesReport: ...


L = TypeVar("L", bound=Listed)


def item_string(text: str) -> str:
    """An item as a player types it, as TSM's item string: ``2447`` and ``i:2447`` are ``i:2447``, ``p:194`` a
    caged pet's species. Anything else (bonus ids, names) is a ``ValueError``."""
    match = _ITEM.match(text.strip().lower())
    if match is None:
        raise ValueError(f"{text!r} is not an item id or item string such as 2447, i:2447 or p:194")
    return f"{match.group(1) or 'i'}:{match.group(2)}"


def fold(text: str) -> str:
    """Case- and accent-insensitive: "Sôlo" and "SOLO" both read "solo"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def browse(rows: Sequence[L], names: Mapping[str, str], *, q: str | None, sort: str, offset: int, limit: int
           ) -> tuple[int, list[L]]:
    """(how many match ``q``, the ``limit`` of them from ``offset`` on in ``sort`` order). ``q`` matches an item
    whose name holds it (any case, accents optional) or, typed as an item id or string, that item itself."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of: {', '.join(SORTS)}")
    found = [r for r in rows if _matcher(q, names)(r)] if q and q.strip() else list(rows)
    column = sort.lstrip("-")
    value = _column(column, names)
    present = [r for r in found if value(r) is not None]
    present.sort(key=value, reverse=sort.startswith("-"))  # type: ignore[arg-type]  # None filtered out above
    ordered = present + [r for r in found if value(r) is None]
    return len(ordered), ordered[offset:offset + limit]


def _matcher(q: str, names: Mapping[str, str]) -> Callable[[Listed], bool]:
    wanted = fold(q.strip())
    try:
        exact: str | None = item_string(q)
    except ValueError:
        exact = None

    def matches(row: Listed) -> bool:
        return row.item == exact or wanted in fold(names.get(row.item) or "")

    return matches


def _column(column: str, names: Mapping[str, str]) -> Callable[[Listed], object]:
    if column == "item":
        return lambda r: (r.item[0], int(r.item[2:]))
    if column == "name":
        return lambda r: fold(names[r.item]) if names.get(r.item) else None
    if column == "sold":
        return lambda r: r.sales.sold
    if column == "sold_per_day":
        return lambda r: r.sales.per_day
    return lambda r: getattr(r, column)

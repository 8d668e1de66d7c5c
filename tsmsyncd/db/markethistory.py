"""One item's stored market history, read as it was stored: its hourly rows (48 hours, newest first, a page at
a time) and its daily aggregates (60 days); and items found by name or id. Plain sqlite3, no pandas: the
daemon itself may call these (the metrics over them are ``db/market.py``'s, in the query worker).

Rows of an item on a realm come from the realm's sources (its own auctions and the region's commodities, or
a Classic realm's houses); at most one row per source and snapshot time, so at most ``len(sources)`` share one
``at``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tsmsyncd.db.items import ItemInfo, item_info
from tsmsyncd.db.schema import Database
from tsmsyncd.market.sources import Source

__all__ = ["DayRow", "HourRow", "daily_rows", "find_items", "hourly_rows", "listed_source", "seen"]


@dataclass(frozen=True)
class HourRow:
    """One snapshot's numbers for one item (``sold``: None where that snapshot had no sales estimate; a row
    with quantity 0 is an item that sold out or expired since the snapshot before)."""

    source: str
    at: str
    item: str
    min_buyout: int | None
    market_value: int | None
    quantity: int
    auctions: int
    sold: int | None

    def as_json(self) -> dict[str, object]:
        return {"at": self.at, "item": self.item, "source": self.source, "min_buyout": self.min_buyout,
                "market_value": self.market_value, "quantity": self.quantity, "auctions": self.auctions,
                "sold": self.sold}


@dataclass(frozen=True)
class DayRow:
    """One UTC day: the mean of its scans' market values, the lowest buyout seen, the mean quantity listed per
    scan, units estimated sold (None: no estimate that day) and how many scans it holds."""

    day: str
    market_value: int | None
    min_buyout: int | None
    quantity: int
    sold: int | None
    scans: int

    def as_json(self) -> dict[str, object]:
        return {"day": self.day, "market_value": self.market_value, "min_buyout": self.min_buyout,
                "quantity": self.quantity, "sold": self.sold, "scans": self.scans}


def _ids(d: Database, sources: Sequence[Source]) -> dict[int, str]:
    keys = [s.key for s in sources]
    rows = d.conn.execute(f"select id, key from sources where key in ({','.join('?' * len(keys))})", keys)
    return {int(r[0]): str(r[1]) for r in rows}


def hourly_rows(d: Database, sources: Sequence[Source], item: str, *, before: str | None = None,
                limit: int = 1000) -> list[HourRow]:
    """The item's hourly rows on ``sources``, newest first (then by source), older than ``before`` (an ISO time
    as stored) if given, at most ``limit``."""
    ids = _ids(d, sources)
    if not ids:
        return []
    older = "and at < ?" if before else ""
    rows = d.conn.execute(
        f"select source_id, at, min_buyout, market_value, quantity, auctions, sold from hourly "
        f"where source_id in ({','.join('?' * len(ids))}) and item = ? {older} order by at desc, source_id limit ?",
        [*ids, item, *([before] if before else []), limit])
    return [HourRow(ids[int(r[0])], r[1], item, r[2], r[3], int(r[4]), int(r[5]), r[6]) for r in rows]


def daily_rows(d: Database, source: Source, item: str) -> list[DayRow]:
    """The item's days on ``source``, oldest first."""
    rows = d.conn.execute(
        "select day, value_sum, value_count, min_buyout, quantity_sum, scans, sold from daily "
        "where source_id = (select id from sources where key = ?) and item = ? order by day", (source.key, item))
    return [DayRow(r[0], math.floor(r[1] / r[2] + 0.5) if r[2] else None, r[3],
                   math.floor(r[4] / r[5] + 0.5) if r[5] else 0, r[6], int(r[5])) for r in rows]


def listed_source(d: Database, sources: Sequence[Source], item: str) -> Source | None:
    """The first of ``sources`` that holds any row of the item (its own auctions before the commodities)."""
    for source in sources:
        row = d.conn.execute("select 1 from daily where source_id = (select id from sources where key = ?) "
                             "and item = ? limit 1", (source.key, item)).fetchone()
        if row is not None:
            return source
    return None


def seen(d: Database, item: str) -> bool:
    """Whether any source lists the item now or did within the last 48 hours."""
    return d.conn.execute("select 1 from latest where item = ? limit 1", (item,)).fetchone() is not None


def find_items(d: Database, words: str, limit: int, item_id: int | None = None) -> list[ItemInfo]:
    """Items whose name holds ``words`` (SQLite's LIKE: any case of ASCII letters), best first: the item
    ``item_id`` itself, then names that are ``words``, that begin with them, then the shortest names."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = d.conn.execute(
        "select item_id from items where item_id = ? or name like ? escape '\\' "
        "order by item_id = ? desc, lower(name) = lower(?) desc, name like ? escape '\\' desc, length(name), name "
        "limit ?", (item_id, f"%{escaped}%", item_id, words, f"{escaped}%", limit)).fetchall()
    found = item_info(d, [int(r[0]) for r in rows])
    return [found[int(r[0])] for r in rows]

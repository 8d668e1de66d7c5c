"""Item information (names, quality, class, vendor price) fetched lazily from Blizzard, once per item."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tsmsyncd.db.schema import Database, iso
from tsmsyncd.market.items import ItemInfo

__all__ = ["ItemInfo", "item_info", "items_without_info", "missing_item_info", "save_item_info"]


def save_item_info(d: Database, infos: Sequence[ItemInfo]) -> None:
    with d.conn:
        d.conn.executemany("insert or replace into items values (?, ?, ?, ?, ?, ?, ?)",
                           [(i.item_id, i.name, i.quality, i.item_class, i.item_subclass, i.vendor_sell,
                             iso(i.fetched_at)) for i in infos])


def item_info(d: Database, item_ids: Sequence[int]) -> dict[int, ItemInfo]:
    found: dict[int, ItemInfo] = {}
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows = d.conn.execute(f"select * from items where item_id in ({','.join('?' * len(chunk))})", chunk)
        for r in rows:
            found[int(r[0])] = ItemInfo(int(r[0]), r[1], r[2], int(r[3]), int(r[4]), int(r[5]),
                                        datetime.fromisoformat(r[6]))
    return found


def items_without_info(d: Database, limit: int) -> list[int]:
    """Item ids seen in stored snapshots that have no name/class yet, most recently seen first."""
    rows = d.conn.execute(
        "select cast(substr(item, 3) as integer) as id, max(at) as seen from hourly where item like 'i:%' "
        "group by item having id not in (select item_id from items) order by seen desc, id limit ?", (limit,))
    return [int(r[0]) for r in rows]


def missing_item_info(d: Database, item_ids: Sequence[int], limit: int) -> list[int]:
    known = item_info(d, item_ids)
    return [i for i in dict.fromkeys(item_ids) if i not in known][:limit]

"""Item information (names, quality, class, vendor price) fetched lazily from Blizzard, once per item; and the
items Blizzard has no document for (HTTP 404), remembered so that they are asked again only after ``RETRY_MISSING``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from tsmsyncd.db.schema import Database, iso
from tsmsyncd.market.items import ItemInfo

__all__ = ["RETRY_MISSING", "ItemInfo", "item_info", "items_without_info", "missing_item_info", "record_missing",
           "save_item_info"]

# A 404 may be an item id of a patch not yet in the static namespace: worth one more question a week later.
RETRY_MISSING = timedelta(days=7)


def save_item_info(d: Database, infos: Sequence[ItemInfo]) -> None:
    with d.conn:
        d.conn.executemany("insert or replace into items values (?, ?, ?, ?, ?, ?, ?)",
                           [(i.item_id, i.name, i.quality, i.item_class, i.item_subclass, i.vendor_sell,
                             iso(i.fetched_at)) for i in infos])
        # An item found after all (a later patch) is missing no more.
        d.conn.executemany("delete from missing_items where item_id = ?", [(i.item_id,) for i in infos])


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


def items_without_info(d: Database, limit: int, now: datetime) -> list[int]:
    """Item ids seen in stored snapshots that have no name/class yet, most recently seen first; items Blizzard
    answered 404 for less than ``RETRY_MISSING`` before ``now`` are left out."""
    rows = d.conn.execute(
        "select cast(substr(item, 3) as integer) as id, max(at) as seen from hourly where item like 'i:%' "
        "group by item having id not in (select item_id from items) "
        "and id not in (select item_id from missing_items where missed_at > ?) order by seen desc, id limit ?",
        (iso(now - RETRY_MISSING), limit))
    return [int(r[0]) for r in rows]


def record_missing(d: Database, item_ids: Sequence[int], now: datetime) -> None:
    """Remember that Blizzard has no item document for ``item_ids`` (HTTP 404) as of ``now``."""
    with d.conn:
        d.conn.executemany("insert or replace into missing_items values (?, ?)",
                           [(int(i), iso(now)) for i in dict.fromkeys(item_ids)])


def missing_item_info(d: Database, item_ids: Sequence[int], limit: int) -> list[int]:
    known = item_info(d, item_ids)
    return [i for i in dict.fromkeys(item_ids) if i not in known][:limit]

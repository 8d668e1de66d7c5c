"""The watchlist in SQLite: tracked items (one per item string and list name) and each (item, realm)'s
alert state. Query functions take the ``Database`` first; the writer runs them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from tsmsyncd.db.schema import Database, iso
from tsmsyncd.market.watchitem import Specs, WatchItem

__all__ = ["arm", "count", "delete", "disarm", "get", "items", "save"]


def _item(row: tuple) -> WatchItem:  # type: ignore[type-arg]  # a sqlite3 row
    specs = json.loads(row[6])
    return WatchItem(row[1], int(row[3]), int(row[4]), tuple(json.loads(row[5])),
                     Specs(specs["min_quality"], specs["min_ilvl"], tuple(specs["bonus_ids"]), specs["min_level"]),
                     row[2], int(row[0]))


_COLUMNS = "id, item, list, amount, max_price, realms, specs"


def items(d: Database) -> list[WatchItem]:
    return [_item(r) for r in d.conn.execute(f"select {_COLUMNS} from watch_items order by list, id")]


def get(d: Database, item_id: int) -> WatchItem | None:
    row = d.conn.execute(f"select {_COLUMNS} from watch_items where id = ?", (item_id,)).fetchone()
    return _item(row) if row else None


def find(d: Database, item: str, list_name: str) -> WatchItem | None:
    row = d.conn.execute(f"select {_COLUMNS} from watch_items where item = ? and list = ?",
                         (item, list_name)).fetchone()
    return _item(row) if row else None


def count(d: Database) -> int:
    return int(d.conn.execute("select count(*) from watch_items").fetchone()[0])


def save(d: Database, entries: Sequence[WatchItem], now: datetime) -> list[WatchItem]:
    """Insert new entries and replace those with an id, in one transaction; the stored entries back."""
    stored: list[int] = []
    with d.conn:
        for e in entries:
            values = (e.item, e.list, e.amount, e.max_price, json.dumps(list(e.realms)), json.dumps(e.specs.as_json()),
                      iso(now))
            if e.id is None:
                cursor = d.conn.execute("insert into watch_items (item, list, amount, max_price, realms, specs, "
                                        "created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)", (*values, iso(now)))
                stored.append(int(cursor.lastrowid or 0))
            else:
                d.conn.execute("update watch_items set item = ?, list = ?, amount = ?, max_price = ?, realms = ?, "
                               "specs = ?, updated_at = ? where id = ?", (*values, e.id))
                d.conn.execute("delete from watch_alerts where item_id = ? and realm not in (select value from "
                               "json_each(?))", (e.id, json.dumps(list(e.realms))))
                stored.append(e.id)
    return [found for i in stored if (found := get(d, i)) is not None]


def delete(d: Database, item_id: int) -> bool:
    with d.conn:
        d.conn.execute("delete from watch_alerts where item_id = ?", (item_id,))
        return d.conn.execute("delete from watch_items where id = ?", (item_id,)).rowcount > 0


def disarm(d: Database, item_id: int, realm: int, now: datetime) -> bool:
    """A listing got to the price: True when the alert was armed (it fires now, once)."""
    with d.conn:
        row = d.conn.execute("select armed from watch_alerts where item_id = ? and realm = ?",
                             (item_id, realm)).fetchone()
        if row is not None and not row[0]:
            return False
        d.conn.execute("insert into watch_alerts values (?, ?, 0, ?) on conflict (item_id, realm) do update set "
                       "armed = 0, hit_at = excluded.hit_at", (item_id, realm, iso(now)))
    return True


def arm(d: Database, item_id: int, realm: int) -> None:
    """Nothing at the price any more: the next listing that gets there fires again."""
    with d.conn:
        d.conn.execute("update watch_alerts set armed = 1 where item_id = ? and realm = ?", (item_id, realm))

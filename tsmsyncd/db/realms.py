"""Blizzard's realm index as last fetched: each region's connected realms and the realms in them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tsmsyncd.db.schema import Database, iso

__all__ = ["RealmInfo", "realms", "save_realms"]


@dataclass(frozen=True)
class RealmInfo:
    region: str
    connected_realm_id: int
    realm_id: int
    name: str
    slug: str
    timezone: str
    locale: str

    def as_json(self) -> dict[str, object]:
        return {"id": self.realm_id, "name": self.name, "slug": self.slug, "timezone": self.timezone}


def save_realms(d: Database, region: str, found: Sequence[RealmInfo], now: datetime) -> None:
    with d.conn:
        d.conn.execute("delete from realms where region = ?", (region,))
        d.conn.executemany(
            "insert into realms values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(region, r.connected_realm_id, r.realm_id, r.name, r.slug, r.timezone, r.locale, iso(now))
             for r in found])


def realms(d: Database, region: str) -> list[RealmInfo]:
    rows = d.conn.execute("select region, connected_realm_id, realm_id, name, slug, timezone, locale "
                          "from realms where region = ? order by connected_realm_id, realm_id", (region,))
    return [RealmInfo(*row) for row in rows]


def is_listed(d: Database, region: str, connected_realm_id: int) -> bool | None:
    """Whether the stored index lists the connected realm; None when no index of the region is stored."""
    row = d.conn.execute("select count(*), sum(connected_realm_id = ?) from realms where region = ?",
                         (connected_realm_id, region)).fetchone()
    return None if not row[0] else bool(row[1])

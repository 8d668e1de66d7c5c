"""Blizzard's realm index as last fetched: each region's connected realms and the realms in them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tsmsyncd.db.schema import Database, iso

__all__ = ["RealmInfo", "index_age", "is_listed", "realms", "regions", "save_realms"]


@dataclass(frozen=True)
class RealmInfo:
    region: str
    connected_realm_id: int
    realm_id: int
    name: str
    slug: str
    timezone: str
    locale: str
    names: tuple[str, ...] = ()  # every localized name, ``name`` first

    def __post_init__(self) -> None:
        if not self.names:
            object.__setattr__(self, "names", (self.name,))

    def as_json(self) -> dict[str, object]:
        return {"id": self.realm_id, "name": self.name, "slug": self.slug, "timezone": self.timezone}


def save_realms(d: Database, region: str, found: Sequence[RealmInfo], now: datetime, flavor: str = "retail") -> None:
    with d.conn:
        d.conn.execute("delete from realms where region = ? and flavor = ?", (region, str(flavor)))
        d.conn.executemany(
            "insert into realms (region, connected_realm_id, realm_id, name, slug, timezone, locale, updated_at, "
            "names, flavor) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(region, r.connected_realm_id, r.realm_id, r.name, r.slug, r.timezone, r.locale, iso(now),
              json.dumps(list(r.names or (r.name,)), ensure_ascii=False), str(flavor)) for r in found])


def realms(d: Database, region: str, flavor: str = "retail") -> list[RealmInfo]:
    rows = d.conn.execute("select region, connected_realm_id, realm_id, name, slug, timezone, locale, names "
                          "from realms where region = ? and flavor = ? order by connected_realm_id, realm_id",
                          (region, str(flavor)))
    return [RealmInfo(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                      tuple(json.loads(row[7])) if row[7] else (row[3],)) for row in rows]


def regions(d: Database) -> list[tuple[str, str, int, datetime | None]]:
    """(region, flavor, connected realms, when stored) for every realm index stored."""
    rows = d.conn.execute("select region, flavor, count(distinct connected_realm_id), max(updated_at) from realms "
                          "group by region, flavor order by region, flavor")
    return [(r[0], r[1], int(r[2]), datetime.fromisoformat(r[3]) if r[3] else None) for r in rows]


def index_age(d: Database, region: str, flavor: str = "retail") -> datetime | None:
    """When the region's realm index was last stored (None: never)."""
    row = d.conn.execute("select max(updated_at) from realms where region = ? and flavor = ?",
                         (region, str(flavor))).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def is_listed(d: Database, region: str, connected_realm_id: int, flavor: str = "retail") -> bool | None:
    """Whether the stored index lists the connected realm; None when no index of the region is stored."""
    row = d.conn.execute("select count(*), sum(connected_realm_id = ?) from realms where region = ? and flavor = ?",
                         (connected_realm_id, region, str(flavor))).fetchone()
    return None if not row[0] else bool(row[1])

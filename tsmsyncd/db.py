"""The SQLite database: schema, migrations and every query. The only module that knows table names.

Schema changes happen only through the ordered ``MIGRATIONS`` (recorded in ``_migrations``; each runs once,
in a transaction). A ``Database`` is owned by one thread — the service layer's writer — and is not
thread-safe. Times are stored as ISO-8601 UTC text and every ``now`` is passed in.

Market data: ``sources`` (a realm's auctions, a region's commodities, a classic faction house) with their
fetch state; ``snapshots`` keyed by (source, Last-Modified) — never fetch time; per-item ``hourly`` rows
for 48 hours; per-item ``daily`` aggregates for 60 days (sum and count of scan market values, so the day
value is exact); the last ``auction_index`` per source for the next sales estimate; ``items`` (names,
classes, vendor price) fetched lazily from Blizzard.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlite_utils

from tsmsyncd.errors import StateError
from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.market.ingest import Snapshot, item_key
from tsmsyncd.market.metrics import (
    MAX_SNAPSHOT_GAP_HOURS,
    AuctionIndex,
    estimate_sold,
    sold_per_day,
    weighted_market_values,
)
from tsmsyncd.sync.atomic import write_atomic

__all__ = ["DataStatus", "Database", "ItemInfo", "ItemMarket", "RealmInfo", "RecordResult", "Source", "SourceState"]

HOURLY_KEEP = timedelta(hours=48)
DAILY_KEEP = timedelta(days=60)
SOLD_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Source:
    """Where a snapshot comes from."""

    region: str
    kind: str  # "realm", "commodities" or "house"
    connected_realm_id: int | None = None
    house_id: int | None = None

    @property
    def key(self) -> str:
        if self.kind == "commodities":
            return f"{self.region}/commodities"
        house = f"/house/{self.house_id}" if self.house_id is not None else ""
        return f"{self.region}/realm/{self.connected_realm_id}{house}"


@dataclass(frozen=True)
class RealmInfo:
    region: str
    connected_realm_id: int
    realm_id: int
    name: str
    slug: str
    timezone: str
    locale: str


@dataclass(frozen=True)
class SourceState:
    last_modified: str | None  # the exact Last-Modified header stored with the newest snapshot
    last_checked: datetime | None
    last_error: str | None
    error_at: datetime | None
    snapshots: int


@dataclass(frozen=True)
class RecordResult:
    snapshot_id: int
    items: int
    auctions: int
    sold_units: int | None  # None: no consecutive earlier snapshot to compare with
    stale: bool  # this Last-Modified was stored already; nothing was written


@dataclass(frozen=True)
class ItemMarket:
    item: str
    source: Source
    snapshot_time: datetime
    min_buyout: int | None
    market_value: int | None
    market_value_14d: int | None
    quantity: int
    auctions: int
    sold_per_day: float | None  # an estimate (see metrics.SALES_CAVEATS)
    sold_window_hours: float | None
    first_seen: datetime
    snapshots: int  # snapshots that listed it since first_seen


@dataclass(frozen=True)
class DataStatus:
    """What is stored for one realm: whether Blizzard's realm index (if we have it) lists it, and the
    time of its newest snapshot and of the region's commodities (None: never stored)."""

    region: str
    connected_realm_id: int
    listed: bool | None  # None: no realm index of the region is stored yet
    realm_snapshot: datetime | None
    commodities_snapshot: datetime | None

    def missing(self, what: str) -> str:
        """Why ``what`` has no data here, in the player's words, with the command that would fix it."""
        where = f"{self.region} realm {self.connected_realm_id}"
        if self.listed is False:
            return (f"{self.connected_realm_id} is not a connected realm of {self.region} "
                    f"(`tsmsyncd realms list --region {self.region}` shows them)")
        if self.realm_snapshot is None and self.commodities_snapshot is None:
            return (f"no market data for {where} yet; run `tsmsyncd refresh --once --region {self.region} "
                    f"--realm {self.connected_realm_id}` first")
        seen = [f"{where}'s newest snapshot ({_iso(self.realm_snapshot)})" if self.realm_snapshot else None,
                f"{self.region}'s commodities ({_iso(self.commodities_snapshot)})" if self.commodities_snapshot
                else None]
        return f"{what} is not listed in {' nor in '.join(s for s in seen if s)}"


@dataclass(frozen=True)
class ItemInfo:
    item_id: int
    name: str
    quality: str
    item_class: int
    item_subclass: int
    vendor_sell: int
    fetched_at: datetime


def _migration_1(db: sqlite_utils.Database) -> None:
    db["realms"].create({"region": str, "connected_realm_id": int, "realm_id": int, "name": str, "slug": str,
                         "timezone": str, "locale": str, "updated_at": str}, pk=("region", "realm_id"))
    db["sources"].create({"id": int, "key": str, "region": str, "kind": str, "connected_realm_id": int,
                          "house_id": int, "last_modified": str, "last_checked": str, "last_error": str,
                          "error_at": str}, pk="id", not_null={"key", "region", "kind"})
    db["sources"].create_index(["key"], unique=True)
    db["snapshots"].create({"id": int, "source_id": int, "at": str, "fetched_at": str, "auctions": int,
                            "items": int, "sold_units": int, "sold_hours": float}, pk="id",
                           foreign_keys=[("source_id", "sources", "id")])
    db["snapshots"].create_index(["source_id", "at"], unique=True)
    db["hourly"].create({"source_id": int, "snapshot_id": int, "item": str, "at": str, "min_buyout": int,
                         "market_value": int, "quantity": int, "auctions": int, "sold": int},
                        pk=("source_id", "item", "at"))
    db["hourly"].create_index(["source_id", "at"])
    db["hourly"].create_index(["snapshot_id"])
    db["daily"].create({"source_id": int, "item": str, "day": str, "value_sum": float, "value_count": int,
                        "min_buyout": int, "quantity_sum": int, "scans": int, "sold": int},
                       pk=("source_id", "item", "day"))
    db["daily"].create_index(["source_id", "day"])
    db["auction_index"].create({"source_id": int, "snapshot_id": int, "at": str, "data": bytes}, pk="source_id")
    db["items"].create({"item_id": int, "name": str, "quality": str, "item_class": int, "item_subclass": int,
                        "vendor_sell": int, "fetched_at": str}, pk="item_id")


def _migration_2(db: sqlite_utils.Database) -> None:
    db["rules"].create({"name": str, "position": int, "doc": str, "enabled": int, "updated_at": str}, pk="name")
    db["groupsets"].create({"id": int, "target": str, "version": int, "hash": str, "doc": str, "created_at": str},
                           pk="id")
    db["groupsets"].create_index(["target", "version"], unique=True)
    db["memberships"].create({"target": str, "data": str}, pk="target")
    db["app_state"].create({"key": str, "value": str}, pk="key")


def _migration_3(db: sqlite_utils.Database) -> None:
    """The newest listing of every item per source, kept up to date by record_snapshot, so reading a realm's
    metrics does not scan 48 hours of rows; and an index over the hours that had sales."""
    db["latest"].create({"source_id": int, "item": str, "at": str, "min_buyout": int, "market_value": int,
                         "quantity": int, "auctions": int, "first_seen": str, "snapshots": int},
                        pk=("source_id", "item"))
    db.execute("insert into latest select source_id, item, max(at), min_buyout, market_value, quantity, auctions, "
               "null, 0 from hourly where quantity > 0 group by source_id, item")
    db.execute("update latest set (first_seen, snapshots) = (select min(at), count(*) from hourly h "
               "where h.source_id = latest.source_id and h.item = latest.item and h.quantity > 0)")
    db.execute("create index hourly_sales on hourly (source_id, at) where sold > 0")


MIGRATIONS: tuple[tuple[str, Callable[[sqlite_utils.Database], None]], ...] = (
    ("0001_market_data", _migration_1),
    ("0002_group_rules", _migration_2),
    ("0003_latest_listing", _migration_3),
)


RULES_MIRROR = "rules.json"
DAMAGED_MARK = ".damaged"  # beside the database: "set me aside at the next start" (a query found damage)


class Database:
    """The open database. A file that is not a database, or is damaged, is set aside (renamed, kept)
    and a new one started: market data is fetched again and the rules are carried over where they can
    still be read. ``notices`` says what happened, for the player."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot create the data folder {path.parent}: {exc.strerror or exc}") from exc
        marked = path.with_name(path.name + DAMAGED_MARK)
        try:
            if marked.exists():
                raise sqlite3.DatabaseError(marked.read_text(errors="replace").strip() or "damaged")
            self._open(path)
        except sqlite3.DatabaseError as exc:
            self._rebuild(path, str(exc))
            marked.unlink(missing_ok=True)

    def _open(self, path: Path) -> None:
        self.db = sqlite_utils.Database(path)
        self.conn: sqlite3.Connection = self.db.conn
        try:
            self.db.execute("pragma foreign_keys = on")
            self.db.enable_wal()
            self._migrate()
        except sqlite3.DatabaseError:
            self.conn.close()
            raise

    def _rebuild(self, path: Path, why: str) -> None:
        rules = _salvage_rules(path)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = path.with_name(f"{path.name}.damaged-{stamp}")
        try:
            os.replace(path, aside)
            for suffix in ("-wal", "-shm"):
                extra = path.with_name(path.name + suffix)
                if extra.exists():
                    os.replace(extra, aside.with_name(aside.name + suffix))
            self._open(path)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise StateError(f"{path} is damaged ({why}) and could not be replaced ({exc}); move it away and "
                             "start tsmsyncd again") from exc
        now = datetime.now(UTC)
        with self.conn:
            for position, (name, doc, enabled) in enumerate(rules, 1):
                self.conn.execute("insert or ignore into rules values (?, ?, ?, ?, ?)",
                                  (name, position, doc, int(enabled), _iso(now)))
            if rules:
                self.conn.execute("insert or ignore into app_state values ('rules_seeded', ?)", (_iso(now),))
        kept = f"your {len(rules)} rule(s) were carried over" if rules else "the rules could not be read back"
        self.notices.append(f"{path.name} was damaged ({why}); it was set aside as {aside.name} and a new one "
                            f"started: market data is fetched again, {kept}")

    def _migrate(self) -> None:
        with self.conn:
            self.conn.execute("create table if not exists _migrations (name text primary key, applied_at text)")
        done = {row[0] for row in self.conn.execute("select name from _migrations")}
        for name, migration in MIGRATIONS:
            if name in done:
                continue
            with self.conn:  # one transaction per migration: all of it or none of it
                migration(self.db)
                self.conn.execute("insert into _migrations values (?, ?)", (name, _iso(datetime.now(UTC))))

    def close(self) -> None:
        self.conn.close()

    # -- realms ----------------------------------------------------------------------------------------

    def save_realms(self, region: str, realms: Sequence[RealmInfo], now: datetime) -> None:
        with self.conn:
            self.conn.execute("delete from realms where region = ?", (region,))
            self.conn.executemany(
                "insert into realms values (?, ?, ?, ?, ?, ?, ?, ?)",
                [(region, r.connected_realm_id, r.realm_id, r.name, r.slug, r.timezone, r.locale, _iso(now))
                 for r in realms])

    def data_status(self, region: str, connected_realm_id: int) -> DataStatus:
        indexed = self.conn.execute("select count(*), sum(connected_realm_id = ?) from realms where region = ?",
                                    (connected_realm_id, region)).fetchone()
        listed = None if not indexed[0] else bool(indexed[1])

        def newest(source: Source) -> datetime | None:
            row = self.conn.execute("select max(s.at) from snapshots s join sources src on src.id = s.source_id "
                                    "where src.key = ?", (source.key,)).fetchone()
            return _when(row[0]) if row else None

        return DataStatus(region, connected_realm_id, listed, newest(Source(region, "realm", connected_realm_id)),
                          newest(Source(region, "commodities")))

    def realms(self, region: str) -> list[RealmInfo]:
        rows = self.conn.execute("select region, connected_realm_id, realm_id, name, slug, timezone, locale "
                                 "from realms where region = ? order by connected_realm_id, realm_id", (region,))
        return [RealmInfo(*row) for row in rows]

    # -- fetch state -----------------------------------------------------------------------------------

    def _source_id(self, source: Source) -> int:
        row = self.conn.execute("select id from sources where key = ?", (source.key,)).fetchone()
        if row:
            return int(row[0])
        cursor = self.conn.execute(
            "insert into sources (key, region, kind, connected_realm_id, house_id) values (?, ?, ?, ?, ?)",
            (source.key, source.region, source.kind, source.connected_realm_id, source.house_id))
        return int(cursor.lastrowid or 0)

    def source_state(self, source: Source) -> SourceState:
        row = self.conn.execute(
            "select s.last_modified, s.last_checked, s.last_error, s.error_at, "
            "(select count(*) from snapshots where source_id = s.id) from sources s where key = ?",
            (source.key,)).fetchone()
        if row is None:
            return SourceState(None, None, None, None, 0)
        return SourceState(row[0], _when(row[1]), row[2], _when(row[3]), int(row[4]))

    def record_checked(self, source: Source, now: datetime) -> None:
        with self.conn:
            self.conn.execute("update sources set last_checked = ?, last_error = null, error_at = null where id = ?",
                              (_iso(now), self._source_id(source)))

    def record_error(self, source: Source, message: str, now: datetime) -> None:
        """Remember the failure; the last good data is not touched."""
        with self.conn:
            self.conn.execute("update sources set last_checked = ?, last_error = ?, error_at = ? where id = ?",
                              (_iso(now), message, _iso(now), self._source_id(source)))

    # -- snapshots -------------------------------------------------------------------------------------

    def record_snapshot(self, source: Source, last_modified: datetime, last_modified_header: str,
                        fetched_at: datetime, snapshot: Snapshot) -> RecordResult:
        """Store one snapshot in one transaction: all of it, or (on any error) nothing at all."""
        at = _iso(last_modified)
        with self.conn:
            source_id = self._source_id(source)
            existing = self.conn.execute("select id, auctions, items from snapshots where source_id = ? and at = ?",
                                         (source_id, at)).fetchone()
            if existing:
                return RecordResult(int(existing[0]), int(existing[2]), int(existing[1]), None, True)
            sold, hours = self._sales(source_id, last_modified, snapshot.index)
            frame = snapshot.items
            cursor = self.conn.execute(
                "insert into snapshots (source_id, at, fetched_at, auctions, items, sold_units, sold_hours) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                (source_id, at, _iso(fetched_at), snapshot.auctions, len(frame),
                 None if sold is None else int(sum(sold.values())), hours))
            snapshot_id = int(cursor.lastrowid or 0)
            rows = _hourly_rows(frame, sold)
            self.conn.executemany("insert into hourly values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  [(source_id, snapshot_id, r[0], at, *r[1:]) for r in rows])
            self.conn.executemany(_DAILY_UPSERT, [(source_id, r[0], at[:10], r[2], 0 if r[2] is None else 1, r[1],
                                                   r[3], r[5]) for r in rows])
            self.conn.executemany(_LATEST_UPSERT, [(source_id, r[0], at, *r[1:5], at) for r in rows if r[3] > 0])
            # A snapshot older than the newest we have (a lagging mirror) is history, not the new baseline.
            self.conn.execute("insert into auction_index values (?, ?, ?, ?) on conflict (source_id) do update "
                              "set snapshot_id = excluded.snapshot_id, at = excluded.at, data = excluded.data "
                              "where excluded.at > auction_index.at",
                              (source_id, snapshot_id, at, _pack(snapshot.index)))
            newest = self.conn.execute("select max(at) from snapshots where source_id = ?", (source_id,)).fetchone()[0]
            header = last_modified_header if newest == at else None
            self.conn.execute("update sources set last_modified = coalesce(?, last_modified), last_checked = ?, "
                              "last_error = null, error_at = null where id = ?", (header, _iso(fetched_at), source_id))
            self._prune(source_id, last_modified)
        total = None if sold is None else int(sum(sold.values()))
        return RecordResult(snapshot_id, len(frame), snapshot.auctions, total, False)

    def _sales(self, source_id: int, at: datetime, current: AuctionIndex) -> tuple[dict[str, int] | None, float | None]:
        row = self.conn.execute("select at, data from auction_index where source_id = ?", (source_id,)).fetchone()
        if row is None:
            return None, None
        hours = (at - datetime.fromisoformat(row[0])).total_seconds() / 3600
        if not 0 < hours <= MAX_SNAPSHOT_GAP_HOURS:
            return None, None  # a gap (or an older snapshot arriving late) would make everything look sold
        items, units = estimate_sold(_unpack(row[1]), current)
        return {item_key(int(c)): int(u) for c, u in zip(items, units, strict=True)}, hours

    def _prune(self, source_id: int, now: datetime) -> None:
        self.conn.execute("delete from hourly where source_id = ? and at < ?", (source_id, _iso(now - HOURLY_KEEP)))
        self.conn.execute("delete from latest where source_id = ? and at < ?", (source_id, _iso(now - HOURLY_KEEP)))
        self.conn.execute("delete from daily where source_id = ? and day < ?",
                          (source_id, _iso(now - DAILY_KEEP)[:10]))
        self.conn.execute("delete from snapshots where source_id = ? and at < ?", (source_id, _iso(now - DAILY_KEEP)))

    # -- reading market data ---------------------------------------------------------------------------

    def item_market(self, item: str, region: str, connected_realm_id: int, now: datetime) -> ItemMarket | None:
        """One item on one realm: the realm's own auctions if it is listed there, else the region's
        commodities."""
        for source in (Source(region, "realm", connected_realm_id), Source(region, "commodities")):
            frame = self.latest_metrics([source], now, items=[item])
            if len(frame):
                row = frame.iloc[0]
                return ItemMarket(
                    item, source, row["snapshot_time"].to_pydatetime(), _int(row["min_buyout"]),
                    _int(row["market_value"]), _int(row["market_value_14d"]), int(row["quantity"]),
                    int(row["auctions"]), _float(row["sold_per_day"]), _float(row["sold_window_hours"]),
                    row["first_seen"].to_pydatetime(), int(row["snapshots"]))
        return None

    def latest_metrics(self, sources: Sequence[Source], now: datetime, items: Sequence[str] | None = None
                       ) -> pd.DataFrame:
        """One row per (source, item) of each source's newest snapshot that lists the item, with the
        14-day value and the estimated sales per day. ``now`` is when the question is asked (kept for the
        API's age checks; the values are relative to each source's newest snapshot)."""
        frames = [self._latest_for(source, items) for source in sources]
        frames = [f for f in frames if f is not None and len(f)]
        if not frames:
            return pd.DataFrame(columns=_LATEST_COLUMNS)
        return pd.concat(frames, ignore_index=True)

    def _latest_for(self, source: Source, items: Sequence[str] | None) -> pd.DataFrame | None:
        row = self.conn.execute("select id from sources where key = ?", (source.key,)).fetchone()
        if row is None:
            return None
        source_id = int(row[0])
        only = f"and item in ({','.join('?' * len(items))})" if items else ""
        args = list(items or ())
        latest = pd.read_sql_query(
            f"select item, at, min_buyout, market_value, quantity, auctions, first_seen, snapshots from latest "
            f"where source_id = ? {only}", self.conn, params=[source_id, *args])
        if latest.empty:
            return latest
        latest["source"] = source.key
        latest["snapshot_time"] = pd.to_datetime(latest.pop("at"), utc=True)
        latest["first_seen"] = pd.to_datetime(latest["first_seen"], utc=True)
        newest = latest["snapshot_time"].max()
        latest = latest.merge(self._value_14d(source_id, newest, only, args), on="item", how="left")
        sold, hours = self._sold(source_id, newest, only, args)
        latest = latest.merge(sold, on="item", how="left")
        if hours > 0:  # an item with no sales in the window sold none, as far as we can tell
            latest["sold_per_day"] = latest["sold_per_day"].fillna(0.0)
            latest["sold_window_hours"] = hours
        for column in ("min_buyout", "market_value", "market_value_14d"):
            latest[column] = latest[column].astype("Int64")
        return latest[_LATEST_COLUMNS]

    def _value_14d(self, source_id: int, newest: pd.Timestamp, only: str, args: list) -> pd.DataFrame:
        first_day = (newest - timedelta(days=14)).strftime("%Y-%m-%d")
        days = pd.read_sql_query(
            f"select item, day, value_sum / value_count as value from daily where source_id = ? and day >= ? "
            f"and value_count > 0 {only}", self.conn, params=[source_id, first_day, *args])
        if days.empty:
            return pd.DataFrame({"item": pd.Series(dtype=str), "market_value_14d": pd.Series(dtype=float)})
        offsets = (newest.normalize().tz_localize(None) - pd.to_datetime(days["day"])).dt.days.to_numpy()
        codes, names = pd.factorize(days["item"])  # any integer code groups them; no parsing needed
        unique, values = weighted_market_values(offsets, days["value"].to_numpy(dtype=float), codes.astype(np.int64))
        return pd.DataFrame({"item": names[unique], "market_value_14d": np.floor(values + 0.5)})

    def _sold(self, source_id: int, newest: pd.Timestamp, only: str, args: list) -> tuple[pd.DataFrame, float]:
        """Estimated units sold per day per item over the last 24 h of consecutive snapshots, and the hours
        those snapshots cover (0 when there is no estimate yet)."""
        since = _iso((newest - SOLD_WINDOW).to_pydatetime())
        hours = float(self.conn.execute(
            "select coalesce(sum(sold_hours), 0) from snapshots where source_id = ? and at > ? "
            "and sold_hours is not null", (source_id, since)).fetchone()[0])
        sold = pd.read_sql_query(
            f"select h.item, sum(h.sold) as sold from hourly h join snapshots s on s.id = h.snapshot_id "
            f"where h.source_id = ? and h.at > ? and h.sold > 0 and s.sold_hours is not null "
            f"{only.replace('item', 'h.item')} group by h.item", self.conn, params=[source_id, since, *args])
        empty = pd.DataFrame({"item": pd.Series(dtype=str), "sold_per_day": pd.Series(dtype=float),
                              "sold_window_hours": pd.Series(dtype=float)})
        if hours <= 0 or sold.empty:
            return empty, hours
        sold["sold_per_day"] = [sold_per_day(float(s or 0), hours) for s in sold["sold"]]
        sold["sold_window_hours"] = hours
        return sold.drop(columns="sold"), hours

    # -- item information ------------------------------------------------------------------------------

    def save_item_info(self, infos: Sequence[ItemInfo]) -> None:
        with self.conn:
            self.conn.executemany("insert or replace into items values (?, ?, ?, ?, ?, ?, ?)",
                                  [(i.item_id, i.name, i.quality, i.item_class, i.item_subclass, i.vendor_sell,
                                    _iso(i.fetched_at)) for i in infos])

    def item_info(self, item_ids: Sequence[int]) -> dict[int, ItemInfo]:
        found: dict[int, ItemInfo] = {}
        ids = list(dict.fromkeys(int(i) for i in item_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self.conn.execute(f"select * from items where item_id in ({','.join('?' * len(chunk))})", chunk)
            for r in rows:
                found[int(r[0])] = ItemInfo(int(r[0]), r[1], r[2], int(r[3]), int(r[4]), int(r[5]),
                                            datetime.fromisoformat(r[6]))
        return found

    def items_without_info(self, limit: int) -> list[int]:
        """Item ids seen in stored snapshots that have no name/class yet, most recently seen first."""
        rows = self.conn.execute(
            "select cast(substr(item, 3) as integer) as id, max(at) as seen from hourly where item like 'i:%' "
            "group by item having id not in (select item_id from items) order by seen desc, id limit ?", (limit,))
        return [int(r[0]) for r in rows]

    def missing_item_info(self, item_ids: Sequence[int], limit: int) -> list[int]:
        known = self.item_info(item_ids)
        return [i for i in dict.fromkeys(item_ids) if i not in known][:limit]


    # -- group rules and generated versions --------------------------------------------------------------

    def rules(self) -> list[tuple[str, str, bool]]:
        """(name, rule document JSON, enabled) in rule order."""
        rows = self.conn.execute("select name, doc, enabled from rules order by position, name")
        return [(r[0], r[1], bool(r[2])) for r in rows]

    def save_rule(self, name: str, doc: str, enabled: bool, now: datetime) -> None:
        """Add a rule at the end, or replace one of that name where it stands."""
        with self.conn:
            position = self.conn.execute("select coalesce((select position from rules where name = ?), "
                                         "(select coalesce(max(position), 0) + 1 from rules))", (name,)).fetchone()[0]
            self.conn.execute("insert or replace into rules values (?, ?, ?, ?, ?)",
                              (name, position, doc, int(enabled), _iso(now)))
        self._mirror_rules()

    def remove_rule(self, name: str) -> bool:
        with self.conn:
            gone = self.conn.execute("delete from rules where name = ?", (name,)).rowcount > 0
        self._mirror_rules()
        return gone

    def _mirror_rules(self) -> None:
        """Keep a copy of the rules beside the database: they are the player's work, while everything
        else here can be fetched again, so a damaged database must not take them along."""
        rows = [{"name": n, "doc": d, "enabled": e} for n, d, e in self.rules()]
        try:
            write_atomic(self.path.with_name(RULES_MIRROR), json.dumps(rows, indent=1, ensure_ascii=False).encode())
        except OSError:
            pass  # the database still holds them; the next change tries again

    def seed_rules(self, docs: Sequence[tuple[str, str, bool]], now: datetime) -> bool:
        """Install the shipped templates once, ever: a player who removes one does not get it back."""
        with self.conn:
            if self.conn.execute("select 1 from app_state where key = 'rules_seeded'").fetchone():
                return False
            for position, (name, doc, enabled) in enumerate(docs, 1):
                self.conn.execute("insert or ignore into rules values (?, ?, ?, ?, ?)",
                                  (name, position, doc, int(enabled), _iso(now)))
            self.conn.execute("insert into app_state values ('rules_seeded', ?)", (_iso(now),))
        self._mirror_rules()
        return True

    def store_groupset(self, target: str, content_hash: str, doc: str, membership: str, now: datetime
                       ) -> tuple[int, bool]:
        """Keep a generated GroupSet as a new version only when its content changed; the hysteresis state
        is kept either way. Returns (version, whether it is new)."""
        with self.conn:
            self.conn.execute("insert or replace into memberships values (?, ?)", (target, membership))
            last = self.conn.execute("select version, hash from groupsets where target = ? order by version desc "
                                     "limit 1", (target,)).fetchone()
            if last and last[1] == content_hash:
                return int(last[0]), False
            version = int(last[0]) + 1 if last else 1
            self.conn.execute("insert into groupsets (target, version, hash, doc, created_at) values (?, ?, ?, ?, ?)",
                              (target, version, content_hash, doc, _iso(now)))
        return version, True

    def groupset(self, target: str, version: int | None = None) -> tuple[int, str, datetime] | None:
        """(version, GroupSet JSON, created) — the newest, or the given version."""
        query = "select version, doc, created_at from groupsets where target = ? "
        row = self.conn.execute(query + ("and version = ?" if version else "order by version desc limit 1"),
                                (target, version) if version else (target,)).fetchone()
        return (int(row[0]), row[1], datetime.fromisoformat(row[2])) if row else None

    def membership(self, target: str) -> str | None:
        row = self.conn.execute("select data from memberships where target = ?", (target,)).fetchone()
        return row[0] if row else None


_LATEST_COLUMNS = ["source", "item", "snapshot_time", "min_buyout", "market_value", "market_value_14d", "quantity",
                   "auctions", "sold_per_day", "sold_window_hours", "first_seen", "snapshots"]
_LATEST_UPSERT = (
    "insert into latest values (?, ?, ?, ?, ?, ?, ?, ?, 1) on conflict (source_id, item) do update set "
    "at = excluded.at, min_buyout = excluded.min_buyout, market_value = excluded.market_value, "
    "quantity = excluded.quantity, auctions = excluded.auctions, snapshots = snapshots + 1 "
    "where excluded.at > latest.at"
)
_DAILY_UPSERT = (
    "insert into daily (source_id, item, day, value_sum, value_count, min_buyout, quantity_sum, scans, sold) "
    "values (?, ?, ?, coalesce(?, 0), ?, ?, ?, 1, ?) on conflict (source_id, item, day) do update set "
    "value_sum = value_sum + excluded.value_sum, value_count = value_count + excluded.value_count, "
    "min_buyout = min(coalesce(min_buyout, excluded.min_buyout), coalesce(excluded.min_buyout, min_buyout)), "
    "quantity_sum = quantity_sum + excluded.quantity_sum, scans = scans + 1, "
    "sold = case when excluded.sold is null then sold else coalesce(sold, 0) + excluded.sold end"
)


def _hourly_rows(frame: pd.DataFrame, sold: dict[str, int] | None) -> list[tuple]:
    """(item, min_buyout, market_value, quantity, auctions, sold) per item listed now, plus a quantity-0
    row for each item that sold out since the last snapshot (so its sales are not lost)."""
    mins = frame["min_buyout"].astype(object).where(frame["min_buyout"].notna(), None)
    values = frame["market_value"].astype(object).where(frame["market_value"].notna(), None)
    rows = [(item, _opt(b), _opt(v), int(q), int(a), None if sold is None else sold.get(item, 0))
            for item, b, v, q, a in zip(frame.index, mins, values, frame["quantity"], frame["auctions"], strict=True)]
    if sold:
        listed = set(frame.index)
        rows += [(item, None, None, 0, 0, units) for item, units in sorted(sold.items()) if item not in listed]
    return rows


def _pack(index: AuctionIndex) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, auction_id=index.auction_id, item=index.item, quantity=index.quantity,
                        short=index.short)
    return buffer.getvalue()


def _unpack(data: bytes) -> AuctionIndex:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return AuctionIndex(arrays["auction_id"], arrays["item"], arrays["quantity"], arrays["short"])


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _opt(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _salvage_rules(path: Path) -> list[tuple[str, str, bool]]:
    """The rules of a damaged database: from the database itself where SQLite can still read them,
    else from the copy kept beside it (``rules.json``)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            rows = conn.execute("select name, doc, enabled from rules order by position, name").fetchall()
        finally:
            conn.close()
        return [(str(n), str(d), bool(e)) for n, d, e in rows if isinstance(n, str) and isinstance(d, str)]
    except sqlite3.Error:
        pass
    try:
        mirror = parse(path.with_name(RULES_MIRROR).read_bytes())
    except (OSError, JsonDocError):
        return []
    if not isinstance(mirror, list):
        return []
    return [(r["name"], r["doc"], bool(r.get("enabled", True))) for r in mirror
            if isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("doc"), str)]


def mark_damaged(path: Path, why: str) -> None:
    """Ask the next start to set the database aside (a query found it damaged while it was open)."""
    try:
        path.with_name(path.name + DAMAGED_MARK).write_text(why + "\n")
    except OSError:
        pass

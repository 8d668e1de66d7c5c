"""Market data in SQLite: each source's fetch state, its snapshots and per-item statistics, and the
reads that turn them into a realm's metrics.

``sources`` (a realm's auctions, a region's commodities, a classic faction house) with their fetch
state; ``snapshots`` keyed by (source, Last-Modified) — never fetch time; per-item ``hourly`` rows for 48
hours; per-item ``daily`` aggregates for 60 days (sum and count of scan market values, so the day value is
exact); ``latest``, the newest listing of every item; the last ``auction_index`` per source (``AuctionIndex.pack``,
the deadlines carried by the last estimate), from which the refresh flow estimates the next snapshot's sales
(the estimate itself is made outside any transaction, by ``market/sales.py``; ``record_snapshot`` only stores
it). Reads sum the estimate over a window that ends at the source's newest snapshot and hand it out as a
``SalesReport`` (``market/sales_report.py``), the one shape every caller shows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from tsmsyncd.db.realms import is_listed
from tsmsyncd.db.schema import Database, iso, when
from tsmsyncd.db.sources import SourceState, record_checked, record_error, source_state
from tsmsyncd.db.sources import source_id as _source_id
from tsmsyncd.market.auctions import AuctionIndex
from tsmsyncd.market.ingest import Snapshot, item_key
from tsmsyncd.market.metrics import weighted_market_values
from tsmsyncd.market.sales import SalesEstimate
from tsmsyncd.market.sales_report import SalesReport, as_kind, sold_per_day
from tsmsyncd.market.sources import RealmKey, Source

__all__ = [
    "DataStatus", "IndexAt", "ItemMarket", "RecordResult", "SourceState", "data_status", "item_market",
    "latest_metrics", "previous_index", "realm_market", "record_checked", "record_error", "record_snapshot",
    "source_state",
]

log = logging.getLogger(__name__)

HOURLY_KEEP = timedelta(hours=48)
DAILY_KEEP = timedelta(days=60)
SOLD_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class RecordResult:
    snapshot_id: int
    items: int
    auctions: int
    sold_units: int | None  # None: no consecutive earlier snapshot to compare with
    stale: bool  # this Last-Modified was stored already; nothing was written


@dataclass(frozen=True)
class IndexAt:
    """A source's stored auction index and the snapshot time it belongs to."""

    at: datetime
    index: AuctionIndex


@dataclass(frozen=True)
class ItemMarket:
    """One item on one source: its newest listing (``snapshot_time``: the newest snapshot that listed it, older
    than the source's newest when it has sold out since) and its estimated sales (``sales``, whose window ends
    at the source's newest snapshot)."""

    item: str
    source: Source
    snapshot_time: datetime
    min_buyout: int | None
    market_value: int | None
    market_value_14d: int | None
    quantity: int
    auctions: int
    sales: SalesReport
    first_seen: datetime
    snapshots: int  # snapshots that listed it since first_seen

    @property
    def listed_now(self) -> bool:
        """Listed in the source's newest snapshot (else it sold out or expired since ``snapshot_time``)."""
        return self.sales.window_end is None or self.snapshot_time >= self.sales.window_end

    def as_json(self, name: str | None = None) -> dict[str, object]:
        """Prices and listings at the top level, ``sales`` as ``SalesReport.as_json`` (its docstring: the shape)."""
        return {
            "item": self.item, "name": name, "source": self.source.key, "snapshot_time": self.snapshot_time.isoformat(),
            "listed_now": self.listed_now, "min_buyout": self.min_buyout, "market_value": self.market_value,
            "market_value_14d": self.market_value_14d, "quantity": self.quantity, "auctions": self.auctions,
            "first_seen": self.first_seen.isoformat(), "snapshots": self.snapshots, "sales": self.sales.as_json(),
        }


@dataclass(frozen=True)
class DataStatus:
    """What is stored for one realm: whether Blizzard's realm index (if we have it) lists it, and the
    time of its newest snapshot and of the region's commodities (None: never stored)."""

    realm: RealmKey
    listed: bool | None  # None: no realm index of the region is stored yet
    realm_snapshot: datetime | None
    commodities_snapshot: datetime | None

    def missing(self, what: str) -> str:
        """Why ``what`` has no data here, in the player's words, with the command that would fix it."""
        region, number = self.realm.region, self.realm.connected_realm_id
        where = f"{region} realm {number}"
        if self.listed is False:
            return (f"{number} is not a connected realm of {region} "
                    f"(`tsmsyncd realms list --region {region}` shows them)")
        if self.realm_snapshot is None and self.commodities_snapshot is None:
            return (f"no market data for {where} yet; run `tsmsyncd refresh --once --region {region} "
                    f"--realm {number}` first")
        seen = [f"{where}'s newest snapshot ({iso(self.realm_snapshot)})" if self.realm_snapshot else None,
                f"{region}'s commodities ({iso(self.commodities_snapshot)})" if self.commodities_snapshot else None]
        return f"{what} is not listed in {' nor in '.join(s for s in seen if s)}"


# -- snapshots -----------------------------------------------------------------------------------------


def previous_index(d: Database, source: Source) -> IndexAt | None:
    """The auction index the next snapshot's sales are estimated against; None when there is none, or the stored
    one cannot serve (damaged, or of the format before prices and deadlines): that hour gets no estimate."""
    row = d.conn.execute("select a.at, a.data from auction_index a join sources s on s.id = a.source_id "
                         "where s.key = ?", (source.key,)).fetchone()
    if row is None:
        return None
    try:
        return IndexAt(datetime.fromisoformat(row[0]), AuctionIndex.unpack(bytes(row[1])))
    except ValueError as exc:
        log.info("%s: %s; the next snapshot starts a new baseline", source.key, exc)
        return None


def record_snapshot(d: Database, source: Source, last_modified: datetime, last_modified_header: str,
                    fetched_at: datetime, snapshot: Snapshot, sales: SalesEstimate | None) -> RecordResult:
    """Store one snapshot in one transaction: all of it, or (on any error) nothing at all. ``sales`` was
    estimated by ``sales_since`` against the index ``previous_index`` gave; if another snapshot became the
    baseline since, the estimate no longer applies and is not stored; one not ``counted`` (a warm-up) is not
    stored either. The index kept for the next estimate is the estimate's ``carried`` one (deadlines narrowed
    by the history), else the snapshot's own."""
    at = iso(last_modified)
    with d.conn:
        source_id = _source_id(d, source)
        existing = d.conn.execute("select id, auctions, items from snapshots where source_id = ? and at = ?",
                                  (source_id, at)).fetchone()
        if existing:
            return RecordResult(int(existing[0]), int(existing[2]), int(existing[1]), None, True)
        baseline = d.conn.execute("select at from auction_index where source_id = ?", (source_id,)).fetchone()
        if sales is not None and (baseline is None or sales.since is None or baseline[0] != iso(sales.since)):
            sales = None
        carried = sales.carried if sales else snapshot.index
        sales = sales if sales and sales.counted else None  # a warm-up pair only carries deadlines
        sold = _sold_by_item(sales) if sales else None
        frame = snapshot.items
        cursor = d.conn.execute(
            "insert into snapshots (source_id, at, fetched_at, auctions, items, sold_units, sold_hours) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            (source_id, at, iso(fetched_at), snapshot.auctions, len(frame), sales.total if sales else None,
             sales.hours if sales else None))
        snapshot_id = int(cursor.lastrowid or 0)
        rows = _hourly_rows(frame, sold)
        d.conn.executemany("insert into hourly values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [(source_id, snapshot_id, r[0], at, *r[1:]) for r in rows])
        d.conn.executemany(_DAILY_UPSERT, [(source_id, r[0], at[:10], r[2], 0 if r[2] is None else 1, r[1],
                                            r[3], r[5]) for r in rows])
        d.conn.executemany(_LATEST_UPSERT, [(source_id, r[0], at, *r[1:5], at) for r in rows if r[3] > 0])
        # A snapshot older than the newest we have (a lagging mirror) is history, not the new baseline.
        d.conn.execute("insert into auction_index values (?, ?, ?, ?) on conflict (source_id) do update "
                       "set snapshot_id = excluded.snapshot_id, at = excluded.at, data = excluded.data "
                       "where excluded.at > auction_index.at",
                       (source_id, snapshot_id, at, carried.pack()))
        newest = d.conn.execute("select max(at) from snapshots where source_id = ?", (source_id,)).fetchone()[0]
        header = last_modified_header if newest == at else None
        d.conn.execute("update sources set last_modified = coalesce(?, last_modified), last_checked = ?, "
                       "last_error = null, error_at = null where id = ?", (header, iso(fetched_at), source_id))
        _prune(d, source_id, last_modified)
    return RecordResult(snapshot_id, len(frame), snapshot.auctions, sales.total if sales else None, False)


def _prune(d: Database, source_id: int, now: datetime) -> None:
    d.conn.execute("delete from hourly where source_id = ? and at < ?", (source_id, iso(now - HOURLY_KEEP)))
    d.conn.execute("delete from latest where source_id = ? and at < ?", (source_id, iso(now - HOURLY_KEEP)))
    d.conn.execute("delete from daily where source_id = ? and day < ?", (source_id, iso(now - DAILY_KEEP)[:10]))
    d.conn.execute("delete from snapshots where source_id = ? and at < ?", (source_id, iso(now - DAILY_KEEP)))


def data_status(d: Database, realm: RealmKey) -> DataStatus:
    def newest(source: Source) -> datetime | None:
        row = d.conn.execute("select max(s.at) from snapshots s join sources src on src.id = s.source_id "
                             "where src.key = ?", (source.key,)).fetchone()
        return when(row[0]) if row else None

    own = [t for t in (newest(s) for s in realm.own()) if t is not None]
    commodities = newest(realm.commodities()) if realm.flavor.has_commodities else None
    return DataStatus(realm, is_listed(d, realm.region, realm.connected_realm_id, str(realm.flavor)),
                      max(own) if own else None, commodities)


# -- reading market data -------------------------------------------------------------------------------


def item_market(d: Database, item: str, realm: RealmKey, now: datetime) -> ItemMarket | None:
    """One item on one realm: the realm's own auctions if it is listed there, else the region's
    commodities."""
    for source in realm.sources():
        frame = latest_metrics(d, [source], now, items=[item])
        if len(frame):
            return _records(frame, [source])[0]
    return None


def realm_market(d: Database, realm: RealmKey, now: datetime) -> list[ItemMarket]:
    """Every item of one realm in one read, as ``item_market`` gives each (an item on the realm's own auctions
    is not repeated from the commodities), in item order."""
    sources = realm.sources()
    frame = latest_metrics(d, sources, now).drop_duplicates("item", keep="first")
    records = _records(frame, sources)
    return sorted(records, key=lambda m: (m.item[0], int(m.item[2:])))


def _records(frame: pd.DataFrame, sources: Sequence[Source]) -> list[ItemMarket]:
    by_key = {s.key: s for s in sources}
    columns: dict[str, list[Any]] = {c: frame[c].tolist() for c in _LATEST_COLUMNS}
    out = []
    for i in range(len(frame)):
        row = {c: values[i] for c, values in columns.items()}
        source, sold = by_key[row["source"]], _int(row["sold"])
        sales = SalesReport(as_kind(source.kind), sold, 0.0 if sold is None else float(row["sold_window_hours"]),
                            row["window_end"].to_pydatetime())
        out.append(ItemMarket(
            row["item"], source, row["snapshot_time"].to_pydatetime(), _int(row["min_buyout"]),
            _int(row["market_value"]), _int(row["market_value_14d"]), int(row["quantity"]), int(row["auctions"]),
            sales, row["first_seen"].to_pydatetime(), int(row["snapshots"])))
    return out


def latest_metrics(d: Database, sources: Sequence[Source], now: datetime, items: Sequence[str] | None = None
                   ) -> pd.DataFrame:
    """One row per (source, item) of each source's newest snapshot that lists the item, with the
    14-day value and the estimated sales: ``sold`` units over the ``sold_window_hours`` of consecutive
    snapshots in the day up to the source's newest snapshot (``window_end``), and ``sold_per_day`` (NA
    without a window). ``now`` is when the question is asked (kept for the API's age checks; the values are
    relative to each source's newest snapshot)."""
    frames = [_latest_for(d, source, items) for source in sources]
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=_LATEST_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _latest_for(d: Database, source: Source, items: Sequence[str] | None) -> pd.DataFrame | None:
    row = d.conn.execute("select s.id, max(n.at) from sources s join snapshots n on n.source_id = s.id "
                         "where s.key = ? group by s.id", (source.key,)).fetchone()
    if row is None:
        return None
    source_id = int(row[0])
    # The window ends at the source's newest snapshot, not at the item's own last listing: an item that sold
    # out since keeps the hour it sold out in, and every item of a source shares one window.
    newest = pd.Timestamp(row[1]).tz_convert("UTC")
    only = f"and item in ({','.join('?' * len(items))})" if items else ""
    args = list(items or ())
    latest = pd.read_sql_query(
        f"select item, at, min_buyout, market_value, quantity, auctions, first_seen, snapshots from latest "
        f"where source_id = ? {only}", d.conn, params=[source_id, *args])
    if latest.empty:
        return latest
    latest["source"] = source.key
    latest["snapshot_time"] = pd.to_datetime(latest.pop("at"), utc=True)
    latest["first_seen"] = pd.to_datetime(latest["first_seen"], utc=True)
    latest["window_end"] = newest
    latest = latest.merge(_value_14d(d, source_id, newest, only, args), on="item", how="left")
    sold, hours = _sold(d, source_id, newest, only, args)
    latest = latest.merge(sold, on="item", how="left")
    latest["sold_window_hours"] = hours
    if hours > 0:  # an item with no sales in the window sold none, as far as we can tell
        latest["sold"] = latest["sold"].fillna(0)
        latest["sold_per_day"] = [sold_per_day(float(n), hours) for n in latest["sold"]]
    else:
        latest["sold_per_day"] = np.nan
    for column in ("min_buyout", "market_value", "market_value_14d", "sold"):
        latest[column] = latest[column].astype("Int64")
    return latest[_LATEST_COLUMNS]


def _value_14d(d: Database, source_id: int, newest: pd.Timestamp, only: str, args: list[str]) -> pd.DataFrame:
    first_day = (newest - timedelta(days=14)).strftime("%Y-%m-%d")
    days = pd.read_sql_query(
        f"select item, day, value_sum / value_count as value from daily where source_id = ? and day >= ? "
        f"and value_count > 0 {only}", d.conn, params=[source_id, first_day, *args])
    if days.empty:
        return pd.DataFrame({"item": pd.Series(dtype=str), "market_value_14d": pd.Series(dtype=float)})
    offsets = (newest.normalize().tz_localize(None) - pd.to_datetime(days["day"])).dt.days.to_numpy()
    codes, names = pd.factorize(days["item"])  # any integer code groups them; no parsing needed
    unique, values = weighted_market_values(offsets, days["value"].to_numpy(dtype=float), codes.astype(np.int64))
    return pd.DataFrame({"item": names[unique], "market_value_14d": np.floor(values + 0.5)})


def _sold(d: Database, source_id: int, newest: pd.Timestamp, only: str, args: list[str]) -> tuple[pd.DataFrame, float]:
    """Estimated units sold per item over the consecutive snapshots of the day up to ``newest`` (items that sold
    any), and the hours those snapshots cover (0 when there is no estimate yet)."""
    since = iso((newest - SOLD_WINDOW).to_pydatetime())
    hours = float(d.conn.execute(
        "select coalesce(sum(sold_hours), 0) from snapshots where source_id = ? and at > ? "
        "and sold_hours is not null", (source_id, since)).fetchone()[0])
    sold = pd.read_sql_query(
        f"select h.item, sum(h.sold) as sold from hourly h join snapshots s on s.id = h.snapshot_id "
        f"where h.source_id = ? and h.at > ? and h.sold > 0 and s.sold_hours is not null "
        f"{only.replace('item', 'h.item')} group by h.item", d.conn, params=[source_id, since, *args])
    if hours <= 0 or sold.empty:
        return pd.DataFrame({"item": pd.Series(dtype=str), "sold": pd.Series(dtype="Int64")}), hours
    return sold, hours


_LATEST_COLUMNS = ["source", "item", "snapshot_time", "min_buyout", "market_value", "market_value_14d", "quantity",
                   "auctions", "sold", "sold_per_day", "sold_window_hours", "window_end", "first_seen", "snapshots"]
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


def _hourly_rows(
    frame: pd.DataFrame, sold: dict[str, int] | None
) -> list[tuple[str, int | None, int | None, int, int, int | None]]:
    """(item, min_buyout, market_value, quantity, auctions, sold) per item listed now, plus a quantity-0
    row for each item that sold out since the last snapshot (so its sales are not lost)."""
    mins = frame["min_buyout"].astype(object).where(frame["min_buyout"].notna(), None)  # type: ignore[call-overload]  # stubs refuse other=None
    values = frame["market_value"].astype(object).where(frame["market_value"].notna(), None)  # type: ignore[call-overload]  # stubs refuse other=None
    rows = [(item, _opt(b), _opt(v), int(q), int(a), None if sold is None else sold.get(item, 0))
            for item, b, v, q, a in zip(frame.index, mins, values, frame["quantity"], frame["auctions"], strict=True)]
    if sold:
        listed = set(frame.index)
        rows += [(item, None, None, 0, 0, units) for item, units in sorted(sold.items()) if item not in listed]
    return rows


def _sold_by_item(sales: SalesEstimate) -> dict[str, int]:
    """Units sold per item string, items that sold any."""
    return {item_key(int(code)): int(units) for code, units in zip(sales.items, sales.sold, strict=True) if units > 0}


def _opt(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]  # a pandas scalar, untyped


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]  # a pandas scalar, untyped

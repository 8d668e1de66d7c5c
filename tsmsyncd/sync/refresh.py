"""Refresh: fetch what changed at Blizzard, turn it into per-item statistics, store it — one source at a time.

A *source* is one snapshot stream: a connected realm's auctions, a region's commodities, or a classic
faction house. For each: a conditional GET with the stored ``Last-Modified``; a 304 only records the
check; a 200 is ingested (on a worker thread: it is CPU work) and stored in one transaction keyed by
its ``Last-Modified``; any failure is recorded against that source and reported, while its last good
data stays exactly as it was. Sources are fetched a few at a time (as Undermine Exchange does: 4).

Every database call goes through the one ``DbWriter`` thread, which owns the SQLite connection.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from tsmsyncd.blizzard.client import BlizzardClient, Fetched
from tsmsyncd.db import Database, ItemInfo, RealmInfo, Source, mark_damaged
from tsmsyncd.errors import BlizzardError, SnapshotError, StateError
from tsmsyncd.market.ingest import ingest_snapshot

__all__ = ["DbWriter", "RefreshOutcome", "Refresher"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class DbWriter:
    """The one thread that owns the SQLite connection; every read and write runs there, in order."""

    def __init__(self, path: Path) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
        self.path = path
        try:
            self._db: Database = self._pool.submit(Database, path).result()
        except BaseException:
            self._pool.shutdown()
            raise
        self.notices = self._db.notices

    async def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._call, fn, args)

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """The same, for code that is not async (the CLI's reads)."""
        return self._pool.submit(self._call, fn, args).result()

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            return fn(self._db, *args)
        except sqlite3.DatabaseError as exc:
            raise _state_error(self.path, exc) from exc

    def close(self) -> None:
        self._pool.submit(self._db.close).result()
        self._pool.shutdown()


@dataclass(frozen=True)
class RefreshOutcome:
    source: Source
    status: str  # "updated", "not-modified", "unchanged" (a Last-Modified we already had) or "error"
    snapshot_time: datetime | None = None
    auctions: int | None = None
    items: int | None = None
    sold_units: int | None = None
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source.key,
            "status": self.status,
            "snapshot_time": self.snapshot_time.isoformat() if self.snapshot_time else None,
            "auctions": self.auctions,
            "items": self.items,
            "sold_units": self.sold_units,
            "error": self.error,
        }


class Refresher:
    """Fetches and stores market data. ``now`` is injected so stored check times are testable."""

    def __init__(
        self,
        client: BlizzardClient,
        db: DbWriter,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        concurrency: int = 4,
    ) -> None:
        self._client, self._db, self._now = client, db, now
        self._slots = asyncio.Semaphore(concurrency)

    async def realm_list(self, region: str, flavor: str = "retail") -> list[RealmInfo]:
        """The region's connected realms with their realms' names, stored for later lookups."""
        ids = await self._client.connected_realm_ids(region, flavor)

        async def details(cr_id: int) -> list[RealmInfo]:
            async with self._slots:
                docs = await self._client.connected_realm(region, cr_id, flavor)
            return [RealmInfo(region, d.connected_realm_id, d.realm_id, d.name, d.slug, d.timezone, d.locale)
                    for d in docs]

        realms = [r for group in await asyncio.gather(*(details(i) for i in ids)) for r in group]
        await self._db(Database.save_realms, region, realms, self._now())
        return realms

    async def refresh(
        self, region: str, realm_ids: Sequence[int], *, flavor: str = "retail", commodities: bool = True
    ) -> list[RefreshOutcome]:
        """Refresh the region's commodities (retail) and each connected realm's auctions."""
        sources: list[Source] = []
        if flavor == "retail":
            if commodities:
                sources.append(Source(region, "commodities"))
            sources += [Source(region, "realm", cr) for cr in dict.fromkeys(realm_ids)]
        else:
            for cr in dict.fromkeys(realm_ids):
                houses = await self._client.classic_houses(region, cr, flavor)
                sources += [Source(region, "house", cr, house) for house in sorted(houses)]
        return list(await asyncio.gather(*(self._refresh_one(s, flavor) for s in sources)))

    async def fill_item_info(self, region: str, limit: int = 200, flavor: str = "retail") -> tuple[int, int]:
        """Fetch names, quality, class and vendor price for up to ``limit`` items seen without them (a
        few a time, under the client's rate limit); return (fetched, failed). Item data never changes
        within a patch, so each item is asked for once."""
        missing = await self._db(Database.items_without_info, limit)

        async def one(item_id: int) -> ItemInfo | None:
            async with self._slots:
                try:
                    doc = await self._client.item(region, item_id, flavor)
                except BlizzardError as exc:
                    log.info("item %d: %s", item_id, exc)
                    return None
            return ItemInfo(item_id, doc.name, doc.quality, doc.item_class, doc.item_subclass, doc.vendor_sell,
                            self._now())

        infos = [i for i in await asyncio.gather(*(one(i) for i in missing)) if i is not None]
        await self._db(Database.save_item_info, infos)
        return len(infos), len(missing) - len(infos)

    async def _refresh_one(self, source: Source, flavor: str) -> RefreshOutcome:
        async with self._slots:
            try:
                return await self._fetch_and_store(source, flavor)
            except BlizzardError as exc:
                message = str(exc)
                log.warning("%s: %s", source.key, message)
                await self._db(Database.record_error, source, message, self._now())
                return RefreshOutcome(source, "error", error=message)

    async def _fetch_and_store(self, source: Source, flavor: str) -> RefreshOutcome:
        state = await self._db(Database.source_state, source)
        fetched = await self._fetch(source, flavor, state.last_modified)
        if fetched.not_modified:
            await self._db(Database.record_checked, source, self._now())
            return RefreshOutcome(source, "not-modified", snapshot_time=_parse_time(state.last_modified))
        when = fetched.last_modified_at
        if when is None or fetched.last_modified is None:
            raise SnapshotError(f"{source.key}: the response has no usable Last-Modified header")
        snapshot = await asyncio.get_running_loop().run_in_executor(None, ingest_snapshot, fetched.body, source.kind)
        recorded = await self._db(Database.record_snapshot, source, when, fetched.last_modified, self._now(), snapshot)
        return RefreshOutcome(
            source, "unchanged" if recorded.stale else "updated", when, recorded.auctions, recorded.items,
            recorded.sold_units,
        )

    async def _fetch(self, source: Source, flavor: str, since: str | None) -> Fetched:
        c = self._client
        if source.kind == "commodities":
            return await c.commodities(source.region, since)
        assert source.connected_realm_id is not None
        if source.kind == "realm":
            return await c.realm_auctions(source.region, source.connected_realm_id, since)
        assert source.house_id is not None
        return await c.classic_auctions(source.region, source.connected_realm_id, source.house_id, flavor, since)


def _state_error(path: Path, exc: sqlite3.DatabaseError) -> StateError:
    """SQLite's failures in the player's words. Damage (not "locked", not "full") is remembered, so the
    next start sets the file aside and begins a new one."""
    if type(exc) is sqlite3.DatabaseError or "malformed" in str(exc):
        mark_damaged(path, str(exc))
        return StateError(f"{path.name} is damaged ({exc}); it is set aside and rebuilt when tsmsyncd next starts "
                          "(market data is fetched again, rules are carried over)")
    return StateError(f"{path.name}: {exc} (the database in {path.parent})")


def _parse_time(header: str | None) -> datetime | None:
    return Fetched(True, b"", header).last_modified_at

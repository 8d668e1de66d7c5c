"""The watchlist's availability checks, in the watch worker process (``tsmsyncd _worker --serve``, started
by the daemon's ``WatchService``): per (item, realm) one row, fanned out on a bounded queue.

All checks of one realm share one snapshot fetch (single-flight): the first asks Blizzard, the others wait
for it. Fetched snapshots are kept as compact ``Listings`` for 30 minutes in an LRU cache bounded by bytes;
after that, or as soon as the daemon's own refresh has stored a newer snapshot of that realm (its
``Last-Modified`` in the database is newer than the cached one), the next check asks again, conditionally
(``If-Modified-Since``: a 304 costs no body). An item not on a realm's auction house is looked for on the
region's commodity market, fetched the same way once per region. A failed fetch makes that realm's rows
``error`` with the reason; the other realms' rows are unaffected. Retail realms only (Classic houses are
not watched).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from tsmsyncd.blizzard.client import BlizzardClient
from tsmsyncd.db import items as items_db
from tsmsyncd.db import sources as sources_db
from tsmsyncd.errors import TsmSyncError
from tsmsyncd.market.listings import QUALITIES, Listings, code_of, decode_listings, match
from tsmsyncd.market.sources import Source, SourceKind
from tsmsyncd.market.watchitem import WatchItem
from tsmsyncd.store.writer import DbWriter

__all__ = ["Checker", "SnapshotCache", "COMMODITIES"]

TTL = 1800.0
COMMODITIES = 0  # the "realm" of a region's commodity market in cache keys
Emit = Callable[[dict[str, Any]], None]


@dataclass
class Cached:
    listings: Listings
    last_modified: str | None
    fetched: float  # monotonic
    fetched_at: datetime


class SnapshotCache:
    """Listings per (region, connected realm), fresh for ``ttl`` seconds, at most ``max_bytes`` in all
    (least recently used first out)."""

    def __init__(self, max_bytes: int = 256 * 2**20, ttl: float = TTL, clock: Callable[[], float] = time.monotonic):
        self.max_bytes, self.ttl, self._clock = max_bytes, ttl, clock
        self._entries: OrderedDict[tuple[str, int], Cached] = OrderedDict()

    @property
    def nbytes(self) -> int:
        return sum(e.listings.nbytes for e in self._entries.values())

    def get(self, key: tuple[str, int]) -> Cached | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def fresh(self, entry: Cached) -> bool:
        return self._clock() - entry.fetched < self.ttl

    def put(self, key: tuple[str, int], entry: Cached) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > 1 and self.nbytes > self.max_bytes:
            self._entries.popitem(last=False)


class Checker:
    def __init__(self, client: BlizzardClient, db: DbWriter, cache: SnapshotCache | None = None, *,
                 concurrency: int = 8, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._client, self._db, self._now = client, db, now
        self.cache = cache or SnapshotCache()
        self._concurrency = concurrency
        self._inflight: dict[tuple[str, int], asyncio.Future[Cached]] = {}
        self._items: dict[int, tuple[int | None, int | None]] = {}  # item id → (quality, base level)
        self.fetches = 0  # snapshot requests sent (the benchmark prints it)

    async def check(self, region: str, items: Sequence[WatchItem], emit: Emit) -> dict[str, int]:
        """One row per (item, realm) through ``emit``, as each is known; returns counts by status."""
        pairs: asyncio.Queue[tuple[WatchItem, int]] = asyncio.Queue()
        for item in items:
            for realm in item.realms:
                pairs.put_nowait((item, realm))
        counts: dict[str, int] = {}

        async def worker() -> None:
            while not pairs.empty():
                item, realm = pairs.get_nowait()
                row = await self._row(region, item, realm)
                counts[row["status"]] = counts.get(row["status"], 0) + 1
                emit(row)

        await asyncio.gather(*(worker() for _ in range(min(self._concurrency, max(pairs.qsize(), 1)))))
        return counts

    async def _row(self, region: str, item: WatchItem, realm: int) -> dict[str, Any]:
        row: dict[str, Any] = {"id": item.id, "item": item.item, "realm": realm}
        try:
            entry = await self._listings(region, realm)
            where = "realm"
            if not entry.listings.has(code_of(item)) and not item.is_pet:
                entry, where = await self._listings(region, COMMODITIES), "commodities"
            quality, level = await self._item_facts(region, item)
            found = match(entry.listings, item, quality, level)
        except TsmSyncError as exc:
            return {**row, "status": "error", "listings": [], "cheapest": None, "covered": False,
                    "reason": str(exc), "fresh_until": None}
        fresh_until = entry.fetched_at + timedelta(seconds=self.cache.ttl)
        return {**row, **found.as_json(), "market": where,
                "fresh_until": fresh_until.isoformat(timespec="seconds").replace("+00:00", "Z")}

    async def _listings(self, region: str, realm: int) -> Cached:
        key = (region, realm)
        entry = self.cache.get(key)
        if entry is not None and self.cache.fresh(entry) and not await self._newer_stored(key, entry):
            return entry
        running = self._inflight.get(key)
        if running is not None:
            return await running
        future: asyncio.Future[Cached] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            fetched = await self._fetch(key, entry)
            future.set_result(fetched)
            return fetched
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters re-raise it; nobody else must see it as unhandled
            raise
        finally:
            del self._inflight[key]

    async def _fetch(self, key: tuple[str, int], entry: Cached | None) -> Cached:
        region, realm = key
        since = entry.last_modified if entry is not None else None
        self.fetches += 1
        get: Awaitable[Any] = (self._client.commodities(region, since=since) if realm == COMMODITIES
                               else self._client.realm_auctions(region, realm, since=since))
        got = await get
        now = self._now()
        if got.not_modified and entry is not None:
            fresh = Cached(entry.listings, entry.last_modified, time.monotonic(), now)
        else:
            listings = await asyncio.to_thread(decode_listings, got.body)
            fresh = Cached(listings, got.last_modified, time.monotonic(), now)
        self.cache.put(key, fresh)
        return fresh

    async def _newer_stored(self, key: tuple[str, int], entry: Cached) -> bool:
        """The daemon's refresh stored a newer snapshot of this market than the one cached."""
        region, realm = key
        source = (Source(region, SourceKind.COMMODITIES) if realm == COMMODITIES
                  else Source(region, SourceKind.REALM, realm))
        stored = (await self._db(sources_db.source_state, source)).last_modified
        return bool(stored and entry.last_modified and _when(stored) > _when(entry.last_modified))

    async def _item_facts(self, region: str, item: WatchItem) -> tuple[int | None, int | None]:
        """The item's quality (from the stored item info, else Blizzard's item document) and, only when a
        minimum item level is asked for, its base level."""
        if item.is_pet or not (item.specs.min_quality or item.specs.min_ilvl):
            return None, None
        if item.number not in self._items:
            known = (await self._db(items_db.item_info, [item.number])).get(item.number)
            quality = QUALITIES.get(known.quality.upper()) if known else None
            level = None
            if quality is None or item.specs.min_ilvl:
                doc = await self._client.item(region, item.number)
                quality, level = QUALITIES.get(doc.quality.upper()), doc.level or None
            self._items[item.number] = (quality, level)
        return self._items[item.number]


def _when(header: str) -> datetime:
    try:
        return parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)

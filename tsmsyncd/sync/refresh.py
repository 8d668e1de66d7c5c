"""Refresh: fetch what changed at Blizzard, turn it into per-item statistics, store it — one source at a time.

A *source* is one snapshot stream: a connected realm's auctions, a region's commodities, or a classic
faction house. For each: a conditional GET with the stored ``Last-Modified``; a 304 only records the
check; a 200 is ingested (on a worker thread: it is CPU work) and stored in one transaction keyed by
its ``Last-Modified``; any failure is recorded against that source and reported, while its last good
data stays exactly as it was. Sources are fetched a few at a time (as Undermine Exchange does: 4); a
``progress`` callback hears of each as its fetch starts, by the name a player knows it by.

Every database call goes through the one writer thread (``store/writer.py``). The sales estimate is
business logic, so it is made here (on a worker thread, from the stored previous index, by the rules of the
source's kind: cheapest-first for commodities) and the transaction only stores it.

Item documents are fetched once per item; one Blizzard answers 404 for is remembered and asked again only after
``db.items.RETRY_MISSING``, not on every refresh.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from tsmsyncd.blizzard.client import BlizzardClient, Fetched
from tsmsyncd.db import items as items_db
from tsmsyncd.db import market as market_db
from tsmsyncd.db import realms as realms_db
from tsmsyncd.db.items import ItemInfo
from tsmsyncd.db.realms import RealmInfo
from tsmsyncd.errors import ApiError, BlizzardError, SnapshotError
from tsmsyncd.market.ingest import Snapshot, ingest_snapshot
from tsmsyncd.market.sales import SalesEstimate, sales_since
from tsmsyncd.market.sales_report import as_kind
from tsmsyncd.market.sources import Source, SourceKind
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.wow.flavor import Flavor

__all__ = ["RefreshOutcome", "RefreshStatus", "Refresher", "SourceProgress", "source_label"]

log = logging.getLogger(__name__)
SourceProgress = Callable[[str, int, int], None]  # (what is fetched now, its number from 1, how many in all)
HOUSE_NAMES = {2: "Alliance", 6: "Horde", 7: "neutral"}  # Blizzard's Classic house ids (market/sources.py)


class RefreshStatus(StrEnum):
    UPDATED = "updated"  # a new snapshot was stored
    NOT_MODIFIED = "not-modified"  # Blizzard answered 304
    UNCHANGED = "unchanged"  # a Last-Modified we already had
    ERROR = "error"  # the fetch failed; the last good data is kept


@dataclass(frozen=True)
class RefreshOutcome:
    source: Source
    status: RefreshStatus
    snapshot_time: datetime | None = None
    auctions: int | None = None
    items: int | None = None
    sold_units: int | None = None
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source.key,
            "status": str(self.status),
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

    async def realm_list(self, region: str, flavor: Flavor | str = Flavor.RETAIL) -> list[RealmInfo]:
        """The region's connected realms with their realms' names, stored for later lookups."""
        flavor = Flavor.parse(flavor)
        ids = await self._client.connected_realm_ids(region, flavor)

        async def details(cr_id: int) -> list[RealmInfo]:
            async with self._slots:
                docs = await self._client.connected_realm(region, cr_id, flavor)
            return [RealmInfo(region, d.connected_realm_id, d.realm_id, d.name, d.slug, d.timezone, d.locale,
                              d.names) for d in docs]

        realms = [r for group in await asyncio.gather(*(details(i) for i in ids)) for r in group]
        await self._db(realms_db.save_realms, region, realms, self._now(), str(flavor))
        return realms

    async def refresh(
        self, region: str, realm_ids: Sequence[int], *, flavor: Flavor | str = Flavor.RETAIL, commodities: bool = True,
        progress: SourceProgress | None = None,
    ) -> list[RefreshOutcome]:
        """Refresh the region's commodities (retail) and each connected realm's auctions; ``progress`` hears of
        each source as its fetch starts."""
        flavor = Flavor.parse(flavor)
        sources: list[Source] = []
        if flavor.has_commodities:
            if commodities:
                sources.append(Source(region, SourceKind.COMMODITIES))
            sources += [Source(region, SourceKind.REALM, cr) for cr in dict.fromkeys(realm_ids)]
        else:
            for cr in dict.fromkeys(realm_ids):
                houses = await self._client.classic_houses(region, cr, flavor)
                sources += [Source(region, SourceKind.HOUSE, cr, house) for house in sorted(houses)]
        names = await self._realm_names(region, flavor) if progress else {}
        started = itertools.count(1)

        def starting(source: Source) -> None:
            if progress is not None:
                try:
                    progress(source_label(source, names), next(started), len(sources))
                except Exception:  # a listener's bug must not fail the refresh
                    log.exception("a refresh progress listener failed")

        return list(await asyncio.gather(*(self._refresh_one(s, flavor, starting) for s in sources)))

    async def _realm_names(self, region: str, flavor: Flavor) -> dict[int, str]:
        """Each connected realm's name as the realm index has it (its realms, " / " between them)."""
        found: dict[int, list[str]] = {}
        for realm in await self._db(realms_db.realms, region, str(flavor)):
            found.setdefault(realm.connected_realm_id, []).append(realm.name)
        return {number: " / ".join(sorted(names, key=str.casefold)) for number, names in found.items()}

    async def fill_item_info(self, region: str, limit: int = 200, flavor: Flavor | str = Flavor.RETAIL
                             ) -> tuple[int, int]:
        """Fetch names, quality, class and vendor price for up to ``limit`` items seen without them (a
        few a time, under the client's rate limit); return (fetched, failed). Item data never changes
        within a patch, so each item is asked for once; an item Blizzard has no document for (404) counts
        as failed and is not asked for again until ``RETRY_MISSING`` has passed."""
        missing = await self._db(items_db.items_without_info, limit, self._now())
        not_found: list[int] = []

        async def one(item_id: int) -> ItemInfo | None:
            async with self._slots:
                try:
                    doc = await self._client.item(region, item_id, flavor)
                except BlizzardError as exc:
                    if isinstance(exc, ApiError) and exc.status == 404:
                        not_found.append(item_id)
                    log.info("item %d: %s", item_id, exc)
                    return None
            return ItemInfo(item_id, doc.name, doc.quality, doc.item_class, doc.item_subclass, doc.vendor_sell,
                            self._now())

        infos = [i for i in await asyncio.gather(*(one(i) for i in missing)) if i is not None]
        await self._db(items_db.save_item_info, infos)
        if not_found:
            await self._db(items_db.record_missing, not_found, self._now())
        return len(infos), len(missing) - len(infos)

    async def _refresh_one(self, source: Source, flavor: Flavor, starting: Callable[[Source], None]
                           ) -> RefreshOutcome:
        async with self._slots:
            starting(source)
            try:
                return await self._fetch_and_store(source, flavor)
            except BlizzardError as exc:
                message = str(exc)
                log.warning("%s: %s", source.key, message)
                await self._db(market_db.record_error, source, message, self._now())
                return RefreshOutcome(source, RefreshStatus.ERROR, error=message)

    async def _fetch_and_store(self, source: Source, flavor: Flavor) -> RefreshOutcome:
        state = await self._db(market_db.source_state, source)
        fetched = await self._fetch(source, flavor, state.last_modified)
        if fetched.not_modified:
            await self._db(market_db.record_checked, source, self._now())
            return RefreshOutcome(source, RefreshStatus.NOT_MODIFIED, snapshot_time=_parse_time(state.last_modified))
        when = fetched.last_modified_at
        if when is None or fetched.last_modified is None:
            raise SnapshotError(f"{source.key}: the response has no usable Last-Modified header")
        previous = await self._db(market_db.previous_index, source)
        snapshot, sales = await asyncio.get_running_loop().run_in_executor(
            None, _ingest_and_estimate, fetched.body, source, previous, when)
        recorded = await self._db(market_db.record_snapshot, source, when, fetched.last_modified, self._now(),
                                  snapshot, sales)
        return RefreshOutcome(
            source, RefreshStatus.UNCHANGED if recorded.stale else RefreshStatus.UPDATED, when, recorded.auctions,
            recorded.items, recorded.sold_units,
        )

    async def _fetch(self, source: Source, flavor: Flavor, since: str | None) -> Fetched:
        c = self._client
        if source.kind is SourceKind.COMMODITIES:
            return await c.commodities(source.region, since)
        assert source.connected_realm_id is not None
        if source.kind is SourceKind.REALM:
            return await c.realm_auctions(source.region, source.connected_realm_id, since)
        assert source.house_id is not None
        return await c.classic_auctions(source.region, source.connected_realm_id, source.house_id, flavor, since)


def source_label(source: Source, names: dict[int, str]) -> str:
    """A source as a player knows it: "Kil'jaeden", "Silver Hand (Horde)", "the us commodities"."""
    if source.kind is SourceKind.COMMODITIES:
        return f"the {source.region} commodities"
    number = source.connected_realm_id
    name = names.get(number, f"realm {number}") if number is not None else "a realm"
    if source.house_id is None:
        return name
    return f"{name} ({HOUSE_NAMES.get(source.house_id, f'house {source.house_id}')})"


def _ingest_and_estimate(body: bytes, source: Source, previous: market_db.IndexAt | None, at: datetime
                         ) -> tuple[Snapshot, SalesEstimate | None]:
    """CPU work, off the event loop: the snapshot's statistics and the sales since the previous one (none across
    a gap over ``MAX_SNAPSHOT_GAP_HOURS`` or for a snapshot no newer than the baseline: ``sales_since``)."""
    kind = as_kind(source.kind)
    snapshot = ingest_snapshot(body, kind)
    sales = sales_since(previous.index if previous else None, previous.at if previous else None, snapshot.index,
                        at, kind)
    return snapshot, sales


def _parse_time(header: str | None) -> datetime | None:
    return Fetched(True, b"", header).last_modified_at

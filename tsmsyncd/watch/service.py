"""The watchlist in the daemon (DESIGN "Watchlist"): the tracked items (REST and WebSocket messages), the
events that tell the page what happens, the checks (asked of the watch worker, whose rows arrive one by one)
and the alerts.

    watch.add / POST        validate all (nothing stored on an error), merge repeats, store → watch.rows,
                            then a check of what was added
    watch.update_item / PATCH, watch.delete / DELETE → watch.rows
    watch.check / POST .../check → one ``watch.update`` "checking" per (item, realm), then one terminal
                            ``watch.update`` each (available, none or error) as the worker answers

A refresh that stored a new snapshot of a watched realm checks the watchlist again by itself, so alerts
come without the page open. An alert fires once per (item, realm) when a listing that meets the specs gets
to the price (one event, one history entry; the tray notifies), and re-arms when none is there any more.
Items on the region's commodity market alert once for the region, not once per realm.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tsmsyncd.config import Settings
from tsmsyncd.db import history as history_db
from tsmsyncd.db import items as items_db
from tsmsyncd.db import watchlist as watch_db
from tsmsyncd.errors import FieldError, NotFoundError, TsmSyncError
from tsmsyncd.events import EventBus, EventType
from tsmsyncd.market.watchitem import MAX_ITEMS, WatchItem, merge, parse_changes, parse_items
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.sync.runner import QueryWorker
from tsmsyncd.tsm.money import format_money

__all__ = ["WatchService"]

log = logging.getLogger(__name__)


class WatchService:
    def __init__(self, db: DbWriter, worker: QueryWorker, bus: EventBus, settings: Callable[[], Settings], *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._db, self._worker, self._bus, self._settings, self._now = db, worker, bus, settings, now
        self._tasks: set[asyncio.Task[Any]] = set()
        self.last_check: dict[str, Any] | None = None  # the worker's counts of the newest check

    # -- the list ------------------------------------------------------------------------------------------

    async def items(self) -> list[WatchItem]:
        return await self._db(watch_db.items)

    async def rows(self) -> dict[str, Any]:
        """The tracked list, each item with its ``name`` and ``quality`` when the daemon knows them (the page
        shows names, not only ids)."""
        items = await self.items()
        known = await self._db(items_db.item_info, [i.number for i in items if not i.is_pet])
        shown = []
        for item in items:
            info = None if item.is_pet else known.get(item.number)
            shown.append({**item.as_json(), "name": info.name if info else None,
                          "quality": info.quality if info else None})
        return {"items": shown}

    async def add(self, body: Mapping[str, Any]) -> tuple[list[WatchItem], bool]:
        """Track the item(s) of ``body``; returns them as stored and whether every one was new."""
        parsed = parse_items(body, self._settings().realms)
        known = {(i.item, i.list): i for i in await self.items()}
        batch: dict[tuple[str, str], WatchItem] = {}
        for item in parsed:
            key = (item.item, item.list)
            earlier = batch.get(key) or known.get(key)
            batch[key] = merge(earlier, item) if earlier is not None else item
        new = [k for k in batch if k not in known]
        if len(known) + len(new) > MAX_ITEMS:
            raise FieldError("items", f"at most {MAX_ITEMS:,} items can be tracked ({len(known):,} are, "
                                      f"{len(new):,} more asked for)")
        stored = await self._db(watch_db.save, list(batch.values()), self._now())
        await self._changed()
        self.check_soon([s.id for s in stored if s.id is not None])
        return stored, len(new) == len(batch)

    async def update(self, item_id: object, changes: Mapping[str, Any]) -> WatchItem:
        current = await self._get(item_id)
        changed = parse_changes(current, changes)
        (stored,) = await self._db(watch_db.save, [changed], self._now())
        await self._changed()
        self.check_soon([current.id] if current.id is not None else None)
        return stored

    async def delete(self, item_id: object) -> None:
        current = await self._get(item_id)
        await self._db(watch_db.delete, current.id)
        await self._changed()

    async def _get(self, item_id: object) -> WatchItem:
        if type(item_id) is not int:
            raise FieldError("id", "must be the whole-number id of a tracked item")
        found = await self._db(watch_db.get, item_id)
        if found is None:
            raise NotFoundError(f"nothing tracked has the id {item_id}")
        return found

    async def _changed(self) -> None:
        self._bus.publish(EventType.WATCH_ROWS, await self.rows())

    async def realms(self) -> set[int]:
        return {r for i in await self.items() for r in i.realms}

    # -- checks ------------------------------------------------------------------------------------------

    def check_soon(self, ids: Sequence[int] | None = None) -> None:
        """Check all (``None``) or these items in the background; the rows arrive as events."""
        task = asyncio.get_running_loop().create_task(self._guarded(ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, ids: Sequence[int] | None) -> None:
        try:
            await self.check(ids)
        except TsmSyncError as exc:
            log.warning("a watchlist check failed: %s", exc)
        except Exception:  # a background task must never end with an unhandled error
            log.exception("a watchlist check failed")

    async def check(self, ids: Sequence[int] | None = None) -> dict[str, Any]:
        items = [i for i in await self.items() if ids is None or i.id in ids]
        if not items:
            return {"counts": {}}
        published = 0
        for item in items:
            for realm in item.realms:
                self._bus.publish(EventType.WATCH_UPDATE, {"id": item.id, "item": item.item, "realm": realm,
                                                           "status": "checking", "listings": [], "cheapest": None,
                                                           "covered": False, "reason": None, "fresh_until": None})
                published += 1
                if published % 64 == 0:
                    await asyncio.sleep(0)  # let the sockets send what is queued: a burst must not drop them
        by_id = {i.id: i for i in items}
        rows: list[dict[str, Any]] = []

        def arrived(data: dict[str, Any]) -> None:
            row = data.get("watch")
            if isinstance(row, dict):
                rows.append(row)
                self._bus.publish(EventType.WATCH_UPDATE, row)

        payload = {"region": self._settings().region, "items": [i.as_json() for i in items]}
        try:
            result = await self._worker.ask("watch.check", payload, progress=arrived)
        except TsmSyncError as exc:
            self._fail_unanswered(items, rows, str(exc))
            raise
        for row in rows:
            await self._alert(by_id.get(row.get("id")), row)
        self.last_check = {"at": self._now().isoformat(timespec="seconds"), **result}
        return result

    def _fail_unanswered(self, items: Sequence[WatchItem], rows: Sequence[Mapping[str, Any]], why: str) -> None:
        """The worker failed: every row still "checking" says why, so none is left spinning."""
        done = {(r.get("id"), r.get("realm")) for r in rows}
        for item in items:
            for realm in item.realms:
                if (item.id, realm) not in done:
                    self._bus.publish(EventType.WATCH_UPDATE, {
                        "id": item.id, "item": item.item, "realm": realm, "status": "error", "listings": [],
                        "cheapest": None, "covered": False, "reason": why, "fresh_until": None})

    async def _alert(self, item: WatchItem | None, row: Mapping[str, Any]) -> None:
        if item is None or item.id is None or row.get("status") not in ("available", "none"):
            return
        realm = 0 if row.get("market") == "commodities" else int(row["realm"])
        if row["status"] == "none":
            await self._db(watch_db.arm, item.id, realm)
            return
        if not await self._db(watch_db.disarm, item.id, realm, self._now()):
            return
        where = "the region's commodity market" if realm == 0 else f"realm {realm}"
        message = (f"{item.item} is up for {format_money(int(row['cheapest']))} on {where} "
                   f"(your price {format_money(item.max_price)})")
        data = {"id": item.id, "item": item.item, "realm": realm, "cheapest": row["cheapest"],
                "max_price": item.max_price, "covered": row.get("covered"), "listings": row.get("listings", [])[:3]}
        await self._db(history_db.record, history_db.Kind.WATCH_ALERT, message, self._now(), None, data)
        self._bus.publish(EventType.WATCH_ALERT, {**data, "message": message})

    # -- the daemon's side ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Follow the event bus: a refresh that brought a watched realm's new snapshot checks the list again."""
        task = asyncio.get_running_loop().create_task(self._follow())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow(self) -> None:
        sub = self._bus.subscribe()
        try:
            while (event := await sub.get()) is not None:
                if event.type in (EventType.REFRESH_FINISHED, EventType.REFRESH_FAILED) and _brought_new(event.data):
                    watched = await self.realms()
                    if watched and _touches(event.data, watched):
                        self.check_soon()
        finally:
            sub.close()

    async def on_message(self, kind: str, data: Mapping[str, Any]) -> None:
        """The WebSocket's messages (the same as the REST routes; results arrive as events)."""
        if kind == "watch.add":
            await self.add(data)
        elif kind == "watch.update_item":
            await self.update(data.get("id"), {k: v for k, v in data.items() if k != "id"})
        elif kind == "watch.delete":
            await self.delete(data.get("id"))
        elif kind == "watch.check":
            ids = [await self._get(data["id"])] if "id" in data else None
            self.check_soon([i.id for i in ids if i.id is not None] if ids else None)
        else:
            raise FieldError("type", f"{kind!r} is not a message (watch.add, watch.update_item, watch.delete, "
                                     "watch.check)")

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _brought_new(data: Mapping[str, Any]) -> bool:
    return any(s.get("status") == "updated" for s in data.get("sources", []))


def _touches(data: Mapping[str, Any], watched: set[int]) -> bool:
    keys = {str(s.get("source")) for s in data.get("sources", []) if s.get("status") == "updated"}
    realms = {f"/realm/{r}" for r in watched}
    return any(k.endswith("/commodities") or any(k.endswith(r) for r in realms) for k in keys)

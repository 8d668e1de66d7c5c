"""Market data: ``GET /market-data/{realm_id}`` (a realm's items with their prices and estimated sales: ``q``
finds by name or id, ``sort`` by a column, ``limit``/``offset`` a page), ``.../raw`` (one item's stored hourly
rows, newest first, ``before`` pages back), ``GET /items`` (items by name or id) and ``GET /items/{item}/history``
(an item's 48 hours and 60 days on a realm, with its metrics now).

The metrics are ``db/market.py``'s, the numbers ``tsmsyncd market show/list`` print, and need pandas: the query
worker answers them (``sync/queries.py`` ``market.*``). Finding items is a plain lookup the daemon makes itself.
Money is integer copper everywhere.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd.db import markethistory
from tsmsyncd.errors import FieldError
from tsmsyncd.http import params
from tsmsyncd.http.errors import json_response
from tsmsyncd.http.views.context import context
from tsmsyncd.market.browse import SORTS, item_string

__all__ = ["HISTORY_SCHEMA", "ITEMS_SCHEMA", "MARKET_SCHEMA", "RAW_SCHEMA", "get_item_history", "get_items",
           "get_market_data", "get_market_raw"]

_MONEY: dict[str, Any] = {"type": ["integer", "null"], "minimum": 0}
_ITEM: dict[str, Any] = {"type": "string", "pattern": "^[ip]:[1-9][0-9]*$"}
_TIME: dict[str, Any] = {"type": ["string", "null"]}
SALES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "sold", "window_hours", "window_end", "per_day", "extrapolated", "range", "confidence",
                 "caveats"],
    "properties": {"kind": {"enum": ["realm", "commodities", "house"]}, "sold": {"type": ["integer", "null"]},
                   "window_hours": {"type": "number"}, "window_end": _TIME, "per_day": {"type": ["number", "null"]},
                   "extrapolated": {"type": "boolean"},
                   "range": {"oneOf": [{"type": "null"}, {"type": "array", "items": {"type": "number"},
                                                          "minItems": 2, "maxItems": 2}]},
                   "confidence": {"enum": ["high", "medium", "low", "none"]},
                   "caveats": {"type": "array", "items": {"type": "string"}}},
}
ITEM_MARKET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["item", "name", "quality", "item_class", "source", "min_buyout", "market_value",
                 "market_value_14d", "quantity", "auctions", "sales"],
    "properties": {"item": _ITEM, "name": {"type": ["string", "null"]}, "quality": {"type": ["string", "null"]},
                   "item_class": {"type": ["integer", "null"]}, "item_subclass": {"type": ["integer", "null"]},
                   "source": {"type": "string"}, "snapshot_time": {"type": "string"},
                   "listed_now": {"type": "boolean"}, "min_buyout": _MONEY, "market_value": _MONEY,
                   "market_value_14d": _MONEY, "quantity": {"type": "integer"}, "auctions": {"type": "integer"},
                   "first_seen": {"type": "string"}, "snapshots": {"type": "integer"}, "sales": SALES_SCHEMA},
}
MARKET_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["realm", "status", "total", "offset", "limit", "items"],
    "properties": {"realm": {"type": "string"},
                   "status": {"type": "object", "required": ["listed", "realm_snapshot", "commodities_snapshot"],
                              "properties": {"listed": {"type": ["boolean", "null"]}, "realm_snapshot": _TIME,
                                             "commodities_snapshot": _TIME, "message": {"type": ["string", "null"]}}},
                   "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
                   "items": {"type": "array", "items": ITEM_MARKET_SCHEMA}},
}
_HOUR: dict[str, Any] = {
    "type": "object", "required": ["at", "min_buyout", "market_value", "quantity", "auctions", "sold"],
    "properties": {"at": {"type": "string"}, "item": _ITEM, "source": {"type": "string"}, "min_buyout": _MONEY,
                   "market_value": _MONEY, "quantity": {"type": "integer"}, "auctions": {"type": "integer"},
                   "sold": {"type": ["integer", "null"]}},
}
RAW_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["rows", "next_before"],
    "properties": {"realm": {"type": "string"}, "item": _ITEM, "next_before": _TIME,
                   "rows": {"type": "array", "items": {**_HOUR, "required": [*_HOUR["required"], "item", "source"]}}},
}
HISTORY_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["item", "name", "hourly", "daily", "market", "value_14d"],
    "properties": {"item": _ITEM, "name": {"type": ["string", "null"]}, "realm": {"type": "string"},
                   "source": {"type": ["string", "null"]}, "hourly": {"type": "array", "items": _HOUR},
                   "daily": {"type": "array", "items": {
                       "type": "object", "required": ["day", "market_value", "min_buyout", "quantity", "sold"],
                       "properties": {"day": {"type": "string"}, "market_value": _MONEY, "min_buyout": _MONEY,
                                      "quantity": {"type": "integer"}, "sold": {"type": ["integer", "null"]},
                                      "scans": {"type": "integer"}}}},
                   "market": {"oneOf": [{"type": "null"}, ITEM_MARKET_SCHEMA]}, "value_14d": _MONEY},
}
ITEMS_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["items"],
    "properties": {"items": {"type": "array", "items": {
        "type": "object", "required": ["item", "name", "quality", "item_class"],
        "properties": {"item": _ITEM, "name": {"type": ["string", "null"]}, "quality": {"type": ["string", "null"]},
                       "item_class": {"type": ["integer", "null"]}}}}},
}


async def get_market_data(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    payload = {"realm": str(params.realm(request, ctx.services.settings)),
               "q": params.text(request, "q", max_length=100),
               "sort": params.choice(request, "sort", SORTS, "-sold_per_day"),
               "limit": params.integer(request, "limit", 100, low=1, high=1000),
               "offset": params.integer(request, "offset", 0, low=0)}
    return json_response(await ctx.services.queries.ask("market.list", payload, timeout=120))


async def get_market_raw(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    realm = params.realm(request, ctx.services.settings)
    item = params.item(request)
    if item is None:
        raise FieldError("item", "is needed: the item whose rows to show, such as i:2447")
    payload = {"realm": str(realm), "item": item, "limit": params.integer(request, "limit", 200, low=1, high=2000),
               "before": params.moment(request, "before")}
    return json_response(await ctx.services.queries.ask("market.raw", payload))


async def get_item_history(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    item = params.item(request)
    assert item is not None  # a path part is never empty
    payload = {"realm": str(params.realm(request, ctx.services.settings, "realm")), "item": item}
    return json_response(await ctx.services.queries.ask("market.history", payload))


async def get_items(request: web.Request) -> web.StreamResponse:
    """Items by name (any part of it) or id, best first; an id seen on the market but not named yet is found too."""
    ctx = context(request)
    words = (params.text(request, "q", max_length=100) or "").strip()
    if not words:
        raise FieldError("q", "is needed: part of an item's name, or its id (2447, i:2447)")
    limit = params.integer(request, "limit", 20, low=1, high=100)
    assert limit is not None
    try:
        key: str | None = item_string(words)
    except ValueError:
        key = None
    number = int(key[2:]) if key and key.startswith("i:") else None
    found = await ctx.services.db(markethistory.find_items, words, limit, number)
    items = [{"item": f"i:{i.item_id}", "name": i.name or None, "quality": i.quality, "item_class": i.item_class}
             for i in found]
    if key and all(i["item"] != key for i in items) and await ctx.services.db(markethistory.seen, key):
        items.insert(0, {"item": key, "name": None, "quality": None, "item_class": None})
    return json_response({"items": items[:limit]})

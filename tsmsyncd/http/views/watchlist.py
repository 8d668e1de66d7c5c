"""The watchlist over REST (DESIGN "Watchlist"; the WebSocket takes the same as messages): ``GET|POST
/watchlist``, ``PATCH|DELETE /watchlist/{id}``, ``POST /watchlist/check`` (202: the rows arrive as
``watch.update`` events)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd.http import params
from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import context

__all__ = ["ENTRY_SCHEMA", "LIST_SCHEMA", "delete_item", "get_watchlist", "patch_item", "post_check",
           "post_watchlist"]

ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "item", "amount", "max_price", "realms", "specs", "list"],
    "properties": {"id": {"type": "integer"}, "item": {"type": "string", "pattern": "^[ip]:[1-9][0-9]*$"},
                   "amount": {"type": "integer", "minimum": 1}, "max_price": {"type": "integer", "minimum": 1},
                   "max_price_text": {"type": "string"}, "realms": {"type": "array", "items": {"type": "integer"}},
                   "specs": {"type": "object"}, "list": {"type": "string"},
                   "name": {"type": ["string", "null"]}, "quality": {"type": ["string", "null"]}},
}
LIST_SCHEMA: dict[str, Any] = {"type": "object", "required": ["items"],
                               "properties": {"items": {"type": "array", "items": ENTRY_SCHEMA}}}
ADDED_SCHEMA: dict[str, Any] = {"oneOf": [ENTRY_SCHEMA, LIST_SCHEMA]}
ITEM_REQUEST: dict[str, Any] = {
    "type": "object",
    "properties": {"item": {"type": "string"}, "amount": {"type": "integer"},
                   "max_price": {"type": ["string", "integer"]}, "realms": {"type": "array"},
                   "specs": {"type": "object"}, "list": {"type": "string"}, "items": {"type": "array"}},
}
CHECK_REQUEST: dict[str, Any] = {"type": "object", "properties": {"id": {"type": "integer"}}}


def _id(request: web.Request) -> int:
    number = params.integer(request, "id", low=1, value=request.match_info["id"])
    assert number is not None
    return number


async def get_watchlist(request: web.Request) -> web.StreamResponse:
    return json_response(await context(request).services.watchlist.rows())


async def post_watchlist(request: web.Request) -> web.StreamResponse:
    """One item → that entry (201 new, 200 merged into one already tracked); ``{"items": [...]}`` → all."""
    body = await read_json(request)
    stored, all_new = await context(request).services.watchlist.add(body)
    shown: dict[str, Any] = {"items": [s.as_json() for s in stored]} if "items" in body else stored[0].as_json()
    return json_response(shown, status=201 if all_new else 200)


async def patch_item(request: web.Request) -> web.StreamResponse:
    changed = await context(request).services.watchlist.update(_id(request), await read_json(request))
    return json_response(changed.as_json())


async def delete_item(request: web.Request) -> web.StreamResponse:
    number = _id(request)
    await context(request).services.watchlist.delete(number)
    return json_response({"removed": number})


async def post_check(request: web.Request) -> web.StreamResponse:
    service = context(request).services.watchlist
    body = await read_json(request) if request.body_exists and request.content_length != 0 else {}
    await service.on_message("watch.check", body)
    return json_response({"accepted": True}, status=202)

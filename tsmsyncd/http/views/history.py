"""``GET /history``: what happened, newest first, a page at a time (``before`` is the last id seen)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd.db import history as history_db
from tsmsyncd.errors import FieldError
from tsmsyncd.http import params
from tsmsyncd.http.errors import json_response
from tsmsyncd.http.views.context import context

__all__ = ["HISTORY_SCHEMA", "get_history"]

HISTORY_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["entries", "next_before"],
    "properties": {"next_before": {"type": ["integer", "null"]}, "entries": {"type": "array", "items": {
        "type": "object", "required": ["id", "at", "kind", "message"],
        "properties": {"id": {"type": "integer"}, "at": {"type": "string"},
                       "kind": {"enum": [str(k) for k in history_db.Kind]}, "target_id": {"type": ["string", "null"]},
                       "message": {"type": "string"}, "data": {"type": "object"}}}}},
}


async def get_history(request: web.Request) -> web.StreamResponse:
    limit = params.integer(request, "limit", 50, low=1, high=500)
    before = params.integer(request, "before", low=1)
    target = params.text(request, "target")
    kind_text = params.text(request, "kind")
    try:
        kind = history_db.Kind(kind_text) if kind_text else None
    except ValueError as exc:
        raise FieldError("kind", f"must be one of: {', '.join(str(k) for k in history_db.Kind)}") from exc
    assert limit is not None
    entries = await context(request).services.db(history_db.entries, limit + 1, before, target, kind)
    more = len(entries) > limit
    shown = entries[:limit]
    return json_response({"entries": [e.as_json() for e in shown],
                          "next_before": shown[-1].id if more and shown else None})

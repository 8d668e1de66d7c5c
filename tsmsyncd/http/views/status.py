"""``GET /api/v1/status``, ``POST /api/v1/refresh`` and ``POST /api/v1/pause``: the daemon as a whole."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd import __version__
from tsmsyncd.errors import FieldError
from tsmsyncd.events import EventType
from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import ApiContext, context

__all__ = ["PAUSE_SCHEMA", "REFRESH_SCHEMA", "SCHEMA", "get_status", "post_pause", "post_refresh", "status_payload"]

SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["state", "version", "paused", "targets", "pending", "setup"],
    "properties": {"state": {"enum": ["idle", "refreshing", "pending", "error", "paused"]},
                   "version": {"type": "string"}, "paused": {"type": "boolean"},
                   "targets": {"type": "object", "additionalProperties": {"type": "integer"}},
                   "pending": {"type": "integer"}, "next_refresh": {"type": ["string", "null"]},
                   "last_refresh": {"type": ["object", "null"]}, "last_error": {"type": ["string", "null"]},
                   "jobs_running": {"type": "integer"}, "pid": {"type": "integer"}, "cycles": {"type": "integer"},
                   "setup": {"type": "object", "required": ["credentials", "realm_index", "targets", "merging"],
                             "properties": {"credentials": {"type": "boolean"}, "realm_index": {"type": "boolean"},
                                            "targets": {"type": "integer"}, "merging": {"type": "integer"}}}},
}
REFRESH_SCHEMA: dict[str, Any] = {"type": "object", "required": ["accepted"],
                                  "properties": {"accepted": {"type": "boolean"}}}
PAUSE_SCHEMA: dict[str, Any] = {"type": "object", "required": ["paused"], "additionalProperties": False,
                                "properties": {"paused": {"type": "boolean"}}}


async def status_payload(ctx: ApiContext) -> dict[str, Any]:
    state = await ctx.services.engine.status()
    when = ctx.schedule.next_refresh_at
    return {**state, "version": __version__, "next_refresh": when.isoformat(timespec="seconds") if when else None}


async def get_status(request: web.Request) -> web.StreamResponse:
    return json_response(await status_payload(context(request)))


async def post_refresh(request: web.Request) -> web.StreamResponse:
    await context(request).schedule.refresh_now()
    return json_response({"accepted": True}, status=202)


async def post_pause(request: web.Request) -> web.StreamResponse:
    """Pause (no apply starts; refreshes and plans go on, so the page stays true) or resume."""
    ctx = context(request)
    body = await read_json(request)
    paused = body.get("paused")
    if set(body) - {"paused"}:
        raise FieldError(sorted(set(body) - {"paused"})[0], "is not a field here (send {\"paused\": true|false})")
    if not isinstance(paused, bool):
        raise FieldError("paused", "must be true or false")
    ctx.services.engine.pause(paused)
    payload = await status_payload(ctx)
    ctx.services.bus.publish(EventType.STATUS, payload)
    if not paused:
        ctx.services.engine.kick()  # what waited while paused is applied now
    return json_response(payload)

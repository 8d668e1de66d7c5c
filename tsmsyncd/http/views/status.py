"""``GET /api/v1/status`` and ``POST /api/v1/refresh``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd import __version__
from tsmsyncd.http.errors import json_response
from tsmsyncd.http.views.context import ApiContext, context

__all__ = ["REFRESH_SCHEMA", "SCHEMA", "get_status", "post_refresh", "status_payload"]

SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["state", "version", "paused", "targets", "pending"],
    "properties": {"state": {"enum": ["idle", "refreshing", "pending", "error", "paused"]},
                   "version": {"type": "string"}, "paused": {"type": "boolean"},
                   "targets": {"type": "object", "additionalProperties": {"type": "integer"}},
                   "pending": {"type": "integer"}, "next_refresh": {"type": ["string", "null"]},
                   "last_refresh": {"type": ["object", "null"]}, "last_error": {"type": ["string", "null"]},
                   "jobs_running": {"type": "integer"}, "pid": {"type": "integer"}},
}
REFRESH_SCHEMA: dict[str, Any] = {"type": "object", "required": ["accepted"],
                                  "properties": {"accepted": {"type": "boolean"}}}


async def status_payload(ctx: ApiContext) -> dict[str, Any]:
    state = await ctx.services.engine.status()
    when = ctx.schedule.next_refresh_at
    return {**state, "version": __version__, "next_refresh": when.isoformat(timespec="seconds") if when else None}


async def get_status(request: web.Request) -> web.StreamResponse:
    return json_response(await status_payload(context(request)))


async def post_refresh(request: web.Request) -> web.StreamResponse:
    await context(request).schedule.refresh_now()
    return json_response({"accepted": True}, status=202)

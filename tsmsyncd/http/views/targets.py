"""``GET /api/v1/targets`` and ``PATCH /api/v1/targets/{id}``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import context

__all__ = ["PATCH_SCHEMA", "SCHEMA", "list_targets", "patch_target"]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "install", "flavor", "account", "profile", "file", "characters", "realm", "mode", "state"],
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}, "install": {"type": "string"},
        "flavor": {"enum": ["retail", "classic", "classic-era"]}, "account": {"type": "string"},
        "profile": {"type": "string"}, "file": {"type": "string"},
        "characters": {"type": "array", "items": {"type": "string"}},
        "realm": {"type": ["object", "null"]}, "mode": {"enum": ["merge", "string", "off"]},
        "state": {"enum": ["idle", "refreshing", "planned", "pending", "applying", "applied", "error"]},
        "reason": {"type": ["string", "null"]}, "last_apply": {"type": ["object", "null"]},
        "pending": {"type": "object"},
    },
}
PATCH_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {"mode": {"enum": ["merge", "string", "off"]},
                   "realm": {"type": ["integer", "null"], "minimum": 1}, "adopt_root": {"type": "boolean"}},
}


async def list_targets(request: web.Request) -> web.StreamResponse:
    return json_response(await context(request).services.engine.targets_json())


async def patch_target(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    body = await read_json(request)
    target = await ctx.services.targets.change(request.match_info["id"], body)
    if "realm" in body and body["realm"] is None:
        await ctx.services.targets.discover()  # infer it again now
    ctx.services.engine.kick()  # merging turned on (or off): act on it now, not at the next tick
    shown = {t["id"]: t for t in await ctx.services.engine.targets_json()}
    return json_response(shown.get(target.id, target.as_json()))

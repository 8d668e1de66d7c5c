"""``GET /api/v1/update`` (is there a newer signed release, and how it would be installed),
``POST /api/v1/update/check`` (check now) and ``POST /api/v1/update/apply`` (install it: the one-folder app
downloads, checks and unpacks it for the next start; a pip install is answered with the pip command).

A refused check is a result, not a failed request: ``check`` answers 200 with ``state: "failed"`` and the
``error`` (its ``reason`` code and one-line message), as ``GET`` does afterwards. ``apply`` fails with the
envelope: 502 ``update_refused`` (the release server's answer was refused: signature, downgrade, size,
sha256, archive...), 409 ``busy`` (a merge or restore runs), 400 (nothing to install, or this copy was not
installed for updates).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd.errors import UpdateError
from tsmsyncd.http.errors import json_response
from tsmsyncd.http.views.context import context

__all__ = ["APPLY_SCHEMA", "SCHEMA", "get_update", "post_apply", "post_check"]

_TEXT_OR_NULL = {"type": ["string", "null"]}
OFFER_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["version", "current", "channel", "date", "notes", "apply"],
    "properties": {"version": {"type": "string"}, "current": {"type": "string"}, "channel": {"type": "string"},
                   "date": {"type": "string"}, "notes": {"type": "string"},
                   "apply": {"type": "object", "required": ["kind"],
                             "properties": {"kind": {"enum": ["bundle", "pip", "download"]},
                                            "size": {"type": "integer"}, "command": {"type": "string"},
                                            "url": _TEXT_OR_NULL}}},
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["current", "install", "channel", "url", "automatic", "state", "message", "available",
                 "checked_at", "next_check", "error", "staged", "rollback"],
    "properties": {
        "current": {"type": "string"}, "install": {"enum": ["bundle", "frozen", "pip"]},
        "channel": {"enum": ["stable", "beta"]}, "url": {"type": "string"}, "automatic": {"type": "boolean"},
        "state": {"enum": ["unknown", "available", "up_to_date", "skipped", "no_build", "failed", "staged"]},
        "message": {"type": "string"}, "available": {"oneOf": [OFFER_SCHEMA, {"type": "null"}]},
        "checked_at": _TEXT_OR_NULL, "next_check": _TEXT_OR_NULL,
        "error": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["reason", "message"],
                                               "properties": {"reason": {"type": "string"},
                                                              "message": {"type": "string"}}}]},
        "staged": _TEXT_OR_NULL, "rollback": _TEXT_OR_NULL,
    },
}
APPLY_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["status", "version", "message"],
    "properties": {"status": {"enum": ["installed", "manual"]}, "version": {"type": "string"},
                   "message": {"type": "string"}, "command": {"type": "string"},
                   "previous": _TEXT_OR_NULL, "restart": {"type": "boolean"}},
}


async def get_update(request: web.Request) -> web.StreamResponse:
    return json_response(context(request).services.updates.status())


async def post_check(request: web.Request) -> web.StreamResponse:
    updates = context(request).services.updates
    try:
        return json_response(await updates.check())
    except UpdateError:
        return json_response(updates.status())  # the refusal is in it (state "failed", error)


async def post_apply(request: web.Request) -> web.StreamResponse:
    return json_response(await context(request).services.updates.apply())

"""``GET|PUT /api/v1/autostart``: whether tsmsyncd starts (minimized, in the tray) when the player logs in,
as the first-run setup and the settings page ask it. The work is ``tsmsyncd/autostart/`` (the same as
``tsmsyncd autostart on|off|status``); off until the player turns it on. Answering the question either
way records ``autostart_asked`` in the settings, so the setup does not ask again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from aiohttp import web

from tsmsyncd.config import save_settings
from tsmsyncd.errors import FieldError
from tsmsyncd.events import EventType
from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import ApiContext, context

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tsmsyncd.autostart import Autostart, AutostartStatus

__all__ = ["PUT_SCHEMA", "SCHEMA", "get_autostart", "put_autostart"]

SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["enabled", "method", "detail", "location", "command", "asked"],
    "properties": {"enabled": {"type": "boolean"},
                   "method": {"enum": ["xdg-autostart", "systemd-user", "launch-agent", "windows-run"]},
                   "detail": {"type": "string"}, "location": {"type": "string"},
                   "command": {"type": "array", "items": {"type": "string"}},
                   "notes": {"type": "array", "items": {"type": "string"}}, "asked": {"type": "boolean"}},
}
PUT_SCHEMA: dict[str, Any] = {"type": "object", "required": ["enabled"], "additionalProperties": False,
                              "properties": {"enabled": {"type": "boolean"}}}


def _autostart(ctx: ApiContext) -> Autostart:
    """This machine's autostart for the daemon's own environment (HOME and XDG_CONFIG_HOME from it)."""
    from tsmsyncd.autostart import for_platform

    environ = ctx.services.environ
    return for_platform(environ=environ, home=Path(environ["HOME"]) if environ.get("HOME") else None)


def _payload(ctx: ApiContext, status: AutostartStatus, notes: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"enabled": status.enabled, "method": status.mechanism, "detail": status.detail,
            "location": status.location, "command": list(status.command), "notes": list(notes),
            "asked": ctx.services.settings.autostart_asked}


async def get_autostart(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    status = await asyncio.to_thread(lambda: _autostart(ctx).status())
    return json_response(_payload(ctx, status))


async def put_autostart(request: web.Request) -> web.StreamResponse:
    """``{"enabled": true}`` writes the entry (``run --minimized``), ``false`` removes ours; the answer is
    what is really there afterwards (``enabled`` stays false, with ``detail``, if it could not be turned on)."""
    ctx = context(request)
    body = await read_json(request)
    unknown = sorted(set(body) - {"enabled"})
    if unknown:
        raise FieldError(unknown[0], 'is not a field here (send {"enabled": true|false})')
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        raise FieldError("enabled", "must be true or false")
    autostart = _autostart(ctx)
    change = await asyncio.to_thread(autostart.on if enabled else autostart.off)  # InputError → 400
    if not ctx.services.settings.autostart_asked:
        new = dataclasses.replace(ctx.services.settings, autostart_asked=True)
        save_settings(new, {"TSMSYNCD_HOME": str(ctx.services.home)})
        await ctx.services.replace_settings(new)
        ctx.services.bus.publish(EventType.SETTINGS_CHANGED, new.public())
    return json_response(_payload(ctx, change.status, change.notes))

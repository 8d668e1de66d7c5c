"""First-run setup and settings: ``GET /installs`` (what discovery found, and why), ``POST /auth/token``
(Blizzard credentials checked live, then saved), ``GET|PATCH /settings`` (the secret is only ever "(set)")."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from aiohttp import web

from tsmsyncd.config import Settings, save_settings
from tsmsyncd.errors import FieldError
from tsmsyncd.events import EventType
from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import ApiContext, context

__all__ = ["AUTH_SCHEMA", "INSTALLS_SCHEMA", "SETTINGS_SCHEMA", "get_installs", "get_settings", "patch_settings",
           "post_auth_token"]

INSTALLS_SCHEMA: dict[str, Any] = {"type": "object", "required": ["installs", "rejected"],
                                   "properties": {"installs": {"type": "array"}, "rejected": {"type": "array"}}}
AUTH_REQUEST: dict[str, Any] = {
    "type": "object", "required": ["client_id", "client_secret"], "additionalProperties": False,
    "properties": {"client_id": {"type": "string"}, "client_secret": {"type": "string"},
                   "region": {"enum": ["us", "eu", "kr", "tw"]}},
}
AUTH_SCHEMA: dict[str, Any] = {"type": "object", "required": ["ok", "region", "expires_in"],
                               "properties": {"ok": {"const": True}, "region": {"type": "string"},
                                              "expires_in": {"type": "integer"}}}
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["region", "flavor", "realms", "wow_roots", "client_id", "client_secret"],
    "properties": {"region": {"type": "string"}, "flavor": {"enum": ["retail", "classic", "classic-era"]},
                   "realms": {"type": "array", "items": {"type": "integer"}},
                   "wow_roots": {"type": "array", "items": {"type": "string"}},
                   "client_id": {"type": "string"}, "client_secret": {"enum": ["", "(set)"]},
                   "api_url": {"type": "string"}, "oauth_url": {"type": "string"},
                   "quiet_seconds": {"type": "number"}, "watch_seconds": {"type": "number"},
                   **{f"notify_{kind}": {"type": "boolean"} for kind in ("applied", "failed", "refresh", "watch")},
                   "update_check": {"type": ["boolean", "null"]}, "update_channel": {"enum": ["stable", "beta"]},
                   "update_url": {"type": "string"},
                   "group_source": {"type": ["object", "null"]}, "server": {"type": "object"}},
}
SETTINGS_PATCH: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {k: v for k, v in SETTINGS_SCHEMA["properties"].items()
                   if k not in ("client_id", "client_secret", "server")},
}
_LISTS = {"realms", "wow_roots"}
_CREDENTIALS = {"client_id", "client_secret"}


async def get_installs(request: web.Request) -> web.StreamResponse:
    from tsmsyncd.sync.targets import installs_json, read_installs
    from tsmsyncd.wow.installs import DiscoveryEnv

    ctx = context(request)
    env = DiscoveryEnv.current(ctx.services.settings.wow_roots, ctx.services.environ)
    discovery, profiles = await asyncio.to_thread(read_installs, env)
    return json_response(installs_json(discovery, profiles))


async def post_auth_token(request: web.Request) -> web.StreamResponse:
    from tsmsyncd.blizzard.client import BlizzardClient, Credentials

    ctx = context(request)
    body = await read_json(request)
    _only(body, set(AUTH_REQUEST["properties"]))
    for name in ("client_id", "client_secret"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            raise FieldError(name, "is required (from develop.battle.net → API access → your client)")
    current = ctx.services.settings
    new = _changed(current, {"client_id": body["client_id"].strip(), "client_secret": body["client_secret"].strip(),
                             "region": body.get("region", current.region)})
    client = BlizzardClient(await ctx.services.session(), Credentials(new.client_id, new.client_secret),
                            api_url=new.api_url, oauth_url=new.oauth_url)
    lifetime = await client.check_credentials()  # CredentialsError → 400 blizzard_credentials
    await _save(ctx, new)
    await ctx.schedule.refresh_now()  # the realm list and the first snapshots, now
    return json_response({"ok": True, "region": new.region, "expires_in": int(lifetime)})


async def get_settings(request: web.Request) -> web.StreamResponse:
    return json_response(context(request).services.settings.public())


async def patch_settings(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    body = await read_json(request)
    for name in sorted(set(body) & _CREDENTIALS):
        raise FieldError(name, "is set through POST /api/v1/auth/token, which checks it with Blizzard first")
    if body.get("group_source") is not None:  # null: take groups from this machine's rules again
        raise FieldError("group_source", 'is set through PATCH /api/v1/targets/{id} {"group_source": '
                                         '{"url": ..., "token": ...}} (or `tsmsyncd targets set ID --server URL`)')
    _only(body, set(SETTINGS_PATCH["properties"]))
    current = ctx.services.settings
    new = _changed(current, body)
    await _save(ctx, new)
    if "quiet_seconds" in body:
        ctx.services.engine.quiet_seconds = new.quiet_seconds
    if "watch_seconds" in body:
        ctx.schedule.set_watch_every(new.watch_seconds)
    if {"region", "flavor", "realms", "wow_roots"} & set(body):
        await ctx.services.targets.discover()
        ctx.services.engine.kick()
    return json_response(new.public())


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise FieldError(unknown[0], f"is not a setting here (settings: {', '.join(sorted(allowed))})")


def _changed(current: Settings, changes: dict[str, Any]) -> Settings:
    """``current`` with ``changes``, validated by ``Settings`` itself (a SettingsError names the field)."""
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in _LISTS:
            if not isinstance(value, list):
                raise FieldError(name, "must be a list")
            value = tuple(value)
        values[name] = value
    return dataclasses.replace(current, **values)


async def save_settings_of(ctx: ApiContext, new: Settings) -> None:
    """Save new settings as every view does (the file, the services, the event)."""
    await _save(ctx, new)


async def _save(ctx: ApiContext, new: Settings) -> None:
    save_settings(new, {"TSMSYNCD_HOME": str(ctx.services.home)})
    await ctx.services.replace_settings(new)
    ctx.services.bus.publish(EventType.SETTINGS_CHANGED, new.public())

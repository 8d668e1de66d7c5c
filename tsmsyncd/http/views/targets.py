"""Targets (one TSM profile in one account's file): list, change, and what the player asks of one:
``GET .../plan`` (what an apply would change now), ``POST .../apply`` (202: started; progress and the result
arrive as events), ``POST .../undo`` (put back the backup taken before the last apply)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import ApiContext, context
from tsmsyncd.wow.targets import Target

__all__ = ["PATCH_SCHEMA", "PLAN_SCHEMA", "SCHEMA", "UNDO_SCHEMA", "get_plan", "list_targets", "patch_target",
           "post_apply", "post_undo"]

REPORT_SCHEMA: dict[str, Any] = {"type": ["object", "null"]}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "install", "flavor", "account", "profile", "file", "characters", "realm", "mode", "state"],
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}, "install": {"type": "string"},
        "flavor": {"enum": ["retail", "classic", "classic-era"]}, "account": {"type": "string"},
        "profile": {"type": "string"}, "file": {"type": "string"},
        "characters": {"type": "array", "items": {"type": "string"}},
        "realm": {"type": ["object", "null"]}, "realm_reason": {"type": ["string", "null"]},
        "mode": {"enum": ["merge", "string", "off"]},
        "state": {"enum": ["idle", "refreshing", "planned", "pending", "applying", "applied", "error"]},
        "reason": {"type": ["string", "null"]}, "last_apply": {"type": ["object", "null"]},
        "adopt_root": {"type": "boolean"}, "present": {"type": "boolean"}, "pending": {"type": "object"},
        "group_source": {"enum": ["local", "remote", None]}, "groups_from": {"type": "string"},
    },
}
SOURCE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["url", "token"], "additionalProperties": False,
    "properties": {"url": {"type": "string"}, "token": {"type": "string"}, "ca_file": {"type": ["string", "null"]},
                   "poll_seconds": {"type": "number"}, "insecure_http": {"type": "boolean"}},
}
PATCH_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {"mode": {"enum": ["merge", "string", "off"]},
                   "realm": {"type": ["integer", "null"], "minimum": 1}, "adopt_root": {"type": "boolean"},
                   "group_source": {"oneOf": [{"enum": ["local", "remote", None]}, SOURCE_SCHEMA]}},
}
PLAN_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["status", "groupset_version"],
    "properties": {"status": {"enum": ["dry-run", "unchanged"]}, "groupset_version": {"type": "integer"},
                   "report": REPORT_SCHEMA, "changed_keys": {"type": "array", "items": {"type": "string"}},
                   "profiles": {"type": "array", "items": {"type": "string"}}},
}
UNDO_SCHEMA: dict[str, Any] = {"type": "object", "required": ["restored", "file"],
                               "properties": {"status": {"type": "string"}, "restored": {"type": "string"},
                                              "file": {"type": "string"},
                                              "backup_before_restore": {"type": ["string", "null"]}}}


async def _shown(request: web.Request, target_id: str) -> dict[str, Any]:
    ctx = context(request)
    shown = {t["id"]: t for t in await ctx.services.engine.targets_json()}
    if target_id not in shown:
        return (await ctx.services.targets.get(target_id)).as_json()  # raises the 404
    return shown[target_id]


async def list_targets(request: web.Request) -> web.StreamResponse:
    return json_response(await context(request).services.engine.targets_json())


async def patch_target(request: web.Request) -> web.StreamResponse:
    """The player's changes; ``group_source`` may also be a server ``{"url", "token", ...}``: it becomes the
    settings' group source (one per daemon) and this target takes its groups from it."""
    ctx = context(request)
    body = await read_json(request)
    source = body.get("group_source")
    if isinstance(source, dict):
        target = await use_group_source(ctx, request.match_info["id"], body, source)
    else:
        target = await ctx.services.targets.change(request.match_info["id"], body)
        if ctx.services.targets.remote(target) and {"mode", "group_source", "realm"} & set(body):
            await ctx.schedule.refresh_now()  # its groups come from a server: ask it now
    if "realm" in body and body["realm"] is None:
        await ctx.services.targets.discover()  # infer it again now
    ctx.services.engine.kick()  # merging turned on (or off): act on it now, not at the next tick
    return json_response(await _shown(request, target.id))


async def get_plan(request: web.Request) -> web.StreamResponse:
    return json_response(await context(request).services.engine.plan_now(request.match_info["id"]))


async def post_apply(request: web.Request) -> web.StreamResponse:
    await context(request).services.engine.apply_soon(request.match_info["id"])
    return json_response({"accepted": True}, status=202)


async def post_undo(request: web.Request) -> web.StreamResponse:
    outcome = await context(request).services.engine.undo(request.match_info["id"])
    return json_response(undo_json(outcome))


def undo_json(outcome: dict[str, Any]) -> dict[str, Any]:
    """The restorer's outcome as the API shows it (also ``POST /backups/{id}/restore``): which backup was
    put back, and the backup of the file as it was just before (restoring that one undoes the restore)."""
    restored, undo = outcome.get("restored") or {}, outcome.get("undo") or {}
    return {"status": outcome.get("status"), "restored": str(restored.get("id", "")),
            "file": str(restored.get("source", "")), "backup_before_restore": undo.get("id")}


async def use_group_source(ctx: ApiContext, target_id: str, body: dict[str, Any], doc: dict[str, Any]) -> Target:
    """The target takes its groups from this server, which becomes the settings' group source: the
    server and the other changes are all checked before anything is stored; then it is polled at once."""
    import dataclasses

    from tsmsyncd.config import GroupSource
    from tsmsyncd.http.views.setup import save_settings_of

    source = GroupSource.from_json(doc)  # a SettingsError names the field: group_source.url, ...
    target = await ctx.services.targets.change(target_id, {**body, "group_source": "remote"}, server=source)
    await save_settings_of(ctx, dataclasses.replace(ctx.services.settings, group_source=source))
    await ctx.schedule.refresh_now()
    return target

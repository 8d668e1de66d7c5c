"""Backups of the files tsmsyncd knows (its targets' TradeSkillMaster.lua files): list, take one now with a
note, pin, preview and run the retention prune, and restore. A restore runs in a job process (real Lua
checks the backup first; a backup of the file as it is now is taken, so the restore can be undone) and is
refused while the game runs (409). Only the targets' files are accepted: the API never reads or writes a
path just because a request named it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from tsmsyncd.errors import FieldError
from tsmsyncd.events import EventType
from tsmsyncd.http import params
from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import ApiContext, context
from tsmsyncd.http.views.targets import UNDO_SCHEMA, undo_json
from tsmsyncd.store.playerfile import PlayerFile

__all__ = ["BACKUP_SCHEMA", "FILES_SCHEMA", "LIST_SCHEMA", "PRUNE_SCHEMA", "RESTORE_SCHEMA", "get_backups",
           "get_prune", "post_backup", "post_pin", "post_prune", "post_restore"]

BACKUP_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "created", "reason", "size", "pinned", "compressed"],
    "properties": {"id": {"type": "string"}, "file": {"type": "string"}, "created": {"type": "string"},
                   "reason": {"type": "string"}, "size": {"type": "integer"}, "sha256": {"type": "string"},
                   "app_version": {"type": "string"}, "source": {"type": "string"}, "pinned": {"type": "boolean"},
                   "note": {"type": ["string", "null"]}, "compressed": {"type": "boolean"}},
}
FILES_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "items": {
        "type": "object", "required": ["file", "targets", "count"],
        "properties": {"file": {"type": "string"}, "targets": {"type": "array", "items": {"type": "string"}},
                       "count": {"type": "integer"}, "newest": {"type": ["string", "null"]}}}}},
}
LIST_SCHEMA: dict[str, Any] = {"type": "object", "required": ["file", "backups"],
                               "properties": {"file": {"type": "string"},
                                              "backups": {"type": "array", "items": BACKUP_SCHEMA}}}
PRUNE_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "would_remove": {"type": "array", "items": BACKUP_SCHEMA}, "removed": {"type": "array", "items": BACKUP_SCHEMA}}}
RESTORE_SCHEMA = UNDO_SCHEMA
FILE_BODY: dict[str, Any] = {"type": "object", "required": ["file"],
                             "properties": {"file": {"type": "string"}, "note": {"type": "string"},
                                            "pinned": {"type": "boolean"}}}


async def _known_files(ctx: ApiContext) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for target in await ctx.services.targets.all():
        files.setdefault(target.file, []).append(target.id)
    return files


async def _file(ctx: ApiContext, named: object) -> Path:
    if not isinstance(named, str) or not named:
        raise FieldError("file", "is required: the TradeSkillMaster.lua of one of the targets")
    if named not in await _known_files(ctx):
        raise FieldError("file", "is not the file of any target tsmsyncd knows (GET /api/v1/targets lists them)")
    return Path(named)


async def get_backups(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    store = ctx.services.backups
    named = params.text(request, "file", max_length=4096)
    if named is None:
        files = []
        for file, targets in sorted((await _known_files(ctx)).items()):
            backups = await asyncio.to_thread(store.backups_of, Path(file))
            files.append({"file": file, "targets": targets, "count": len(backups),
                          "newest": backups[-1].created if backups else None})
        return json_response({"files": files})
    path = await _file(ctx, named)
    backups = await asyncio.to_thread(store.backups_of, path)
    return json_response({"file": str(path), "backups": [b.as_json() for b in reversed(backups)]})


async def post_backup(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    body = await read_json(request)
    path = await _file(ctx, body.get("file"))
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise FieldError("note", "must be text")
    data = (await asyncio.to_thread(PlayerFile.read, path)).data
    made = await asyncio.to_thread(ctx.services.backups.create, path, data, "manual", None, note or None)
    ctx.services.bus.publish(EventType.BACKUP_CREATED, {"file": str(path), "backup": made.id})
    return json_response(made.as_json(), status=201)


async def post_pin(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    body = await read_json(request)
    path = await _file(ctx, body.get("file"))
    pinned = body.get("pinned", True)
    if not isinstance(pinned, bool):
        raise FieldError("pinned", "must be true or false")
    changed = await asyncio.to_thread(ctx.services.backups.set_pinned, path, request.match_info["id"], pinned)
    return json_response(changed.as_json())


async def get_prune(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    path = await _file(ctx, params.text(request, "file", max_length=4096))
    doomed = await asyncio.to_thread(ctx.services.backups.prune, path, None, True)
    return json_response({"would_remove": [b.as_json() for b in doomed]})


async def post_prune(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    path = await _file(ctx, (await read_json(request)).get("file"))
    gone = await asyncio.to_thread(ctx.services.backups.prune, path)
    return json_response({"removed": [b.as_json() for b in gone]})


async def post_restore(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    path = await _file(ctx, (await read_json(request)).get("file"))
    backup_id = request.match_info["id"]
    await asyncio.to_thread(ctx.services.backups.get, path, backup_id)  # 404 before a process starts
    outcome = await ctx.services.runner.run("restore", {"file": str(path), "backup_id": backup_id})
    ctx.services.bus.publish(EventType.BACKUP_RESTORED, {"file": str(path), "backup": backup_id})
    ctx.services.engine.kick()  # the file changed: its targets are checked again
    return json_response(undo_json(outcome))

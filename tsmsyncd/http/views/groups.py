"""A realm's groups: ``GET /groups/{realm_id}`` (the stored GroupSet, ``?version=``), ``.../diff`` (what the
newest version changed), ``.../preview`` (what the rules make now, and why each item is there),
``GET /import-string/{realm_id}`` (TSM's own format or a plain list) and ``POST /groups/custom`` (a group
config stored as a rule, with the preview). The previews need pandas: the query worker answers them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd.db import groups as groups_db
from tsmsyncd.errors import NotFoundError
from tsmsyncd.http import params
from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import context
from tsmsyncd.market.sources import RealmKey

__all__ = ["DIFF_SCHEMA", "GROUPSET_SCHEMA", "IMPORT_SCHEMA", "PREVIEW_SCHEMA", "get_diff", "get_groupset",
           "get_import_string", "get_preview", "post_custom"]

GROUPSET_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["format", "root", "groups", "operations", "meta"],
    "properties": {"format": {"const": "tsmsyncd.groupset/1"}, "root": {"type": "string"},
                   "generated_at": {"type": "string"}, "source": {"type": "object"},
                   "groups": {"type": "array", "items": {"type": "object", "required": ["path", "items"]}},
                   "operations": {"type": "object"},
                   "meta": {"type": "object", "required": ["version", "versions", "realm"],
                            "properties": {"version": {"type": "integer"}, "versions": {"type": "integer"},
                                           "realm": {"type": "string"}, "created_at": {"type": "string"}}}},
}
DIFF_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["version", "changes"],
    "properties": {"version": {"type": ["integer", "null"]}, "previous": {"type": ["integer", "null"]},
                   "against": {"enum": ["previous", "preview"]},
                   "changes": {"type": "array", "items": {
                       "type": "object", "required": ["path", "status", "added", "removed"],
                       "properties": {"path": {"type": "array"}, "status": {"enum": ["added", "removed", "changed"]},
                                      "added": {"type": "array"}, "removed": {"type": "array"}}}}},
}
PREVIEW_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["groups", "report"],
    "properties": {"generated_at": {"type": "string"}, "root": {"type": "string"}, "report": {"type": "object"},
                   "groups": {"type": "array", "items": {
                       "type": "object", "required": ["path", "items"],
                       "properties": {"path": {"type": "array"}, "operations": {"type": "object"},
                                      "items": {"type": "array", "items": {
                                          "type": "object", "required": ["item", "why"],
                                          "properties": {"item": {"type": "string"},
                                                         "name": {"type": ["string", "null"]},
                                                         "why": {"type": "object"}}}}}}}},
}
IMPORT_SCHEMA: dict[str, Any] = {"type": "object", "required": ["format", "string", "version"],
                                 "properties": {"format": {"enum": ["tsm", "list"]}, "string": {"type": "string"},
                                                "version": {"type": "integer"}, "items": {"type": "integer"}}}
CUSTOM_SCHEMA: dict[str, Any] = {"type": "object", "required": ["rule"],
                                 "properties": {"rule": {"type": "object"}, "preview": {"type": ["object", "null"]}}}


def _realm(request: web.Request) -> RealmKey:
    return params.realm(request, context(request).services.settings)


async def _stored(request: web.Request, realm: RealmKey) -> tuple[int, str, Any]:
    version = params.integer(request, "version", low=1)
    found = await context(request).services.db(groups_db.groupset, realm, version)
    if found is None:
        which = f"version {version} of " if version else ""
        raise NotFoundError(f"no {which}groups have been generated for {realm} yet: they come with the first "
                            "refresh of its auction house")
    return found


async def get_groupset(request: web.Request) -> web.StreamResponse:
    from tsmsyncd.jsondoc import parse

    realm = _realm(request)
    version, doc, created = await _stored(request, realm)
    newest = await context(request).services.db(groups_db.groupset, realm, None)
    shown = parse(doc)
    assert isinstance(shown, dict)
    shown["meta"] = {"version": version, "versions": int(newest[0]) if newest else version, "realm": str(realm),
                     "created_at": created.isoformat(timespec="seconds")}
    return json_response(shown)


async def get_import_string(request: web.Request) -> web.StreamResponse:
    from tsmsyncd.tsm.groupset import GroupSet
    from tsmsyncd.tsm.importstring import list_string, tsm_string

    realm = _realm(request)
    kind = params.choice(request, "format", ("tsm", "list"), "tsm")
    version, doc, _ = await _stored(request, realm)
    groupset = GroupSet.from_json(doc)
    text = tsm_string(groupset, realm.flavor) if kind == "tsm" else list_string(groupset)
    return json_response({"format": kind, "string": text, "version": version,
                          "items": sum(len(g.items) for g in groupset.groups)})


async def get_diff(request: web.Request) -> web.StreamResponse:
    against = params.choice(request, "against", ("previous", "preview"), "previous")
    payload = {"realm": str(_realm(request)), "against": against,
               "version": params.integer(request, "version", low=1)}
    return json_response(await context(request).services.queries.ask("groups.diff", payload))


async def get_preview(request: web.Request) -> web.StreamResponse:
    payload = {"realm": str(_realm(request))}
    return json_response(await context(request).services.queries.ask("groups.preview", payload, timeout=120))


async def post_custom(request: web.Request) -> web.StreamResponse:
    """DESIGN's seed endpoint: a GroupConfig (a rule document) → stored rule + the preview of ``?realm=``."""
    ctx = context(request)
    doc = await read_json(request)
    number = params.integer(request, "realm", low=1)
    payload: dict[str, Any] = {"doc": doc}
    if number is not None:
        payload["realm"] = str(RealmKey(ctx.services.settings.region, number))
    return json_response(await ctx.services.queries.ask("groups.custom", payload, timeout=120), status=201)

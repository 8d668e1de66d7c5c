"""A realm's groups: ``GET /groups/{realm_id}`` (the stored GroupSet, ``?version=``), ``.../diff`` (what the
newest version changed), ``.../preview`` (what the rules make now, and why each item is there),
``GET /import-string/{realm_id}`` (TSM's own format or a plain list) and ``POST /groups/custom`` (a group
config stored as a rule, with the preview). The previews need pandas: the query worker answers them.

A GroupSet answer carries an ``ETag`` (a hash of its exact bytes); a request whose ``If-None-Match`` names
it gets ``304`` and no body, so a group server's clients poll for next to nothing. The bodies of recent
versions are kept (``BODIES``, a small cache per app), so such a poll reads one row head, never the
document."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from aiohttp import hdrs, web

from tsmsyncd.db import groups as groups_db
from tsmsyncd.errors import NotFoundError
from tsmsyncd.http import params
from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import context
from tsmsyncd.market.sources import RealmKey

__all__ = ["BODIES", "DIFF_SCHEMA", "GROUPSET_SCHEMA", "IMPORT_SCHEMA", "PREVIEW_SCHEMA", "BodyCache", "etag_of",
           "get_diff", "get_groupset", "get_import_string", "get_preview", "matches", "post_custom"]

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


class BodyCache:
    """The answers to recent GroupSet requests: (realm, version, newest version) → (ETag, body bytes)."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._bodies: OrderedDict[tuple[str, int, int], tuple[str, bytes]] = OrderedDict()

    def get(self, key: tuple[str, int, int]) -> tuple[str, bytes] | None:
        found = self._bodies.get(key)
        if found is not None:
            self._bodies.move_to_end(key)
        return found

    def put(self, key: tuple[str, int, int], value: tuple[str, bytes]) -> None:
        self._bodies[key] = value
        while len(self._bodies) > self._size:
            self._bodies.popitem(last=False)


BODIES = web.AppKey("groupset_bodies", BodyCache)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names this ETag (weak comparison, as RFC 9110 says for it), or is ``*``."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _realm(request: web.Request) -> RealmKey:
    return params.realm(request, context(request).services.settings)


async def _stored(request: web.Request, realm: RealmKey, version: int | None = None) -> tuple[int, str, Any]:
    version = version or params.integer(request, "version", low=1)
    found = await context(request).services.db(groups_db.groupset, realm, version)
    if found is None:
        raise _missing(realm, version)
    return found


def _missing(realm: RealmKey, version: int | None) -> NotFoundError:
    which = f"version {version} of " if version else ""
    return NotFoundError(f"no {which}groups have been generated for {realm} yet: they come with the first "
                         "refresh of its auction house")


async def get_groupset(request: web.Request) -> web.StreamResponse:
    realm = _realm(request)
    wanted = params.integer(request, "version", low=1)
    head = await context(request).services.db(groups_db.groupset_head, realm, wanted)
    if head is None:
        raise _missing(realm, wanted)
    version, _, newest = head
    cache = request.app.get(BODIES)
    key = (str(realm), version, newest)
    found = cache.get(key) if cache is not None else None
    if found is None:
        found = await _body(request, realm, version, newest)
        if cache is not None:
            cache.put(key, found)
    etag, body = found
    if matches(request.headers.get(hdrs.IF_NONE_MATCH), etag):
        return web.Response(status=304, headers={hdrs.ETAG: etag})
    return web.Response(body=body, content_type="application/json", charset="utf-8", headers={hdrs.ETAG: etag})


async def _body(request: web.Request, realm: RealmKey, version: int, newest: int) -> tuple[str, bytes]:
    from tsmsyncd.http.errors import dumps
    from tsmsyncd.jsondoc import parse

    _, doc, created = await _stored(request, realm, version)
    shown = parse(doc)
    assert isinstance(shown, dict)
    shown["meta"] = {"version": version, "versions": newest, "realm": str(realm),
                     "created_at": created.isoformat(timespec="seconds")}
    body = dumps(shown).encode("utf-8")
    return etag_of(body), body


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

"""``GET /realms`` (the realm lists stored, per region and flavor) and ``GET /realms/{region}`` (its connected
realms with every realm's localized names; fetched from Blizzard on first use; ``q`` searches them the way
a player types: any locale, any case, accents optional)."""

from __future__ import annotations

import unicodedata
from typing import Any

from aiohttp import web

from tsmsyncd.config import check_region
from tsmsyncd.db import realms as realms_db
from tsmsyncd.errors import FieldError, SettingsError
from tsmsyncd.http import params
from tsmsyncd.http.errors import json_response
from tsmsyncd.http.views.context import context
from tsmsyncd.wow.flavor import Flavor

__all__ = ["REALMS_SCHEMA", "REGIONS_SCHEMA", "get_realms", "get_region"]

REGIONS_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["regions"],
    "properties": {"regions": {"type": "array", "items": {
        "type": "object", "required": ["region", "flavor", "connected_realms"],
        "properties": {"region": {"type": "string"}, "flavor": {"type": "string"},
                       "connected_realms": {"type": "integer"}, "updated_at": {"type": ["string", "null"]}}}}},
}
REALMS_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["region", "flavor", "connected_realms"],
    "properties": {"region": {"type": "string"}, "flavor": {"type": "string"},
                   "connected_realms": {"type": "array", "items": {
                       "type": "object", "required": ["connected_realm_id", "name", "realms"],
                       "properties": {"connected_realm_id": {"type": "integer"}, "name": {"type": "string"},
                                      "timezone": {"type": "string"}, "locale": {"type": "string"},
                                      "realms": {"type": "array"}}}}},
}


async def get_realms(request: web.Request) -> web.StreamResponse:
    stored = await context(request).services.db(realms_db.regions)
    return json_response({"regions": [{"region": r, "flavor": f, "connected_realms": n,
                                       "updated_at": at.isoformat(timespec="seconds") if at else None}
                                      for r, f, n, at in stored]})


async def get_region(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    try:
        region = check_region(request.match_info["region"].lower())
    except SettingsError as exc:
        raise FieldError("region", exc.reason) from exc
    try:
        flavor = Flavor.parse(params.text(request, "flavor") or "retail")
    except ValueError as exc:
        raise FieldError("flavor", "must be one of: retail, classic, classic-era") from exc
    wanted = _folded(params.text(request, "q") or "")
    found = await ctx.services.db(realms_db.realms, region, str(flavor))
    if not found:
        if not ctx.services.settings.has_credentials:
            raise FieldError("client_id", "Blizzard API credentials are needed to fetch the realm list: "
                                          "set them first (POST /api/v1/auth/token)")
        await ctx.services.runner.run("realms", {"region": region, "flavor": str(flavor)}, timeout=120)
        found = await ctx.services.db(realms_db.realms, region, str(flavor))
    connected: dict[int, list[realms_db.RealmInfo]] = {}
    for realm in found:
        connected.setdefault(realm.connected_realm_id, []).append(realm)
    shown = []
    for number, members in connected.items():
        if wanted and not any(wanted in _folded(name) for r in members for name in (*r.names, r.slug)):
            continue
        members.sort(key=lambda r: r.name.casefold())
        shown.append({"connected_realm_id": number, "name": " / ".join(r.name for r in members),
                      "timezone": members[0].timezone, "locale": members[0].locale,
                      "realms": [{"realm_id": r.realm_id, "name": r.name, "slug": r.slug, "names": list(r.names)}
                                 for r in members]})
    shown.sort(key=lambda c: str(c["name"]).casefold())
    return json_response({"region": region, "flavor": str(flavor), "connected_realms": shown})


def _folded(text: str) -> str:
    """Case- and accent-insensitive form: "Kil'jaeden" matches "kiljaeden", "Über" matches "uber"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "'’ -")

"""Group rules: ``GET|POST /rules``, ``PUT|DELETE /rules/{name}``, ``POST /rules/check`` (the editor's live
validation: where the text stops making sense). Rules are parsed by the criteria module, which needs
pandas: the query worker answers every one of these, and stores through its own database writer."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tsmsyncd.events import EventType
from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.views.context import context

__all__ = ["CHECK_SCHEMA", "RULE_SCHEMA", "RULES_SCHEMA", "delete_rule", "get_rules", "post_check", "post_rule",
           "put_rule"]

RULE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["name", "position", "enabled"],
    "properties": {"name": {"type": "string"}, "position": {"type": "integer"}, "enabled": {"type": "boolean"},
                   "doc": {"type": "object"}, "broken": {"type": "string"}, "doc_text": {"type": "string"}},
}
RULES_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["rules", "broken", "templates"],
    "properties": {"rules": {"type": "array", "items": RULE_SCHEMA}, "broken": {"type": "array", "items": RULE_SCHEMA},
                   "templates": {"type": "array", "items": {"type": "object"}}},
}
PUT_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {"doc": {"type": "object"}, "enabled": {"type": "boolean"}, "position": {"type": "integer"}},
}
CHECK_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["valid", "errors"],
    "properties": {"valid": {"type": "boolean"}, "errors": {"type": "array", "items": {
        "type": "object", "required": ["message"],
        "properties": {"field": {"type": ["string", "null"]}, "message": {"type": "string"},
                       "position": {"type": "integer"}}}}},
}


async def get_rules(request: web.Request) -> web.StreamResponse:
    return json_response(await context(request).services.queries.ask("rules.list", {}))


async def post_rule(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    rule = await ctx.services.queries.ask("rules.add", {"doc": await read_json(request)})
    ctx.services.bus.publish(EventType.SETTINGS_CHANGED, {"rules": "added", "name": rule["name"]})
    return json_response(rule, status=201)


async def put_rule(request: web.Request) -> web.StreamResponse:
    from tsmsyncd.errors import FieldError

    ctx = context(request)
    body = await read_json(request)
    unknown = sorted(set(body) - {"doc", "enabled", "position"})
    if unknown:
        raise FieldError(unknown[0], "is not a field here (send doc, enabled or position)")
    rule = await ctx.services.queries.ask("rules.replace", {"name": request.match_info["name"], **body})
    ctx.services.bus.publish(EventType.SETTINGS_CHANGED, {"rules": "changed", "name": rule["name"]})
    return json_response(rule)


async def delete_rule(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    gone = await ctx.services.queries.ask("rules.remove", {"name": request.match_info["name"]})
    ctx.services.bus.publish(EventType.SETTINGS_CHANGED, {"rules": "removed", "name": gone["removed"]})
    return json_response(gone)


async def post_check(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    payload = {"where": body["where"]} if set(body) == {"where"} else {"doc": body}
    return json_response(await context(request).services.queries.ask("rules.check", payload))

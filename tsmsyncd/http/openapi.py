"""The OpenAPI 3.1 document of the API, built from the route table (so it cannot drift from it) and served
at ``GET /api/v1/openapi.json`` like any other authenticated route.

It documents the ``/api`` routes: the page, its files and the login are not API. Each operation carries
its summary, its request and response schemas (plain JSON Schema dicts on the ``Route``), the success
status, and the error envelope (``components.schemas.Error``) as its ``default`` response. Security: the
API key header, or the CSRF cookie + header pair (both needed: one requirement object holds both).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tsmsyncd.http.errors import ERROR_SCHEMA
from tsmsyncd.http.route import Route
from tsmsyncd.http.security import COOKIE, CSRF_HEADER, KEY_HEADER, is_api

__all__ = ["OPENAPI_PATH", "document"]

OPENAPI_PATH = "/api/v1/openapi.json"
_PARAM = re.compile(r"\{([A-Za-z_]\w*)(?::(?:[^{}]|\{[^{}]*\})*)?\}")  # aiohttp's {name}, {name:re{2}}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}, {"csrfCookie": [], "csrfHeader": []}]
_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 101: "Switching Protocols"}


def _path(route_path: str) -> tuple[str, list[str]]:
    """aiohttp's path → OpenAPI's, and the names of its parameters."""
    return _PARAM.sub(r"{\1}", route_path), _PARAM.findall(route_path)


def _operation(route: Route, params: list[str], operation_id: str) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "summary": route.summary or operation_id}
    if params:
        op["parameters"] = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                            for name in params]
    if route.request is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": dict(route.request)}}}
    status = 101 if route.websocket else route.status
    success: dict[str, Any] = {"description": _REASONS.get(status, "Success")}
    if route.websocket:
        success["description"] = "Switching Protocols: JSON messages follow on the WebSocket"
    elif route.response is not None:
        success["content"] = {"application/json": {"schema": dict(route.response)}}
    op["responses"] = {str(status): success, **{str(also): {**success, "description": _REASONS.get(also, "Success")}
                                                for also in route.also}, "default": {
        "description": "The error envelope (400, 401, 403, 404, 405, 409, 413, 429, 500...)",
        "content": {"application/json": {"schema": _ERROR_REF}}}}
    op["security"] = _SECURITY if route.auth else []
    return op


def document(routes: Sequence[Route], *, title: str = "tsmsyncd", version: str = "0") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for route in routes:
        if not is_api(route.path):
            continue
        path, params = _path(route.path)
        operation_id = route.operation_id
        if operation_id in taken:  # one handler behind two routes: ids must be unique, so say where
            operation_id = re.sub(r"\W+", "_", f"{route.method.lower()}{path}").strip("_")
        taken.add(operation_id)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, params, operation_id)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "tsmsyncd's localhost API. Every failure answers with the Error envelope."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "security": _SECURITY,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": KEY_HEADER,
                           "description": "The key in daemon.json (CLI, tray, scripts)."},
                "csrfCookie": {"type": "apiKey", "in": "cookie", "name": COOKIE,
                               "description": "Set by the one-time login; the browser sends it."},
                "csrfHeader": {"type": "apiKey", "in": "header", "name": CSRF_HEADER,
                               "description": "The page copies the cookie's value here (double submit)."},
            },
        },
    }

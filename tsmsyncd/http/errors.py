"""One JSON error envelope for every failure, and the JSON helpers views use.

Every refusal and every exception below the outermost middleware becomes
``{"ok": false, "error": {"code": "...", "message": "...", "field": "..."}}`` (``field`` only when one is
known), aiohttp's own 404/405/413 included. tsmsyncd's errors are mapped once, here (``describe``):

    FieldError                      400 invalid_field (with field)
    CredentialsError                400 blizzard_credentials (Blizzard refused the client id/secret)
    NotFoundError                   404 not_found (a target, rule, backup or GroupSet that does not exist)
    InputError                      400 invalid_input
    GameRunningError                409 game_running
    FileChangedError                409 file_changed (the file moved under us: try again)
    BlizzardError                   502 blizzard_unavailable (stored data is unchanged)
    UpdateError                     502 update_refused (the release server's answer was refused; nothing changed)
    BusyError                       409 busy (a merge or restore runs: try again when it has finished)
    GroupServerError                502 group_server_unavailable (the last good groups are kept)
    ApplyError                      500 apply_failed (the original file is in place)
    StateError                      503 state_damaged: our own files need the player's hand; the message says how
    other TsmSyncError              500 error
    any other exception             500 internal_error, logged with its traceback; the response says only that

Our errors' messages are one line written for the player and never carry secrets, so they are passed on;
anything else (a traceback, a foreign message) stays in the log. ``json_response`` refuses NaN and
Infinity (``allow_nan=False``; orjson would quietly write ``null``), so a NaN that reaches a response is
a logged 500 envelope, never invalid JSON. ``read_json`` reads a capped body and parses it strictly
(``tsmsyncd.jsondoc``): duplicate keys, NaN, giant numbers, deep nesting and non-objects are 400 ``body``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from tsmsyncd.errors import (
    ApplyError,
    BlizzardError,
    BusyError,
    CredentialsError,
    FieldError,
    FileChangedError,
    GameRunningError,
    GroupServerError,
    InputError,
    NotFoundError,
    StateError,
    TsmSyncError,
    UpdateError,
)
from tsmsyncd.http.route import Handler
from tsmsyncd.jsondoc import JsonDocError, parse

__all__ = [
    "BODY_LIMIT",
    "DEFAULT_MAX_BODY",
    "ERROR_SCHEMA",
    "Refusal",
    "describe",
    "dumps",
    "envelope",
    "error_response",
    "json_response",
    "read_body",
    "read_json",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 1024 * 1024
BODY_LIMIT = web.RequestKey("body_limit", int)  # set per route by the app, read by read_json

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ok", "error"],
    "additionalProperties": False,
    "properties": {
        "ok": {"const": False},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        },
    },
}

# (class, status, code), most specific first: the first isinstance match wins.
_MAPPING: tuple[tuple[type[TsmSyncError], int, str], ...] = (
    (FieldError, 400, "invalid_field"),
    (CredentialsError, 400, "blizzard_credentials"),
    (NotFoundError, 404, "not_found"),
    (InputError, 400, "invalid_input"),
    (GameRunningError, 409, "game_running"),
    (FileChangedError, 409, "file_changed"),
    (BlizzardError, 502, "blizzard_unavailable"),
    (UpdateError, 502, "update_refused"),
    (BusyError, 409, "busy"),
    (GroupServerError, 502, "group_server_unavailable"),
    (ApplyError, 500, "apply_failed"),
    (StateError, 503, "state_damaged"),
    (TsmSyncError, 500, "error"),
)

# aiohttp's own refusals, by status: fixed words, so nothing of the request is echoed back.
_HTTP: dict[int, tuple[str, str]] = {
    400: ("bad_request", "bad request"),
    401: ("unauthorized", "not authorized"),
    403: ("forbidden", "forbidden"),
    404: ("not_found", "no such route or file"),
    405: ("method_not_allowed", "method not allowed here"),
    413: ("body_too_large", "the request body is too large"),
    429: ("rate_limited", "too many requests"),
}


class Refusal(Exception):
    """A request the HTTP layer itself refuses (Host, credentials, a bad query value): turned into the
    envelope by ``envelope``. ``headers`` go on the response (``Allow``, ``Retry-After``)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = dict(headers or {})


def describe(exc: TsmSyncError) -> tuple[int, str, str, str | None]:
    """(status, code, message, field) of one of our errors."""
    status, code = next((s, c) for cls, s, c in _MAPPING if isinstance(exc, cls))
    return status, code, str(exc), exc.field if isinstance(exc, FieldError) else None


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"ok": False, "error": error}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: Mapping[str, str] | None = None) -> web.Response:
    return json_response(error_body(code, message, field), status=status, headers=headers)


def _from_http(exc: web.HTTPException) -> web.Response:
    code, message = _HTTP.get(exc.status, ("http_error", exc.reason.lower()))
    headers = {}
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = sorted(exc.allowed_methods)
        message = f"method not allowed here (allowed: {', '.join(allowed)})"
        headers["Allow"] = ", ".join(allowed)
    elif exc.status in (400, 413) and exc.text and not exc.text.startswith(f"{exc.status}:"):
        message = exc.text.splitlines()[0][:200]  # aiohttp's reason (a WebSocket without Upgrade, the size cap)
    return error_response(exc.status, code, message, headers=headers)


def _where(request: web.Request) -> str:
    """The route's pattern, never the raw path: a path may hold a one-time login token."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


@web.middleware
async def envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The outermost middleware: whatever fails below answers with the one envelope."""
    try:
        return await handler(request)
    except Refusal as exc:
        return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # a redirect is an answer, not a failure
        return _from_http(exc)
    except TsmSyncError as exc:
        status, code, message, field = describe(exc)
        if status >= 500:
            log.warning("%s %s failed: %s", request.method, _where(request), message)
        return error_response(status, code, message, field)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, _where(request))
        return error_response(500, "internal_error", "internal error; the daemon's log has the details")


def dumps(payload: Any) -> str:
    """Strict JSON: NaN and Infinity raise ValueError instead of writing what JSON has no words for."""
    return json.dumps(payload, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON response: 200 for GET/PATCH, 201 created, 202 accepted (refresh, apply)."""
    return web.Response(text=dumps(payload), status=status, content_type="application/json", headers=headers)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The body, at most ``limit`` bytes, else 413 (checked against Content-Length first, then counted)."""
    length = request.content_length
    if length is not None and length > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> Refusal:
    return Refusal(413, "body_too_large", f"the request body is larger than {limit:,} bytes")


async def read_json(request: web.Request, max_bytes: int | None = None) -> dict[str, Any]:
    """The request's JSON object, strictly parsed. ``max_bytes`` overrides the route's limit."""
    limit = max_bytes if max_bytes is not None else request.get(BODY_LIMIT, DEFAULT_MAX_BODY)
    raw = await read_body(request, limit)
    if not raw.strip():
        raise FieldError("body", "is empty: send a JSON object")
    try:
        doc = parse(raw)
    except JsonDocError as exc:
        raise FieldError("body", exc.reason) from exc
    if not isinstance(doc, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(doc), "a number")
        raise FieldError("body", f"must be a JSON object, not {kind}")
    return doc

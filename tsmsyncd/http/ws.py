"""The events WebSocket, ``GET /api/v1/events?since=<id>`` (DESIGN "Events").

Auth and Origin are checked by the middleware before the handler runs; ``since`` is checked here before
the upgrade, so a bad one is the 400 envelope. Then, on the socket:

1. one ``status`` event: ``{"id": <the bus's newest id>, "type": "status", "at": ..., "data": {...,
   "missed": bool}}``, data from the caller's ``status()``; ``missed`` is true when ``since`` is older than
   the ring buffer, or newer than the bus (a client of an earlier daemon process: its ids mean nothing now);
2. with ``since=X``, the buffered events after X;
3. live events from an ``EventBus`` subscription, each once, in id order. The subscription is made before
   the buffer is read, so nothing falls between them; what arrives twice is skipped by id.

A subscriber that falls behind is dropped by the bus; the socket then closes with 1013 (Try Again Later)
and a reason naming the last id sent, so the client reconnects with ``since=``. Client messages
``{"type": "...", "data": {...}}`` go to ``on_message`` (the watchlist's door); an invalid one, or one the
callback refuses, gets ``{"type": "error", "error": {"code", "message", "field"}}`` back, never a crash.
Pings every ``heartbeat`` seconds notice a dead client (aiohttp closes it when the pong does not come).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from tsmsyncd.errors import FieldError, TsmSyncError
from tsmsyncd.events import Event, EventBus, EventType, Subscription
from tsmsyncd.http.errors import DEFAULT_MAX_BODY, Refusal, describe, dumps, error_body
from tsmsyncd.http.route import Route
from tsmsyncd.jsondoc import JsonDocError, parse

__all__ = ["SOCKETS", "ClientMessage", "close_sockets", "events_route", "parse_since"]

log = logging.getLogger(__name__)

SOCKETS = web.AppKey("sockets", weakref.WeakSet[web.WebSocketResponse])  # closed on shutdown
MAX_MESSAGE = web.AppKey("ws_max_message", int)

Status = Callable[[], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True)
class ClientMessage:
    type: str
    data: Mapping[str, Any]


OnMessage = Callable[[ClientMessage], Awaitable[None]]


def parse_since(request: web.Request) -> int | None:
    values = request.query.getall("since", [])
    if not values:
        return None
    text = values[0]
    if len(values) > 1 or not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise FieldError("since", "must be one non-negative integer event id")
    return int(text)


def events_route(bus: EventBus, status: Status, *, on_message: OnMessage | None = None,
                 heartbeat: float = 20.0, path: str = "/api/v1/events",
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Route:
    """The events socket as a route for the table."""

    async def events(request: web.Request) -> web.StreamResponse:
        since = parse_since(request)
        socket = web.WebSocketResponse(heartbeat=heartbeat, compress=False,
                                       max_msg_size=request.app.get(MAX_MESSAGE, DEFAULT_MAX_BODY))
        if not socket.can_prepare(request).ok:
            raise Refusal(400, "bad_request", "this route is a WebSocket: connect with an Upgrade request")
        sub = bus.subscribe()
        try:
            # The newest id is read before the status is taken: an event in between reaches the client
            # twice (once in the status, once live), never not at all.
            newest = bus.last_id
            data = dict(await _maybe(status()))
            replay, missed = bus.since(since) if since is not None else ([], False)
            data["missed"] = missed or (since is not None and since > newest)
            await socket.prepare(request)
            request.app[SOCKETS].add(socket)
            await _send(socket, Event(newest, EventType.STATUS, now(), data))
            last = newest
            for event in replay:
                await _send(socket, event)
                last = max(last, event.id)
            pump = asyncio.create_task(_pump(socket, sub, last))
            try:
                await _read(socket, on_message)
            finally:
                if not sub.dropped:  # the client left: stop waiting for events (else the pump is closing)
                    pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)
        finally:
            sub.close()
        return socket

    return Route("GET", path, events, websocket=True, name="events",
                 summary="Events: a status first, then since= replay, then live events (WebSocket)")


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _send(socket: web.WebSocketResponse, event: Event) -> None:
    try:
        text = dumps(event.as_json())
    except (TypeError, ValueError):  # NaN or an object JSON has no form for: a bug in whoever published it
        log.error("event %d (%s) is not valid JSON; not sent", event.id, event.type)
        return
    await socket.send_str(text)


async def _pump(socket: web.WebSocketResponse, sub: Subscription, last: int) -> None:
    """Live events until the bus drops this subscriber (then close, saying where to resume)."""
    while (event := await sub.get()) is not None:
        if event.id > last:
            await _send(socket, event)
            last = event.id
    await socket.close(code=WSCloseCode.TRY_AGAIN_LATER,
                       message=f"too slow, dropped: reconnect with since={last}".encode())


async def _read(socket: web.WebSocketResponse, on_message: OnMessage | None) -> None:
    async for msg in socket:
        if msg.type == WSMsgType.TEXT:
            error = await _handle(msg.data, on_message)
        elif msg.type == WSMsgType.BINARY:
            error = error_body("invalid_message", "messages are JSON text, not binary")
        else:  # ERROR: the connection is gone
            return
        if error is not None and not socket.closed:
            await socket.send_str(dumps({"type": "error", "error": error["error"]}))


async def _handle(text: str, on_message: OnMessage | None) -> dict[str, Any] | None:
    """Parse one client message and hand it on; the error envelope's body if that failed."""
    try:
        doc = parse(text)
    except JsonDocError as exc:
        return error_body("invalid_field", f"message {exc.reason}", "message")
    if not isinstance(doc, dict):
        return error_body("invalid_field", 'a message is a JSON object {"type": ..., "data": {...}}', "message")
    if set(doc) - {"type", "data"}:
        extra = sorted(set(doc) - {"type", "data"})[0]
        return error_body("invalid_field", f"a message holds only type and data, not {extra!r}", extra)
    kind, data = doc.get("type"), doc.get("data", {})
    if not isinstance(kind, str) or not kind:
        return error_body("invalid_field", "type must be a message type such as watch.add", "type")
    if not isinstance(data, dict):
        return error_body("invalid_field", "data must be a JSON object", "data")
    if on_message is None:
        return error_body("unsupported_message", f"this socket takes no messages ({kind!r})", "type")
    try:
        await on_message(ClientMessage(kind, data))
    except TsmSyncError as exc:
        _status, code, message, field = describe(exc)
        return error_body(code, message, field)
    except Exception:
        log.exception("the events socket's message handler failed on a %r message", kind)
        return error_body("internal_error", "internal error; the daemon's log has the details")
    return None


async def close_sockets(app: web.Application) -> None:
    """on_shutdown: every open events socket is closed as going away (the client reconnects)."""
    for socket in list(app.get(SOCKETS, ())):
        await socket.close(code=WSCloseCode.GOING_AWAY, message=b"tsmsyncd is stopping")

"""The ``Route`` record: one row of the route table that ``app.build_app`` registers, the middlewares
consult (auth, WebSocket) and ``openapi`` documents. Its own module so that every part of ``http`` can
name it without importing the app factory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

__all__ = ["Handler", "Route"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    """``auth`` is on unless a route says otherwise (secure by default). ``request``/``response`` are JSON
    Schemas (plain dicts) for the OpenAPI document; ``status`` is the success status (201 created, 202
    accepted); ``max_body`` overrides the app's cap for ``read_json``; ``websocket`` switches layer 2 of
    the auth to layer 3 (key, or cookie + our Origin)."""

    method: str
    path: str
    handler: Handler
    auth: bool = True
    summary: str = ""
    request: Mapping[str, Any] | None = None
    response: Mapping[str, Any] | None = None
    status: int = 200
    also: tuple[int, ...] = ()  # other success statuses with the same body (200 when a POST merged, not made)
    max_body: int | None = None
    websocket: bool = False
    name: str | None = None  # the OpenAPI operationId; the handler's name when not given

    @property
    def operation_id(self) -> str:
        return self.name or str(getattr(self.handler, "__name__", f"{self.method.lower()}_{self.path}"))

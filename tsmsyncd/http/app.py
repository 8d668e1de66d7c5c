"""The HTTP app factory: ``build_app(config, routes)`` registers one route table behind the middlewares of
``middlewares`` (order commented there), and ``start_server`` binds it to loopback and tells the config
which port it got, so the Host and Origin checks know what to allow (port 0 in tests). In group server
mode (``config.server_mode``, ``http/server.py``) the app serves only the read-only routes, behind the
token and rate checks of ``server_middlewares``, and may listen on any address, with TLS.

The framework's own routes join the caller's table: ``GET /api/v1/openapi.json`` (the document of the whole
table), ``POST /api/v1/logins`` (a one-time browser login for the CLI's ``open``), ``GET /login/{token}``
(redeems it: sets the CSRF cookie, redirects to ``/``), and, with ``static_dir``, ``/`` and ``/static/...``.
Views are plain ``async def view(request)`` functions that return ``json_response(...)`` and raise our
errors; ``errors.envelope`` turns every failure into the one JSON error envelope.
"""

from __future__ import annotations

import logging
import re
import secrets
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Middleware

from tsmsyncd import __version__
from tsmsyncd.errors import SettingsError
from tsmsyncd.http import errors, openapi, security, ws
from tsmsyncd.http.errors import BODY_LIMIT, DEFAULT_MAX_BODY, Refusal, json_response
from tsmsyncd.http.launch import LOGIN_TTL, Logins, login_path
from tsmsyncd.http.route import Handler, Route
from tsmsyncd.http.server import ServerMode, exposed
from tsmsyncd.http.static import static_routes

if TYPE_CHECKING:
    import ssl

__all__ = ["CONFIG", "LOGINS", "HttpConfig", "Route", "Server", "build_app", "is_server_host", "new_api_key",
           "start_server"]

log = logging.getLogger(__name__)

LOGINS = web.AppKey("logins", Logins)
OPENAPI_DOC = web.AppKey("openapi_doc", dict)
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]{32,}")
LOOPBACK = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1", "::1": "[::1]"}


def new_api_key() -> str:
    """43 URL-safe characters, 256 bits."""
    return secrets.token_urlsafe(32)


@dataclass
class HttpConfig:
    """The API's own settings. ``hosts`` and ``origins`` are empty (everything refused) until ``bind(port)``
    says which port the server got. ``server_mode``: a group server for other machines (no Host check,
    tokens instead of the key, read-only routes). The secrets are left out of ``repr`` so a logged config
    shows none."""

    api_key: str = field(default_factory=new_api_key, repr=False)
    max_body: int = DEFAULT_MAX_BODY
    server_mode: bool = False
    csrf_token: str = field(default_factory=new_api_key, repr=False)  # the browser's, random per process
    port: int | None = field(default=None, init=False)
    hosts: frozenset[str] = field(default=frozenset(), init=False)
    origins: frozenset[str] = field(default=frozenset(), init=False)

    def __post_init__(self) -> None:
        for name in ("api_key", "csrf_token"):
            if not _URL_SAFE.fullmatch(getattr(self, name)):
                raise SettingsError(name, "must be at least 32 URL-safe characters (A-Z a-z 0-9 _ -)")
        if self.max_body < 1:
            raise SettingsError("max_body", "must be a positive number of bytes")

    def bind(self, port: int) -> None:
        """Allow exactly this port's three loopback names as Host, and their origins as Origin."""
        self.port = port
        self.hosts = frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})
        self.origins = frozenset(f"http://{host}" for host in self.hosts)


CONFIG = web.AppKey("http_config", HttpConfig)


def builtin_routes(logins: Logins, csrf_token: str) -> list[Route]:
    async def openapi_json(request: web.Request) -> web.StreamResponse:
        return json_response(request.app[OPENAPI_DOC])

    async def create_login(request: web.Request) -> web.StreamResponse:
        return json_response({"path": login_path(logins.issue()), "expires_in": int(logins.ttl)}, status=201)

    async def login(request: web.Request) -> web.StreamResponse:
        if not logins.redeem(request.match_info["token"]):
            raise Refusal(403, "login_refused", "this login link was used already or has expired: "
                          "open the UI from tsmsyncd again")
        response = web.HTTPFound("/")
        response.set_cookie(security.COOKIE, csrf_token, path="/", samesite="Strict", httponly=False)
        raise response

    login_schema = {"type": "object", "required": ["path", "expires_in"],
                    "properties": {"path": {"type": "string"}, "expires_in": {"type": "integer"}}}
    return [
        Route("GET", openapi.OPENAPI_PATH, openapi_json, summary="This document", response={"type": "object"}),
        Route("POST", "/api/v1/logins", create_login, status=201, response=login_schema,
              summary=f"A one-time browser login path (works once, for {int(LOGIN_TTL)} s)"),
        Route("GET", "/login/{token}", login, auth=False, summary="Redeem a one-time login; sets the CSRF cookie"),
    ]


def middlewares(config: HttpConfig, route_of: security.RouteOf) -> list[Middleware]:
    """The order matters; aiohttp runs the first one outermost."""
    return [
        # 0. The envelope: every refusal and exception below, and aiohttp's own 404/405/413, becomes the
        #    one JSON error shape. Outermost, so the security layers' refusals are shaped too.
        errors.envelope,
        # 1. Host: before anything else looks at the request; a rebound name gets nothing, not even a 404.
        security.check_host(config),
        # 4. No CORS, before auth: a preflight never carries credentials, so it would only ever see 401;
        #    it is refused as what it is.
        security.refuse_preflight(),
        # 2 + 3. Credentials: X-API-Key or the CSRF pair on /api; key or cookie + Origin on WebSockets.
        security.check_auth(config, route_of),
    ]
    # 5. Security headers are not a middleware: app.on_response_prepare reaches every response, including
    #    the WebSocket upgrade and file responses that a middleware sees only once they are sent.


def server_middlewares(server: ServerMode) -> list[Middleware]:
    """Group server mode's order. No Host check (other machines name us as they like): a token instead."""
    return [
        errors.envelope,  # 0. as above: every refusal below is the one envelope
        security.refuse_preflight(),  # 4. no CORS, and a preflight carries no token anyway
        server.middleware(),  # the overall rate, the token (read now: a revoke holds), the token's rate
    ]


def _bound(route: Route, config: HttpConfig) -> Handler:
    limit = route.max_body or config.max_body

    async def handler(request: web.Request) -> web.StreamResponse:
        request[BODY_LIMIT] = limit
        return await route.handler(request)

    return handler


def build_app(config: HttpConfig, routes: Sequence[Route], *, static_dir: Path | None = None,
              logins: Logins | None = None, server: ServerMode | None = None) -> web.Application:
    """The app for ``routes`` plus the framework's own (OpenAPI, logins, and the UI's files when
    ``static_dir`` is given). ``logins`` is the one-time login store the launcher issues from (a fresh one
    by default; tests pass one with their own clock). In server mode (``server`` given) only the exposed
    routes of ``routes`` are served, none of the framework's. Serve it with ``start_server``."""
    if config.server_mode and server is None:
        raise SettingsError("server_mode", "a group server needs its tokens and limits (ServerMode)")
    logins = logins if logins is not None else Logins()
    if server is not None and config.server_mode:
        table = exposed(routes)
    else:
        table = [*routes, *builtin_routes(logins, config.csrf_token),
                 *(static_routes(static_dir) if static_dir else [])]
    seen: set[tuple[str, str]] = set()
    for route in table:
        if (route.method, route.path) in seen:
            raise ValueError(f"two routes for {route.method} {route.path}")
        seen.add((route.method, route.path))
    by_route: dict[web.AbstractRoute, Route] = {}
    layers = server_middlewares(server) if server is not None and config.server_mode else \
        middlewares(config, lambda request: by_route.get(request.match_info.route))
    app = web.Application(middlewares=layers, client_max_size=config.max_body)
    for route in table:
        by_route[app.router.add_route(route.method, route.path, _bound(route, config))] = route
    app[CONFIG], app[LOGINS] = config, logins
    app[OPENAPI_DOC] = openapi.document(table, version=__version__)
    app[ws.SOCKETS] = weakref.WeakSet()
    app[ws.MAX_MESSAGE] = config.max_body
    app.on_response_prepare.append(security.security_headers(config))
    app.on_shutdown.append(ws.close_sockets)
    if server is not None and config.server_mode:
        app.cleanup_ctx.append(server.flushing)
    return app


class AccessLog(AbstractAccessLogger):
    """One debug line per request with the route's pattern, never the path (a login path is a secret)
    nor any header."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if self.logger.isEnabledFor(logging.DEBUG):
            route = getattr(request, "match_info", None)
            resource = route.route.resource if route is not None else None
            where = resource.canonical if resource is not None else "(no route)"
            self.logger.debug("%s %s %d %.1f ms", request.method, where, response.status, time * 1000)


@dataclass
class Server:
    runner: web.AppRunner
    url: str
    port: int

    async def close(self) -> None:
        await self.runner.cleanup()


def is_server_host(host: str) -> bool:
    """Whether ``--host`` makes a group server: anything but this machine's own names (127.0.0.1,
    localhost, ::1). 127.0.0.2 is loopback too, yet names no local UI: it counts as a server's address."""
    return host not in LOOPBACK


async def start_server(app: web.Application, host: str = "127.0.0.1", port: int = 0, *,
                       ssl_context: ssl.SSLContext | None = None) -> Server:
    """Serve ``app`` and bind its config to the port actually got: on a loopback name, or in server mode
    on any address (with ``ssl_context``: HTTPS)."""
    server_mode = app[CONFIG].server_mode
    if not server_mode and host not in LOOPBACK:
        raise SettingsError("host", f"{host!r} is not a loopback address (127.0.0.1, localhost, ::1)")
    runner = web.AppRunner(app, access_log_class=AccessLog, handle_signals=False)
    await runner.setup()
    if host in LOOPBACK:
        address = "::1" if host == "::1" else "127.0.0.1"  # "localhost" may resolve to two sockets, two ports
    else:
        address = host
    site = web.TCPSite(runner, address, port, ssl_context=ssl_context)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1]
    app[CONFIG].bind(bound)
    shown = LOOPBACK.get(host) or (f"[{host}]" if ":" in host else host)
    return Server(runner, f"{'https' if ssl_context else 'http'}://{shown}:{bound}", bound)

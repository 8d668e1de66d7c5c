"""The localhost API's defences, Syncthing's layers (DESIGN "HTTP API"), each a small middleware or hook;
``app.middlewares`` puts them in order.

1. Host: exactly ``127.0.0.1:<port>``, ``localhost:<port>`` or ``[::1]:<port>`` of the bound port, else 403.
   A page on ``evil.com`` that rebinds its name to 127.0.0.1 reaches our socket, but its requests still say
   ``Host: evil.com``. Read from the header itself: aiohttp's ``request.host`` falls back to the socket's
   name when the header is missing.
2. Every ``/api`` call, GETs included: ``X-API-Key`` (CLI, tray, scripts), or the browser's pair, cookie
   ``tsmsyncd-csrf`` and header ``X-CSRF-Token``, both equal to this process's token. Missing or wrong
   key → 401; one of the pair alone, a mismatch, or a token of another process → 403. Comparisons are
   constant-time. The pair must equal the server's token, not just each other: otherwise any program
   could send ``x``/``x``. So the cookie is a credential, handed out only by the one-time login
   (``launch``), never to whoever asks for ``/``.
3. WebSocket routes: ``X-API-Key``, or the cookie with an ``Origin`` that is one of our own (browsers
   cannot set headers on a WebSocket but always send Origin; aiohttp never checks it). Any other Origin,
   or none, → 403 before the upgrade. Cookies do not separate ports on localhost, so a page served by
   another local program on another port holds our cookie too: the exact Origin is what refuses it.
4. No CORS: no Access-Control-* header is ever sent; a preflight (OPTIONS) is answered 405.
5. Security headers on every response, added in ``on_response_prepare`` because middlewares cannot
   reach a response that was already prepared (WebSocket upgrades, streamed and file responses).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from tsmsyncd.http.errors import Refusal
from tsmsyncd.http.route import Handler, Route

if TYPE_CHECKING:
    from tsmsyncd.http.app import HttpConfig

__all__ = ["COOKIE", "CSRF_HEADER", "KEY_HEADER", "check_auth", "check_host", "refuse_preflight",
           "same_secret", "security_headers"]

COOKIE = "tsmsyncd-csrf"
CSRF_HEADER = "X-CSRF-Token"
KEY_HEADER = "X-API-Key"

RouteOf = Callable[[web.Request], Route | None]


def same_secret(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets (any text: header values may hold non-ASCII)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def is_private(path: str) -> bool:
    """Paths whose answers must never be cached: the API and the login (it sets the cookie)."""
    return is_api(path) or path.startswith("/login/")


def check_host(config: HttpConfig) -> Middleware:
    @web.middleware
    async def host(request: web.Request, handler: Handler) -> web.StreamResponse:
        value = request.headers.get(hdrs.HOST)
        if value is None or value.lower() not in config.hosts:
            raise Refusal(403, "host_refused", "Host check error: the Host header must be 127.0.0.1, "
                          "localhost or [::1] with this daemon's port (DNS rebinding defence)")
        return await handler(request)

    return host


def refuse_preflight() -> Middleware:
    @web.middleware
    async def no_cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == hdrs.METH_OPTIONS:
            raise Refusal(405, "cors_refused", "tsmsyncd serves no cross-origin requests (no CORS)")
        return await handler(request)

    return no_cors


def check_auth(config: HttpConfig, route_of: RouteOf) -> Middleware:
    """Layers 2 and 3. A route says whether it needs auth; a request that matched no route needs it
    under ``/api``, so an unknown caller learns nothing (401 before 404/405)."""

    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_of(request)
        needs = route.auth if route is not None else is_api(request.path)
        if needs:
            if route is not None and route.websocket:
                _check_socket(request, config)
            else:
                _check_caller(request, config)
        return await handler(request)

    return auth


def _check_key(request: web.Request, config: HttpConfig) -> bool:
    """True if a right key came; 401 if a wrong one did; False if none."""
    key = request.headers.get(KEY_HEADER)
    if key is None:
        return False
    if not same_secret(key, config.api_key):
        raise Refusal(401, "unauthorized", f"wrong {KEY_HEADER}")
    return True


def _check_caller(request: web.Request, config: HttpConfig) -> None:
    if _check_key(request, config):
        return
    cookie, header = request.cookies.get(COOKIE), request.headers.get(CSRF_HEADER)
    if cookie is None and header is None:
        raise Refusal(401, "unauthorized", f"send {KEY_HEADER} (daemon.json has it), or open the UI from tsmsyncd")
    if cookie is None or header is None:
        raise Refusal(403, "csrf_refused", f"the {COOKIE} cookie and the {CSRF_HEADER} header must come together")
    if not same_secret(header, cookie):
        raise Refusal(403, "csrf_refused", f"the {CSRF_HEADER} header does not match the {COOKIE} cookie")
    if not same_secret(cookie, config.csrf_token):
        raise Refusal(403, "csrf_refused", "this page's token is not this daemon's: open the UI from tsmsyncd again")


def _check_socket(request: web.Request, config: HttpConfig) -> None:
    if _check_key(request, config):
        return
    cookie = request.cookies.get(COOKIE)
    if cookie is None:
        raise Refusal(401, "unauthorized", f"send {KEY_HEADER}, or open the UI from tsmsyncd")
    if request.headers.get(hdrs.ORIGIN) not in config.origins:
        raise Refusal(403, "origin_refused", "this WebSocket accepts only pages of this daemon (Origin)")
    if not same_secret(cookie, config.csrf_token):
        raise Refusal(403, "csrf_refused", "this page's token is not this daemon's: open the UI from tsmsyncd again")


def content_security_policy(host: str | None) -> str:
    """``'self'`` for everything a vanilla page with JS modules and CSS files needs; the WebSocket named
    too, because older browsers do not count ``ws:`` as ``'self'``. No inline script or style."""
    connect = f"connect-src 'self' ws://{host}" if host else "connect-src 'self'"
    return ("default-src 'self'; " + connect + "; img-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def security_headers(config: HttpConfig) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    async def add(request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        for name in [n for n in headers if n.lower().startswith("access-control-")]:
            headers.popall(name)  # layer 4: whatever set one, it does not leave
        host = request.headers.get(hdrs.HOST, "").lower()
        headers["Content-Security-Policy"] = content_security_policy(host if host in config.hosts else None)
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"  # other local pages cannot embed our answers
        headers[hdrs.SERVER] = "tsmsyncd"
        if is_private(request.path):
            # A group server's GroupSets carry an ETag: clients keep it and ask again with If-None-Match.
            etag = config.server_mode and hdrs.ETAG in headers
            headers[hdrs.CACHE_CONTROL] = "private, no-cache" if etag else "no-store"

    return add

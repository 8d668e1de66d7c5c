"""Group server mode (DESIGN "HTTP API", server mode): the one listener serves other machines' daemons.

What changes against the localhost API:

- Only the read-only routes of ``EXPOSED`` are served (realms, a realm's GroupSet, its import string,
  market data); settings, targets, status, refresh, the UI, its login and the events socket do not exist
  here (404 after the token check, so a caller without a token learns nothing about routes).
- No Host check: other machines name this one as they like. Instead every request needs
  ``Authorization: Bearer <token>`` (``tsmsyncd tokens create`` on this machine), checked against the
  database on every request (``sync/server.py``): a revoked token is refused from the next request on.
  The API key of ``daemon.json`` gives no access here.
- Rate limits (``http/ratelimit.py``): one bucket for all requests, checked first (a flood of wrong tokens
  costs no database reads beyond it), then one per token; a refusal is the 429 envelope with
  ``Retry-After``.
- Usage (requests per token, the realms asked for) is counted in memory and written every few seconds and
  at shutdown, never one write per request; the realms asked for are what the server refreshes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from tsmsyncd.config import REGIONS, Settings
from tsmsyncd.http.errors import Refusal
from tsmsyncd.http.ratelimit import Limiter, retry_after
from tsmsyncd.http.route import Handler, Route
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.sync.server import TokenService
from tsmsyncd.wow.flavor import Flavor

__all__ = ["EXPOSED", "ServerMode", "exposed", "limiter_for"]

log = logging.getLogger(__name__)

V1 = "/api/v1"
EXPOSED: frozenset[tuple[str, str]] = frozenset({
    ("GET", f"{V1}/realms"),
    ("GET", f"{V1}/realms/{{region}}"),
    ("GET", f"{V1}/groups/{{realm_id}}"),
    ("GET", f"{V1}/import-string/{{realm_id}}"),
    ("GET", f"{V1}/market-data/{{realm_id}}"),  # the market-data routes, once the table has them
    ("GET", f"{V1}/market-data/{{realm_id}}/raw"),
})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tsmsyncd"'}


def exposed(routes: Sequence[Route]) -> list[Route]:
    """The routes a group server serves: read-only, named in ``EXPOSED``, never a WebSocket."""
    return [r for r in routes if (r.method, r.path) in EXPOSED and not r.websocket]


def limiter_for(settings: Settings) -> Limiter:
    limits = settings.server
    return Limiter(limits.per_token_per_minute / 60, limits.burst, limits.global_per_second, limits.global_burst,
                   clock=time.monotonic)


@dataclass
class ServerMode:
    """What ``build_app`` needs to serve as a group server: the tokens, the limits, the region a bare realm
    id means, and how often usage is written."""

    tokens: TokenService
    limiter: Limiter
    region: str = "us"
    flush_every: float = 2.0
    _flusher: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    def middleware(self) -> Middleware:
        @web.middleware
        async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
            wait = self.limiter.admit()
            if wait:
                raise _busy("this group server is answering too many requests right now", wait)
            check = await self.tokens.check(_bearer(request))
            if check.record is None:
                raise Refusal(401, check.code, check.reason, headers=_CHALLENGE)
            record = check.record
            wait = self.limiter.admit_token(record.id, record.rate, record.burst)
            if wait:
                self.tokens.count(record.id, limited=True)
                raise _busy("too many requests with this token", wait)
            self.tokens.count(record.id, realm=self._realm(request))
            return await handler(request)

        return guard

    def _realm(self, request: web.Request) -> RealmKey | None:
        """The realm a request asks about (groups, import strings, market data), to refresh it for them."""
        raw = request.match_info.get("realm_id", "")
        if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**31:
            return None
        region = request.query.get("region", self.region).lower()
        try:
            flavor = Flavor.parse(request.query.get("flavor") or "retail")
        except ValueError:
            return None
        return RealmKey(region, int(raw), flavor) if region in REGIONS else None

    async def flushing(self, app: web.Application) -> AsyncIterator[None]:
        """The app's cleanup context: usage written every ``flush_every`` seconds, and once more at the end."""
        async def loop() -> None:
            while True:
                await asyncio.sleep(self.flush_every)
                try:
                    await self.tokens.flush()
                except Exception:  # counting must never take the server down; the next round tries again
                    log.exception("writing the tokens' usage failed")

        self._flusher = asyncio.get_running_loop().create_task(loop())
        yield
        self._flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._flusher
        await self.tokens.flush()


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        what = ("the API key gives no access to a group server" if "X-API-Key" in request.headers
                else "this group server needs a token")
        raise Refusal(401, "unauthorized", f"{what}: send Authorization: Bearer <token> (the server's admin "
                      "makes one with `tsmsyncd tokens create NAME`)", headers=_CHALLENGE)
    return token


def _busy(what: str, wait: float) -> Refusal:
    seconds = retry_after(wait)
    return Refusal(429, "rate_limited", f"{what}: try again in {seconds} s", headers={"Retry-After": seconds})

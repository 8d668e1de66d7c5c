"""A faithful fake of Blizzard's WoW Game Data API: a real aiohttp server on 127.0.0.1 with switchable faults.

Owns the HTTP side of the fake: OAuth client credentials, Bearer-only auth, namespace and locale rules, the routes
and their JSON envelopes, ``Last-Modified``/``If-Modified-Since``, gzip, request recording, the publish clock and
fault injection. The market behind the auction routes lives in ``fakemarket.py``; items and realms in ``catalog.py``.
Shapes follow ``docs/reference/blizzard-api.md``; where Blizzard's behaviour is unknown the choice is written down.

Faults (``fault(kind, count=1, path=None, **options)``) hit the next ``count`` matching requests (``None``: until
``clear_faults()``); ``path`` is a substring of the request path, and ``None`` matches every ``/api/`` request but
never the OAuth endpoint. Per request: every matching ``slow`` fault sleeps first (``delay`` seconds), then the
first matching status fault answers (``429`` with optional ``retry_after``, ``500``, ``503``), else the request is
served; a 200 then meets the first matching body fault:

- ``truncated``: by default (``mode="cut"``) the headers promise the full body (Content-Length, gzip when asked)
  and the connection is closed after half of it, so an aiohttp client raises ``ClientPayloadError``;
  ``mode="short"`` instead sends the first half of the JSON with a matching Content-Length (a JSON decode error).
- ``invalid_json``: a 200 whose body is a gateway HTML page, still labelled ``application/json``.
- ``wrong_shape``: valid JSON of the wrong shape. Auction routes: ``variant="auctions_dict"`` (default, ``auctions``
  is an object) or ``variant="no_quantity"`` (the real rows without ``quantity``); other routes answer ``[]``.

``stale`` is not per request: while it is on (``count`` = number of ``advance()`` hours), ``advance()`` publishes
nothing new for the houses whose path matches, so their ``Last-Modified`` stops moving.

``missing_items`` (a set, changeable at any time) holds item ids the item route answers 404 for, as Blizzard does
for some ids that appear in auction dumps; every id the catalog does not know is a 404 too.

``truth(key, hour)`` exposes the market's ground truth (units sold, expired, cancelled per item and hour) to tests
and benchmarks; it is a method, never a route.

Links inside bodies use this server's own base URL, so two servers with the same seed produce the same bytes up to
their port.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import re
import secrets
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

from tsmsyncd.blizzard.catalog import (
    CONNECTED_REALMS,
    ITEMS_BY_ID,
    LOCALES,
    REGION_IDS,
    SYNTHETIC_BASE_ID,
    ConnectedRealm,
    Realm,
    item_document,
    localized_text,
    realm_document,
    synthetic_commodity,
)
from tsmsyncd.blizzard.fakemarket import (
    CLASSIC_HOUSES,
    HourTruth,
    House,
    HouseKey,
    Slots,
    build_slots,
    envelope,
    namespace,
    synthetic_count,
)

__all__ = ["FAULT_KINDS", "FakeBlizzard", "RecordedRequest"]

JSON_TYPE = "application/json;charset=UTF-8"
FAULT_KINDS = ("429", "500", "503", "slow", "truncated", "invalid_json", "wrong_shape", "stale")
_STATUS_FAULTS = ("429", "500", "503")
_BODY_FAULTS = ("truncated", "invalid_json", "wrong_shape")
_REASONS = {401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}
# What an overloaded gateway sends instead of JSON.
_HTML_ERROR = (b"<html><head><title>504 Gateway Time-out</title></head>"
               b"<body><center><h1>504 Gateway Time-out</h1></center></body></html>")
_NAMESPACE = re.compile(r"^(dynamic|static)(?:-(classic1x|classic))?(?:-\d+\.\d+\.\d+_\d+)?-([a-z]{2})$")
_API_PATH = re.compile(r"^/api/([a-z]+)(/.*)$")
_CLASSIC_FLAVORS = ("classic", "classic1x")


@dataclass(slots=True)
class RecordedRequest:
    """One request the fake received; ``status`` is filled in once it has been answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    status: int = 0


@dataclass(slots=True)
class _Fault:
    kind: str
    remaining: int | None
    path: str | None
    options: dict[str, Any]

    def matches(self, path: str) -> bool:
        return path.startswith("/api/") if self.path is None else self.path in path


@dataclass(slots=True)
class _Reply:
    """What a route decided, before faults and encoding turn it into an HTTP response."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bytes | None = None  # the gzip form of a snapshot body, when the client accepts it
    self_href: str | None = None  # set on auction snapshots (wrong_shape needs it)


def _json(status: int, data: Any, **headers: str) -> _Reply:
    return _Reply(status, orjson.dumps(data), dict(headers))


def _api_error(status: int) -> _Reply:
    # The gateway's error body [shape from memory of live responses; UNVERIFIED].
    return _json(status, {"code": status, "type": f"BLZWEBAPI00000{status}", "detail": _REASONS.get(status, "")})


def _extra_realms(count: int) -> tuple[ConnectedRealm, ...]:
    """``count`` single-realm connected realms with ids from 20001 up, for tests that need many houses."""
    if not 0 <= count <= 500:
        raise ValueError(f"extra_realms must be 0..500, got {count!r}")
    return tuple(ConnectedRealm(20_000 + n, "MEDIUM", (Realm(20_000 + n, f"Testrealm {n}", f"testrealm-{n}",
                                                              "America/Chicago", "enUS", "United States"),))
                 for n in range(1, count + 1))


class FakeBlizzard:
    """Blizzard's OAuth and WoW Game Data API on a random loopback port, with a deterministic market."""

    def __init__(
        self,
        *,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",
        seed: int = 1,
        start: datetime = datetime(2026, 11, 24, 12, 26, 0, tzinfo=UTC),
        commodity_rows: int = 3000,
        realm_rows: int = 2000,
        regions: tuple[str, ...] = ("us", "eu"),
        same_hour_sales: bool = False,
        missing_items: Iterable[int] = (),
        extra_realms: int = 0,
    ) -> None:
        unknown = [r for r in regions if r not in CONNECTED_REALMS]
        if unknown or not regions:
            raise ValueError(f"regions must be some of {sorted(CONNECTED_REALMS)}, got {regions!r}")
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        self.client_id, self.client_secret, self.seed = client_id, client_secret, seed
        self.commodity_rows, self.realm_rows, self.regions = commodity_rows, realm_rows, tuple(regions)
        self.same_hour_sales = same_hour_sales  # see fakemarket.House
        self.missing_items: set[int] = set(missing_items)  # the item route's 404s
        # The catalogue's real connected realms, and for load tests ``extra_realms`` made-up ones in the first region.
        self.connected = {region: CONNECTED_REALMS[region] for region in regions}
        self.connected[regions[0]] += _extra_realms(extra_realms)
        self.base_url = "http://127.0.0.1:0"  # the real port is known after start()
        self.requests: list[RecordedRequest] = []
        self._start = start.astimezone(UTC)
        self._clock = 0  # hours since start; advance() moves it, publishing follows unless stale
        self._published: dict[HouseKey, int] = {key: 0 for key in self._all_houses()}
        self._houses: dict[HouseKey, House] = {}
        self._slots: dict[tuple[str, str, str], Slots] = {}
        self._bodies: dict[HouseKey, tuple[tuple[int, str | None], bytes, bytes | None]] = {}
        # Market work runs in a worker thread (a 700k-row snapshot takes ~1 s) so the loop keeps serving.
        self._market_lock = threading.Lock()
        self._tokens: set[str] = set()
        self._faults: list[_Fault] = []
        self._runner: web.AppRunner | None = None

    # ---- lifecycle ----------------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=1024**2)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # Short shutdown: a test that leaves a "slow" request hanging must not stall close().
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBlizzard:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/{region}"

    @property
    def oauth_url(self) -> str:
        return self.base_url + "/oauth/token"

    # ---- the clock ----------------------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The publish time of the newest snapshot anywhere in the fake."""
        return self._start + timedelta(hours=max(self._published.values()))

    def advance(self, hours: int = 1) -> None:
        """An hour passes, ``hours`` times: every house publishes a new snapshot unless a stale fault holds it."""
        if hours < 0:
            raise ValueError("the market only moves forward")
        for _ in range(hours):
            self._clock += 1
            stale = [f for f in self._faults if f.kind == "stale"]
            for key in self._published:
                if not any(f.path is None or f.path in self._house_path(key) for f in stale):
                    self._published[key] = self._clock
            for f in stale:
                self._consume(f)

    def _published_at(self, key: HouseKey) -> datetime:
        return self._start + timedelta(hours=self._published[key])

    # ---- faults and tokens --------------------------------------------------------------------------------------

    def fault(self, kind: str, *, count: int | None = 1, path: str | None = None, **options: Any) -> None:
        """Arm a fault (see the module docstring for kinds and options)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if count is not None and count < 1:
            raise ValueError("count must be a positive number or None (until cleared)")
        self._faults.append(_Fault(kind, count, path, dict(options)))

    def clear_faults(self) -> None:
        self._faults.clear()

    def expire_tokens(self) -> None:
        """Every token issued so far is revoked (401 from now on); new ones can be requested."""
        self._tokens.clear()

    def _consume(self, fault: _Fault) -> None:
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)

    def _take(self, kinds: tuple[str, ...], path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.kind in kinds and fault.matches(path):
                self._consume(fault)
                return fault
        return None

    # ---- public helpers for tests and benchmarks ----------------------------------------------------------------

    def realm_ids(self, region: str) -> list[int]:
        self._check_region(region)
        return [cr.id for cr in self.connected[region]]

    def commodities_body(self, region: str = "us") -> bytes:
        """The exact (uncompressed) bytes the commodities endpoint serves now."""
        self._check_region(region)
        key = HouseKey("commodities", region)
        return self._snapshot(key, self._published[key], None, False)[0]

    def truth(self, key: HouseKey, hour: int | None = None) -> HourTruth:
        """What really happened in ``key``'s house in the hour that ended at snapshot ``hour`` (hours since start;
        default: its newest published one). For tests and benchmarks only: no route serves it."""
        self._check_region(key.region)
        if key not in self._published:
            raise ValueError(f"{key} is not an auction house of this fake")
        with self._market_lock:
            return self._house(key).truth(self._published[key] if hour is None else hour)

    def _check_region(self, region: str) -> None:
        if region not in self.regions:
            raise ValueError(f"region {region!r} is not served by this fake (regions={self.regions})")

    # ---- the market ---------------------------------------------------------------------------------------------

    def _all_houses(self) -> list[HouseKey]:
        keys = []
        for region in self.regions:
            keys.append(HouseKey("commodities", region))
            for cr in self.connected[region]:
                keys.append(HouseKey("realm", region, "retail", cr.id))
                keys += [HouseKey("classic", region, f, cr.id, h) for f in _CLASSIC_FLAVORS for h in CLASSIC_HOUSES]
        return keys

    def _house_path(self, key: HouseKey) -> str:
        if key.kind == "commodities":
            return f"/api/{key.region}/data/wow/auctions/commodities"
        tail = f"/{key.house}" if key.kind == "classic" else ""
        return f"/api/{key.region}/data/wow/connected-realm/{key.realm}/auctions{tail}"

    def _house(self, key: HouseKey) -> House:
        house = self._houses.get(key)
        if house is None:
            rows = self.commodity_rows if key.kind == "commodities" else self.realm_rows
            if key.kind == "classic" and key.house == 7:
                rows = max(1, rows // 5)  # the neutral house is a backwater
            slot_key = (key.kind, key.region, key.flavor)
            if slot_key not in self._slots:
                self._slots[slot_key] = build_slots(self.seed, key, rows)
            house = self._houses[key] = House(self.seed, key, rows, self._slots[slot_key],
                                              same_hour_sales=self.same_hour_sales)
        return house

    def _snapshot(self, key: HouseKey, hour: int, locale: str | None, want_gzip: bool) -> tuple[bytes, bytes | None]:
        """The full body of ``key`` at ``hour`` (and its gzip form when asked), cached per hour."""
        with self._market_lock:
            variant = (hour, locale if key.kind == "classic" else None)
            cached = self._bodies.get(key)
            if cached is None or cached[0] != variant:
                house = self._house(key)
                house.advance_to(hour)
                house_name = localized_text(CLASSIC_HOUSES[key.house], locale) if key.kind == "classic" else None
                cached = (variant, envelope(key, house.rows_json(), self._api(key.region), house_name), None)
            if want_gzip and cached[2] is None:
                # Level 1: 5x smaller at a third of the default level's cost; Blizzard's level is unknown.
                cached = (cached[0], cached[1], _gzip(cached[1]))
            self._bodies[key] = cached
            return cached[1], (cached[2] if want_gzip else None)

    def _api(self, region: str) -> str:
        return f"{self.base_url}/api/{region}"

    # ---- HTTP ---------------------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        record = RecordedRequest(request.method, request.path, dict(request.query), CIMultiDict(request.headers))
        self.requests.append(record)
        try:
            response = await self._respond(request)
        except BaseException:
            record.status = 500
            raise
        record.status = response.status
        return response

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        slow = [f for f in self._faults if f.kind == "slow" and f.matches(path)]
        for fault in slow:
            self._consume(fault)
        if slow:
            await asyncio.sleep(sum(float(f.options.get("delay", 1.0)) for f in slow))
        status_fault = self._take(_STATUS_FAULTS, path)
        if status_fault is not None:
            reply = _api_error(int(status_fault.kind))
            retry_after = status_fault.options.get("retry_after")
            if status_fault.kind == "429" and retry_after is not None:
                # Fractions are sent as decimals (not RFC-valid) so tests can use sub-second waits.
                reply.headers["Retry-After"] = f"{float(retry_after):g}"
            return self._render(request, reply)
        reply = await self._route(request)
        if reply.status == 200 and (body_fault := self._take(_BODY_FAULTS, path)) is not None:
            return await self._faulty(request, reply, body_fault)
        return self._render(request, reply)

    def _render(self, request: web.Request, reply: _Reply) -> web.Response:
        if reply.status == 304:
            return web.Response(status=304, headers=reply.headers)
        headers = {"Content-Type": JSON_TYPE, **reply.headers}
        body = reply.body
        if reply.gzip is not None:
            body = reply.gzip
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        return web.Response(status=reply.status, body=body, headers=headers)

    async def _faulty(self, request: web.Request, reply: _Reply, fault: _Fault) -> web.StreamResponse:
        if fault.kind == "invalid_json":
            return self._render(request, _Reply(200, fault.options.get("body", _HTML_ERROR), reply.headers))
        if fault.kind == "wrong_shape":
            return self._render(request, _Reply(200, _wrong_shape(reply, fault.options), reply.headers))
        if fault.options.get("mode", "cut") == "short":
            return self._render(request, _Reply(200, reply.body[: len(reply.body) // 2], reply.headers))
        # "cut": promise the whole body, send half, then drop the connection as a failing proxy would.
        headers = {"Content-Type": JSON_TYPE, **reply.headers}
        body = reply.body
        if reply.gzip is not None:
            body = reply.gzip
            headers["Content-Encoding"] = "gzip"
        response = web.StreamResponse(status=200, headers=headers)
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.close()
        return response

    async def _route(self, request: web.Request) -> _Reply:
        if request.path == "/oauth/token":
            return await self._oauth(request)
        match = _API_PATH.match(request.path)
        if match is None or match.group(1) not in self.regions:
            return _api_error(404)
        region, rest = match.groups()
        if request.method != "GET":
            return _api_error(405)
        if not self._authorized(request):
            return _api_error(401)
        for pattern, families, handler in self._routes:
            if (m := pattern.match(rest)) is None:
                continue
            flavor = self._check_namespace(request, region, families)
            if flavor is None:
                return _api_error(404)
            locale = request.query.get("locale")
            return await handler(self, request, region, flavor, locale if locale in LOCALES else None, *m.groups())
        return _api_error(404)

    def _authorized(self, request: web.Request) -> bool:
        # Since the 2024 gateway change a query-string token is refused even when it is valid.
        if "access_token" in request.query:
            return False
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token.strip() in self._tokens

    @staticmethod
    def _check_namespace(request: web.Request, region: str, families: tuple[str, ...]) -> str | None:
        """The flavor ("retail", "classic", "classic1x") if the namespace fits the route and host, else None."""
        requested = request.headers.get("Battlenet-Namespace") or request.query.get("namespace") or ""
        m = _NAMESPACE.match(requested)
        if m is None or m.group(3) != region:
            return None
        family, flavor = m.group(1), m.group(2) or "retail"
        return flavor if f"{family}-{flavor}" in families else None

    async def _oauth(self, request: web.Request) -> _Reply:
        if request.method != "POST":
            # Blizzard answers GET with 400 (reference §1, blizzard.js #121).
            return _json(400, {"error": "invalid_request", "error_description": "Token requests must use POST"})
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}  # uploads are not fields
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if "Authorization" in request.headers:
            client_id, client_secret = _basic_credentials(request.headers["Authorization"])
        if client_id != self.client_id or client_secret != self.client_secret:
            return _json(401, {"error": "invalid_client", "error_description": "Bad client credentials"})
        grant_type = form.get("grant_type") or request.query.get("grant_type")
        if not grant_type:
            return _json(400, {"error": "invalid_request", "error_description": "Missing grant type"})
        if grant_type != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type",
                               "error_description": f"Unsupported grant type: {grant_type}"})
        token = "US" + secrets.token_hex(16)
        self._tokens.add(token)
        return _json(200, {"access_token": token, "token_type": "bearer", "expires_in": 86399, "sub": self.client_id})

    # ---- routes -------------------------------------------------------------------------------------------------

    async def _realm_index(self, request: web.Request, region: str, flavor: str, locale: str | None) -> _Reply:
        ns, base = namespace("dynamic", flavor, region), self._api(region)
        realms = [{"href": f"{base}/data/wow/connected-realm/{cr.id}?namespace={ns}"}
                  for cr in self.connected[region]]
        # The trailing slash in the self link is Blizzard's.
        return _json(200, {"_links": {"self": {"href": f"{base}/data/wow/connected-realm/?namespace={ns}"}},
                           "connected_realms": realms})

    async def _realm(self, request: web.Request, region: str, flavor: str, locale: str | None, cr_id: str) -> _Reply:
        cr = self._connected_realm(region, cr_id)
        if cr is None:
            return _api_error(404)
        ns = namespace("dynamic", flavor, region)
        return _json(200, realm_document(cr, region, self._api(region), ns, locale, classic=flavor != "retail"))

    async def _auctions(self, request: web.Request, region: str, flavor: str, locale: str | None, cr_id: str) -> _Reply:
        if self._connected_realm(region, cr_id) is None:
            return _api_error(404)
        return await self._serve_snapshot(request, HouseKey("realm", region, "retail", int(cr_id)), locale)

    async def _commodities(self, request: web.Request, region: str, flavor: str, locale: str | None) -> _Reply:
        return await self._serve_snapshot(request, HouseKey("commodities", region), locale)

    async def _classic_index(
        self, request: web.Request, region: str, flavor: str, locale: str | None, cr_id: str
    ) -> _Reply:
        if self._connected_realm(region, cr_id) is None:
            return _api_error(404)
        ns, base = namespace("dynamic", flavor, region), self._api(region)
        houses = [{"key": {"href": f"{base}/data/wow/connected-realm/{cr_id}/auctions/{h}?namespace={ns}"},
                   "name": localized_text(name, locale), "id": h} for h, name in CLASSIC_HOUSES.items()]
        self_href = f"{base}/data/wow/connected-realm/{cr_id}/auctions/index?namespace={ns}"
        return _json(200, {"_links": {"self": {"href": self_href}}, "auctions": houses})

    async def _classic_house(
        self, request: web.Request, region: str, flavor: str, locale: str | None, cr_id: str, house: str
    ) -> _Reply:
        if self._connected_realm(region, cr_id) is None or int(house) not in CLASSIC_HOUSES:
            return _api_error(404)
        return await self._serve_snapshot(request, HouseKey("classic", region, flavor, int(cr_id), int(house)), locale)

    async def _item(self, request: web.Request, region: str, flavor: str, locale: str | None, item_id: str) -> _Reply:
        if int(item_id) in self.missing_items:
            return _api_error(404)
        item = ITEMS_BY_ID.get(int(item_id))
        # Generated commodities exist only when the fake runs at scale (see fakemarket.synthetic_count).
        if item is None and 0 <= int(item_id) - SYNTHETIC_BASE_ID < synthetic_count(self.commodity_rows):
            item = synthetic_commodity(int(item_id) - SYNTHETIC_BASE_ID)
        if item is None:
            return _api_error(404)
        return _json(200, item_document(item, self._api(region), namespace("static", flavor, region), locale))

    async def _token(self, request: web.Request, region: str, flavor: str, locale: str | None) -> _Reply:
        ns, base = namespace("dynamic", flavor, region), self._api(region)
        # A WoW Token price that wanders with the clock (copper, whole gold like the real one).
        price = (250_000 + (self._clock * 7919 + self.seed * 104_729 + REGION_IDS[region] * 31) % 40_000) * 10_000
        return _json(200, {"_links": {"self": {"href": f"{base}/data/wow/token/?namespace={ns}"}},
                           "last_updated_timestamp": int(self.now.timestamp() * 1000), "price": price})

    async def _serve_snapshot(self, request: web.Request, key: HouseKey, locale: str | None) -> _Reply:
        hour = self._published[key]
        published = self._published_at(key)
        last_modified = email.utils.format_datetime(published, usegmt=True)
        since = _parse_http_date(request.headers.get("If-Modified-Since"))
        if since is not None and since >= published:
            return _Reply(304, headers={"Last-Modified": last_modified})
        # gzip (level 1, cached per snapshot) only for clients that ask, as Blizzard's CDN does.
        want_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        body, gz = await asyncio.to_thread(self._snapshot, key, hour, locale, want_gzip)
        ns = namespace("dynamic", key.flavor, key.region)
        self_href = f"{self.base_url}{self._house_path(key)}?namespace={ns}"
        return _Reply(200, body, {"Last-Modified": last_modified}, gzip=gz, self_href=self_href)

    def _connected_realm(self, region: str, cr_id: str) -> ConnectedRealm | None:
        return next((cr for cr in self.connected[region] if cr.id == int(cr_id)), None)

    _Handler = Callable[..., Awaitable[_Reply]]
    _DYNAMIC_ALL = ("dynamic-retail", "dynamic-classic", "dynamic-classic1x")
    _routes: tuple[tuple[re.Pattern[str], tuple[str, ...], _Handler], ...] = (
        (re.compile(r"^/data/wow/connected-realm/index$"), _DYNAMIC_ALL, _realm_index),
        (re.compile(r"^/data/wow/connected-realm/(\d+)$"), _DYNAMIC_ALL, _realm),
        (re.compile(r"^/data/wow/connected-realm/(\d+)/auctions$"), ("dynamic-retail",), _auctions),
        (re.compile(r"^/data/wow/connected-realm/(\d+)/auctions/index$"),
         ("dynamic-classic", "dynamic-classic1x"), _classic_index),
        (re.compile(r"^/data/wow/connected-realm/(\d+)/auctions/(\d+)$"),
         ("dynamic-classic", "dynamic-classic1x"), _classic_house),
        (re.compile(r"^/data/wow/auctions/commodities$"), ("dynamic-retail",), _commodities),
        (re.compile(r"^/data/wow/item/(\d+)$"), ("static-retail", "static-classic", "static-classic1x"), _item),
        (re.compile(r"^/data/wow/token/index$"), ("dynamic-retail",), _token),
    )


def _basic_credentials(header: str) -> tuple[str | None, str | None]:
    # Decoded by hand: aiohttp 3.14 deprecates BasicAuth, and the suite turns warnings into errors.
    scheme, _, encoded = header.partition(" ")
    try:
        login, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return (login, password) if scheme.lower() == "basic" and sep else (None, None)


def _gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # wbits 31: gzip container
    return compressor.compress(data) + compressor.flush()


def _parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None  # an unreadable date is ignored, as HTTP says
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _wrong_shape(reply: _Reply, options: dict[str, Any]) -> bytes:
    if reply.self_href is None:
        return b"[]"  # not an auction route: an array where an object belongs
    if options.get("variant", "auctions_dict") == "no_quantity":
        return re.sub(rb'"quantity":\d+,', b"", reply.body)
    links = orjson.dumps({"_links": {"self": {"href": reply.self_href}}})
    return links[:-1] + b',"auctions":{"id":1,"item":{"id":2447},"quantity":1,"unit_price":100,"time_left":"SHORT"}}'

"""Blizzard's WoW Game Data API, as the daemon needs it: OAuth, realms, auctions, commodities, items.

One seam, ``_get``, owns everything that makes the client polite and robust — the OAuth token (cached
until shortly before it expires; on a 401 one new token and one retry), the rate limiter, retries with
backoff (429 with or without ``Retry-After``, 5xx, timeouts, cut-off bodies), the body-size cap and
conditional GETs — so no caller ever retries, sleeps or touches a token (reference §1-§4).

The token only ever travels in ``Authorization: Bearer`` (the query parameter stopped working in 2024);
the namespace in ``Battlenet-Namespace``. Neither the token nor the client secret appears in any log line,
error message or ``repr``. Snapshots are identified by their ``Last-Modified`` header, never fetch time.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import partial
from time import monotonic
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import orjson

from tsmsyncd.blizzard.ratelimit import RateLimiter, RetryPolicy, Slot
from tsmsyncd.config import DEFAULT_API_URL, DEFAULT_OAUTH_URL, check_region
from tsmsyncd.errors import ApiError, CredentialsError, SettingsError, SnapshotError
from tsmsyncd.wow.flavor import Flavor

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_OAUTH_URL",
    "BlizzardClient",
    "Credentials",
    "Fetched",
    "ItemDoc",
    "RealmDoc",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

LOCALES = {"us": "en_US", "eu": "en_GB", "kr": "ko_KR", "tw": "zh_TW"}
CLASSIC_HOUSES = {2: "Alliance", 6: "Horde", 7: "Neutral"}
MAX_BODY = 512 * 2**20  # a region's commodities are tens of MB; anything near this is not an auction dump
TOKEN_MARGIN = 300.0  # renew this many seconds before the token expires
_REALM_HREF = re.compile(r"/connected-realm/(\d+)")


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.client_id.strip():
            raise SettingsError("client_id", "is empty; create a client at develop.battle.net")
        if not self.client_secret.strip():
            raise SettingsError("client_secret", "is empty; copy it from develop.battle.net")


@dataclass(frozen=True)
class Fetched:
    """One conditional GET of a snapshot: a new body, or ``not_modified`` (HTTP 304)."""

    not_modified: bool
    body: bytes = field(default=b"", repr=False)
    last_modified: str | None = None  # the header exactly as sent; it goes back in If-Modified-Since

    @property
    def last_modified_at(self) -> datetime | None:
        if not self.last_modified:
            return None
        try:
            return parsedate_to_datetime(self.last_modified)
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class RealmDoc:
    connected_realm_id: int
    realm_id: int
    name: str  # in the region's main locale
    slug: str
    timezone: str
    locale: str
    names: tuple[str, ...] = ()  # every localized name, ``name`` first: a zhCN or ruRU client shows those


@dataclass(frozen=True)
class ItemDoc:
    item_id: int
    name: str
    quality: str
    item_class: int
    item_subclass: int
    vendor_sell: int
    level: int = 0  # the base item level (bonus ids may raise it on a listing)


class _Retry(Exception):
    """A failure worth another try; ``message`` is what the player sees if none is left."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


class BlizzardClient:
    """Async client; owns no session (the composition root does) and shares one token across regions."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: Credentials,
        *,
        api_url: str = DEFAULT_API_URL,
        oauth_url: str = DEFAULT_OAUTH_URL,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        max_body: int = MAX_BODY,
        clock: Any = monotonic,
        sleep: Any = asyncio.sleep,
    ) -> None:
        self._session, self._credentials = session, credentials
        self._api_url, self._oauth_url = api_url.rstrip("/"), oauth_url
        self._limiter = limiter or RateLimiter(margin=0.05, clock=clock, sleep=sleep)
        self._retry = retry or RetryPolicy()
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_body, self._clock, self._sleep = max_body, clock, sleep
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"BlizzardClient(client_id={self._credentials.client_id!r}, api_url={self._api_url!r})"

    # -- endpoints -------------------------------------------------------------------------------------

    async def connected_realm_ids(self, region: str, flavor: Flavor | str = Flavor.RETAIL) -> list[int]:
        doc = await self._json(region, "/data/wow/connected-realm/index", _ns("dynamic", region, flavor))
        refs = _field(doc, "connected_realms", list)
        ids = sorted({int(m.group(1)) for ref in refs if (m := _REALM_HREF.search(str(_href(ref))))})
        if refs and not ids:
            raise SnapshotError("connected realm index: no realm ids in connected_realms[].href")
        return ids

    async def connected_realm(
        self, region: str, connected_realm_id: int, flavor: Flavor | str = Flavor.RETAIL
    ) -> list[RealmDoc]:
        locale = LOCALES[region]
        # No locale asked: names come in every locale, so a realm a client shows in Russian still matches.
        doc = await self._json(region, f"/data/wow/connected-realm/{connected_realm_id}",
                               _ns("dynamic", region, flavor))
        realms = []
        for i, realm in enumerate(_field(doc, "realms", list)):
            where = f"connected realm {connected_realm_id}: realms[{i}]"
            raw = _field(realm, "name", (str, dict), where)
            name = _text(raw, locale)
            others = [str(v) for v in raw.values() if isinstance(v, str)] if isinstance(raw, dict) else []
            realms.append(RealmDoc(
                connected_realm_id, _field(realm, "id", int, where), name, _field(realm, "slug", str, where),
                _field(realm, "timezone", str, where), str(realm.get("locale", "")),
                tuple(dict.fromkeys([name, *others])),
            ))
        return realms

    async def realm_auctions(self, region: str, connected_realm_id: int, since: str | None = None) -> Fetched:
        path = f"/data/wow/connected-realm/{connected_realm_id}/auctions"
        return await self._get(region, path, _ns("dynamic", region, "retail"), since=since)

    async def commodities(self, region: str, since: str | None = None) -> Fetched:
        return await self._get(region, "/data/wow/auctions/commodities", _ns("dynamic", region, "retail"), since=since)

    async def classic_houses(self, region: str, connected_realm_id: int, flavor: Flavor | str) -> dict[int, str]:
        doc = await self._json(region, f"/data/wow/connected-realm/{connected_realm_id}/auctions/index",
                               _ns("dynamic", region, flavor), locale=LOCALES[region])
        houses = {}
        for i, house in enumerate(_field(doc, "auctions", list)):
            where = f"auction houses[{i}]"
            houses[_field(house, "id", int, where)] = _text(house.get("name", ""), LOCALES[region])
        return houses or dict(CLASSIC_HOUSES)

    async def classic_auctions(
        self, region: str, connected_realm_id: int, house_id: int, flavor: Flavor | str, since: str | None = None
    ) -> Fetched:
        path = f"/data/wow/connected-realm/{connected_realm_id}/auctions/{house_id}"
        return await self._get(region, path, _ns("dynamic", region, flavor), since=since)

    async def item(self, region: str, item_id: int, flavor: Flavor | str = Flavor.RETAIL) -> ItemDoc:
        locale = LOCALES[region]
        doc = await self._json(region, f"/data/wow/item/{item_id}", _ns("static", region, flavor), locale=locale)
        where = f"item {item_id}"
        quality = _field(doc, "quality", dict, where)
        return ItemDoc(
            item_id,
            _text(_field(doc, "name", (str, dict), where), locale),
            str(quality.get("type", "")),
            _field(_field(doc, "item_class", dict, where), "id", int, where + " item_class"),
            _field(_field(doc, "item_subclass", dict, where), "id", int, where + " item_subclass"),
            int(doc.get("sell_price", 0) or 0),
            int(doc.get("level", 0) or 0) if isinstance(doc.get("level", 0), int) else 0,
        )

    # -- the seam --------------------------------------------------------------------------------------

    async def _json(self, region: str, path: str, namespace: str, locale: str | None = None) -> dict[str, Any]:
        fetched = await self._get(region, path, namespace, locale=locale)
        try:
            doc = orjson.loads(fetched.body)
        except orjson.JSONDecodeError as exc:
            raise SnapshotError(f"{path}: the response is not valid JSON (cut off?): {exc}") from exc
        if not isinstance(doc, dict):
            raise SnapshotError(f"{path}: expected a JSON object, got {type(doc).__name__}")
        return doc

    async def _get(
        self, region: str, path: str, namespace: str, *, since: str | None = None, locale: str | None = None
    ) -> Fetched:
        """GET ``path`` on the region's host with every politeness rule applied; see the module docstring."""
        url = self._api_url.replace("{region}", check_region(region)) + path
        params = {"locale": locale} if locale else {}
        renewed = False
        while True:
            headers = {"Authorization": f"Bearer {await self._bearer()}", "Battlenet-Namespace": namespace}
            if since:
                headers["If-Modified-Since"] = since  # exactly as Blizzard sent it (a future date empties the body)
            try:
                return await self._retrying(path, partial(self._once, url, path, headers, params))
            except _Unauthorized:
                if renewed:
                    raise CredentialsError(f"Blizzard keeps refusing fresh tokens for {path} (HTTP 401)") from None
                renewed = True
                self._token = None  # one new token and one more try, which is not counted as a retry

    async def _retrying(self, what: str, once: Callable[[Slot], Awaitable[T]]) -> T:
        """Run one request under the rate limiter, again after a retryable failure, at most
        ``RetryPolicy.attempts`` times; the waits come from the policy (``Retry-After`` first)."""
        attempt = 1
        while True:
            try:
                async with self._limiter.slot() as slot:
                    return await once(slot)
            except _Retry as failure:
                if attempt >= self._retry.attempts:
                    raise ApiError(f"{what}: {failure} (gave up after {attempt} tries)", failure.status) from None
                wait = self._retry.delay(attempt, failure.retry_after)
                log.info("%s: %s; retry %d in %.1f s", what, failure, attempt, wait)
                await self._sleep(wait)
                attempt += 1

    async def _once(
        self, url: str, path: str, headers: dict[str, str], params: Mapping[str, str], slot: Slot
    ) -> Fetched:
        try:
            async with self._session.get(url, headers=headers, params=params, timeout=self._timeout) as resp:
                slot.mark()  # the response is here, so the request has started: the limiter may count from now
                status = resp.status
                if status == 304:
                    return Fetched(True, b"", resp.headers.get("Last-Modified") or headers.get("If-Modified-Since"))
                if status == 401:
                    raise _Unauthorized
                if status == 429:
                    raise _Retry("rate limited by Blizzard (HTTP 429)", 429, _retry_after(resp.headers))
                if status >= 500:
                    raise _Retry(f"Blizzard's server failed (HTTP {status})", status)
                if status == 404:
                    raise ApiError(f"{path}: not found (HTTP 404); wrong realm id, region or namespace?", 404)
                if status != 200:
                    raise ApiError(f"{path}: unexpected HTTP {status}", status)
                body = await self._read(resp, path)
                return Fetched(False, body, resp.headers.get("Last-Modified"))
        except _TRANSPORT as exc:
            raise _transport_failure(url, exc) from exc

    async def _read(self, resp: aiohttp.ClientResponse, path: str) -> bytes:
        if resp.content_length is not None and resp.content_length > self._max_body:
            size = resp.content_length
            raise ApiError(f"{path}: the response is {size:,} bytes, over the {self._max_body:,}-byte cap")
        chunks, size = [], 0
        async for chunk in resp.content.iter_chunked(1 << 20):
            size += len(chunk)
            if size > self._max_body:
                raise ApiError(f"{path}: the response is over the {self._max_body:,}-byte cap")
            chunks.append(chunk)
        return b"".join(chunks)

    async def check_credentials(self) -> float:
        """Ask Blizzard for a token now (the setup's live check): seconds it stays valid, or
        ``CredentialsError`` when Blizzard refuses the client id/secret."""
        await self._bearer()
        return max(float(self._token_expires - self._clock()), 0.0)

    async def _bearer(self) -> str:
        async with self._token_lock:  # concurrent requests share one token request
            if self._token is None or self._clock() >= self._token_expires:
                token, lifetime = await self._retrying("the token request", self._token_once)
                self._token = token
                self._token_expires = self._clock() + max(lifetime - TOKEN_MARGIN, lifetime / 2)
            return self._token

    async def _token_once(self, slot: Slot) -> tuple[str, float]:
        pair = f"{self._credentials.client_id}:{self._credentials.client_secret}".encode()
        auth = {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        url = self._oauth_url
        try:
            async with self._session.post(url, headers=auth, data={"grant_type": "client_credentials"},
                                          timeout=self._timeout) as resp:
                slot.mark()
                if resp.status in (400, 401, 403):
                    raise CredentialsError(f"Blizzard refused the client id/secret (HTTP {resp.status}); "
                                           "check them at develop.battle.net")
                if resp.status == 429 or resp.status >= 500:
                    raise _Retry(f"HTTP {resp.status}", resp.status,
                                 _retry_after(resp.headers) if resp.status == 429 else None)
                if resp.status != 200:
                    raise ApiError(f"the token request: unexpected HTTP {resp.status}", resp.status)
                return _token_of(await resp.read())
        except _TRANSPORT as exc:
            raise _transport_failure(url, exc) from exc


_TRANSPORT = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError)


def _transport_failure(url: str, exc: BaseException) -> _Retry:
    """aiohttp's transport errors, translated once: each is worth another try, said in the player's words."""
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)):
        return _Retry(f"the response was cut off ({type(exc).__name__})")
    if isinstance(exc, TimeoutError):
        return _Retry(f"{_host(url)} did not answer in time")
    assert isinstance(exc, aiohttp.ClientConnectionError)
    return _Retry(f"could not connect to {_host(url)} ({_reason(exc)})")


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _reason(exc: aiohttp.ClientConnectionError) -> str:
    """Why a connection failed, in words: the OS's reason (refused, unreachable, no such host)."""
    cause = getattr(exc, "os_error", None) or exc.__cause__
    text = getattr(cause, "strerror", None) or str(cause or "") or type(exc).__name__
    return " ".join(str(text).split())[:120]


class _Unauthorized(Exception):
    pass


def _token_of(body: bytes) -> tuple[str, float]:
    try:
        doc = orjson.loads(body)
        token, lifetime = doc["access_token"], doc["expires_in"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise SnapshotError("the token response lacks access_token/expires_in") from exc
    if not isinstance(token, str) or not token or not isinstance(lifetime, (int, float)) or lifetime <= 0:
        raise SnapshotError("the token response has an invalid access_token or expires_in")
    return token, float(lifetime)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(when.tzinfo)).total_seconds())


def _ns(kind: str, region: str, flavor: Flavor | str) -> str:
    """Blizzard's namespace (reference §2): ``dynamic-us``, ``static-classic1x-eu``..."""
    try:
        return Flavor.parse(flavor).namespace(kind, region)
    except ValueError as exc:
        raise SettingsError("flavor", str(exc).removeprefix("flavor: ")) from exc


def _field(doc: object, name: str, kind: type | tuple[type, ...], where: str = "response") -> Any:
    value = doc.get(name) if isinstance(doc, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SnapshotError(f"{where}: field {name!r} is missing or not {_kind_name(kind)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", str: "text", list: "a list", dict: "an object"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _href(ref: object) -> object:
    return ref.get("href") if isinstance(ref, dict) else None


def _text(value: object, locale: str) -> str:
    """A localized string: plain with ``?locale=``, else an object keyed by locale (reference §2)."""
    if isinstance(value, dict):
        return str(value.get(locale) or value.get("en_US") or next(iter(value.values()), ""))
    return str(value)

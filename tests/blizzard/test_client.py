"""The Blizzard client against the fake Blizzard server over loopback: tokens, headers, conditional GETs,
every fault the fake can throw, the rate limit, and secrets that never reach a log or a message."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tsmsyncd.blizzard.client import BlizzardClient, Credentials
from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.blizzard.ratelimit import RateLimiter, RetryPolicy
from tsmsyncd.errors import ApiError, CredentialsError, SettingsError, SnapshotError

SECRET = "fake-client-secret"


class Sleeps:
    """Records every wait the client asks for and waits only a moment, so retries are fast and visible."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(min(seconds, 0.01))


@pytest.fixture
async def fake() -> AsyncIterator[FakeBlizzard]:
    async with FakeBlizzard() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def client(fake: FakeBlizzard, session: aiohttp.ClientSession, sleeps: Sleeps | None = None, **kw) -> BlizzardClient:
    sleeps = sleeps or Sleeps()
    return BlizzardClient(
        session, kw.pop("credentials", Credentials("fake-client-id", SECRET)),
        api_url=fake.api_url, oauth_url=fake.oauth_url,
        retry=kw.pop("retry", RetryPolicy(jitter=lambda low, high: high)), sleep=sleeps, **kw,
    )


def token_requests(fake: FakeBlizzard) -> int:
    return sum(r.path == "/oauth/token" for r in fake.requests)


def api_requests(fake: FakeBlizzard) -> list:
    return [r for r in fake.requests if r.path.startswith("/api/")]


async def test_one_token_serves_many_requests_and_travels_only_as_a_bearer_header(fake, session) -> None:
    c = client(fake, session)
    await asyncio.gather(c.connected_realm_ids("us"), c.commodities("us"), c.connected_realm_ids("eu"))
    assert token_requests(fake) == 1
    for request in api_requests(fake):
        assert request.headers["Authorization"].startswith("Bearer ")
        assert "access_token" not in request.query
    namespaces = {r.path: r.headers["Battlenet-Namespace"] for r in api_requests(fake)}
    assert namespaces["/api/us/data/wow/auctions/commodities"] == "dynamic-us"
    assert namespaces["/api/eu/data/wow/connected-realm/index"] == "dynamic-eu"


async def test_the_token_is_renewed_shortly_before_it_expires(fake, session) -> None:
    now = [1000.0]
    c = client(fake, session, clock=lambda: now[0])
    await c.connected_realm_ids("us")
    now[0] += 86399 - 600  # well inside the token's life
    await c.connected_realm_ids("us")
    assert token_requests(fake) == 1
    now[0] += 400  # within five minutes of expiry
    await c.connected_realm_ids("us")
    assert token_requests(fake) == 2


async def test_a_revoked_token_gets_one_new_token_and_one_retry(fake, session) -> None:
    c = client(fake, session)
    await c.connected_realm_ids("us")
    fake.expire_tokens()
    assert await c.connected_realm_ids("us")
    assert token_requests(fake) == 2
    assert [r.status for r in api_requests(fake)] == [200, 401, 200]


async def test_bad_credentials_are_refused_with_a_message_that_keeps_the_secret(fake, session) -> None:
    c = client(fake, session, credentials=Credentials("fake-client-id", "wrong-secret"))
    with pytest.raises(CredentialsError, match="refused the client id/secret") as err:
        await c.commodities("us")
    assert "wrong-secret" not in str(err.value) and "wrong-secret" not in repr(c)
    assert "wrong-secret" not in repr(Credentials("x", "wrong-secret"))


async def test_a_snapshot_is_fetched_once_then_not_modified(fake, session) -> None:
    c = client(fake, session)
    first = await c.commodities("us")
    assert not first.not_modified and first.body.startswith(b"{") and first.last_modified_at == fake.now
    again = await c.commodities("us", since=first.last_modified)
    assert again.not_modified and again.body == b""
    assert api_requests(fake)[-1].headers["If-Modified-Since"] == first.last_modified
    fake.advance()
    newer = await c.commodities("us", since=first.last_modified)
    assert not newer.not_modified and newer.last_modified_at == fake.now > first.last_modified_at


@pytest.mark.parametrize("retry_after", [3.0, None])
async def test_429_waits_as_told_or_backs_off_then_succeeds(fake, session, retry_after) -> None:
    sleeps = Sleeps()
    fake.fault("429", count=2, retry_after=retry_after)
    fetched = await client(fake, session, sleeps).commodities("us")
    assert not fetched.not_modified
    assert sleeps.waits == ([3.0, 3.0] if retry_after else [1.0, 2.0])  # Retry-After wins, else 1 s, 2 s...


@pytest.mark.parametrize("kind", ["500", "503", "truncated", "slow"])
async def test_server_failures_are_retried_with_backoff(fake, session, kind) -> None:
    sleeps = Sleeps()
    fake.fault(kind, count=1, delay=2.0)
    c = client(fake, session, sleeps, timeout=0.5)
    fetched = await c.commodities("us")
    assert fetched.body == fake.commodities_body("us")
    assert sleeps.waits == [1.0]


async def test_failures_that_do_not_stop_give_up_with_a_clear_error(fake, session) -> None:
    sleeps = Sleeps()
    fake.fault("503", count=None)
    with pytest.raises(ApiError, match=r"commodities: Blizzard's server failed \(HTTP 503\) \(gave up after 4 tries\)"):
        await client(fake, session, sleeps).commodities("us")
    assert sleeps.waits == [1.0, 2.0, 4.0]
    assert len(api_requests(fake)) == 4


async def test_a_body_that_is_not_json_is_a_snapshot_error(fake, session) -> None:
    fake.fault("invalid_json", count=1)
    with pytest.raises(SnapshotError, match="connected-realm/index: the response is not valid JSON"):
        await client(fake, session).connected_realm_ids("us")


async def test_a_body_over_the_cap_is_refused(fake, session) -> None:
    with pytest.raises(ApiError, match="over the 1,000-byte cap"):
        await client(fake, session, max_body=1000).commodities("us")


async def test_china_and_unknown_regions_are_refused_before_any_request(fake, session) -> None:
    c = client(fake, session)
    with pytest.raises(SettingsError, match="China"):
        await c.commodities("cn")
    with pytest.raises(SettingsError, match="'xx' is not a region"):
        await c.commodities("xx")
    assert fake.requests == []


async def test_realm_names_and_classic_houses_come_back_plain(fake, session) -> None:
    c = client(fake, session)
    realms = await c.connected_realm("us", 4)
    assert {r.name for r in realms} == {"Kilrogg", "Winterhoof"}
    assert all(r.timezone == "America/Los_Angeles" for r in realms)
    houses = await c.classic_houses("us", 4, "classic-era")
    assert set(houses) == {2, 6, 7}
    assert api_requests(fake)[-1].headers["Battlenet-Namespace"] == "dynamic-classic1x-us"
    house = await c.classic_auctions("us", 4, 6, "classic-era")
    assert b'"auctions"' in house.body


async def test_a_burst_never_exceeds_the_per_second_limit(fake) -> None:
    starts: list[float] = []

    async def on_start(session, context, params) -> None:
        starts.append(time.monotonic())

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        c = client(fake, session, limiter=RateLimiter(per_second=10))
        await asyncio.gather(*(c.item("us", 2447) for _ in range(25)))
    api_starts = starts[1:]  # the first request was the token's
    assert len(api_starts) == 25
    for i, t in enumerate(api_starts):
        assert sum(t <= u < t + 1.0 for u in api_starts[i:]) <= 10
    assert api_starts[-1] - api_starts[0] >= 2.0  # 25 requests at 10 per second need over two seconds


async def test_the_limiter_schedule_is_exact_with_a_fake_clock() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(per_second=3, per_hour=5, clock=lambda: now[0], sleep=sleep)
    times = []
    for _ in range(7):
        await limiter.acquire()
        times.append(now[0])
    assert times == [0.0, 0.0, 0.0, 1.0, 1.0, 3600.0, 3600.0]


async def test_secrets_never_reach_the_logs(fake, session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fault("503", count=1)
    fake.fault("429", count=1)
    c = client(fake, session)
    await c.commodities("us")
    fake.expire_tokens()
    await c.connected_realm_ids("us")
    tokens = {r.headers["Authorization"].split()[1] for r in api_requests(fake)}
    assert tokens and caplog.records
    for secret in (SECRET, *tokens):
        assert secret not in caplog.text

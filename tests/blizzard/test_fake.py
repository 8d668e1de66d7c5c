"""The fake Blizzard API, spoken to over loopback with a real aiohttp client: auth, namespaces, shapes, the hourly
market, conditional requests, faults and determinism."""

from __future__ import annotations

import asyncio
import base64
import email.utils
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import orjson
import pytest
from multidict import CIMultiDictProxy

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.blizzard.fakemarket import HouseKey

TIME_LEFT = {"SHORT", "MEDIUM", "LONG", "VERY_LONG"}
REALM_AUCTIONS = "/data/wow/connected-realm/4/auctions"
COMMODITIES = "/data/wow/auctions/commodities"


@dataclass
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Client:
    """A plain aiohttp client holding one token, as a real consumer would."""

    fake: FakeBlizzard
    session: aiohttp.ClientSession
    token: str = ""

    async def login(self, client_id: str | None = None, client_secret: str | None = None) -> Reply:
        user = f"{client_id or self.fake.client_id}:{client_secret or self.fake.client_secret}"
        basic = "Basic " + base64.b64encode(user.encode()).decode()
        reply = await self.request("POST", self.fake.oauth_url, headers={"Authorization": basic},
                                   data={"grant_type": "client_credentials"})
        if reply.status == 200:
            self.token = reply.json()["access_token"]
        return reply

    async def request(self, method: str, url: str, **kwargs: Any) -> Reply:
        async with self.session.request(method, url, **kwargs) as response:
            return Reply(response.status, response.headers, await response.read())

    async def get(
        self, path: str, *, region: str = "us", ns: str | None = "dynamic-us", headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None, bearer: bool = True,
    ) -> Reply:
        all_headers = dict(headers or {})
        if bearer:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if ns is not None:
            all_headers["Battlenet-Namespace"] = ns
        return await self.request("GET", self.fake.api_url.format(region=region) + path, headers=all_headers,
                                  params=params)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBlizzard]:
    async with FakeBlizzard() as server:
        yield server


@pytest.fixture
async def client(fake: FakeBlizzard) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        c = Client(fake, session)
        assert (await c.login()).status == 200
        yield c


def http_date(moment: Any) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


# ---- OAuth and auth ---------------------------------------------------------------------------------------------


async def test_oauth_issues_a_bearer_token_for_good_credentials(client: Client) -> None:
    reply = await client.login()
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json;charset=UTF-8"
    token = reply.json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 86399 and token["sub"] == "fake-client-id"
    assert isinstance(token["access_token"], str) and len(token["access_token"]) >= 20


async def test_oauth_refuses_bad_credentials_and_wrong_requests(client: Client) -> None:
    bad = await client.login(client_secret="wrong")
    assert bad.status == 401 and bad.json()["error"] == "invalid_client"
    assert (await client.request("GET", client.fake.oauth_url)).status == 400
    basic = "Basic " + base64.b64encode(b"fake-client-id:fake-client-secret").decode()
    missing = await client.request("POST", client.fake.oauth_url, headers={"Authorization": basic}, data={})
    assert missing.status == 400
    wrong = await client.request("POST", client.fake.oauth_url, headers={"Authorization": basic},
                                 data={"grant_type": "password"})
    assert wrong.status == 400 and wrong.json()["error"] == "unsupported_grant_type"


async def test_only_a_valid_bearer_header_opens_the_api(client: Client) -> None:
    assert (await client.get(COMMODITIES)).status == 200
    assert (await client.get(COMMODITIES, bearer=False)).status == 401
    assert (await client.get(COMMODITIES, bearer=False, headers={"Authorization": "Bearer nope"})).status == 401
    # The 2024 gateway change: a token in the query string is refused even when it is valid.
    query = await client.get(COMMODITIES, bearer=False, params={"access_token": client.token})
    assert query.status == 401
    assert (await client.get(COMMODITIES, params={"access_token": client.token})).status == 401


async def test_expired_tokens_get_401_until_a_new_one_is_fetched(client: Client) -> None:
    client.fake.expire_tokens()
    assert (await client.get(COMMODITIES)).status == 401
    assert (await client.login()).status == 200
    assert (await client.get(COMMODITIES)).status == 200


async def test_namespace_must_fit_the_route_and_the_host(client: Client) -> None:
    assert (await client.get(REALM_AUCTIONS, ns=None, params={"namespace": "dynamic-us"})).status == 200
    assert (await client.get(REALM_AUCTIONS, ns=None)).status == 404
    assert (await client.get(REALM_AUCTIONS, ns="static-us")).status == 404
    assert (await client.get(REALM_AUCTIONS, ns="dynamic-eu")).status == 404
    assert (await client.get(REALM_AUCTIONS, ns="dynamic-classic-us")).status == 404
    assert (await client.get("/data/wow/item/2447", ns="dynamic-us")).status == 404
    assert (await client.get("/data/wow/item/2447", ns="static-classic1x-us")).status == 200
    assert (await client.get("/data/wow/connected-realm/509", region="eu", ns="dynamic-eu")).status == 200
    assert (await client.get(COMMODITIES, region="kr", ns="dynamic-kr")).status == 404  # region not configured
    assert (await client.get("/data/wow/connected-realm/999999")).status == 404


# ---- shapes -----------------------------------------------------------------------------------------------------


async def test_connected_realm_index_links_to_the_fake_itself(client: Client) -> None:
    index = (await client.get("/data/wow/connected-realm/index")).json()
    hrefs = [link["href"] for link in index["connected_realms"]]
    assert all(href.startswith(client.fake.base_url + "/api/us/") for href in hrefs)
    ids = [int(re.search(r"/wow/connected-realm/(\d+)", href).group(1)) for href in hrefs]  # type: ignore[union-attr]
    assert ids == client.fake.realm_ids("us") and 4 in ids and 11 in ids
    async with client.session.get(hrefs[0], headers={"Authorization": f"Bearer {client.token}"}) as response:
        assert response.status == 200  # the namespace rides in the href's query


async def test_connected_realm_strings_are_all_locales_unless_one_is_asked(client: Client) -> None:
    doc = (await client.get("/data/wow/connected-realm/4")).json()
    assert [realm["name"]["en_US"] for realm in doc["realms"]] == ["Kilrogg", "Winterhoof"]
    first = doc["realms"][0]
    for texts in (first["name"], first["region"]["name"], first["category"], first["type"]["name"],
                  doc["status"]["name"], doc["population"]["name"]):
        assert {"en_US", "es_MX", "pt_BR", "de_DE", "fr_FR"} <= set(texts)
    assert doc["status"]["name"]["es_MX"] == "Disponible"
    assert first["timezone"] == "America/Los_Angeles" and first["slug"] == "kilrogg" and first["is_tournament"] is False
    assert doc["auctions"]["href"].endswith("/connected-realm/4/auctions?namespace=dynamic-us")
    plain = (await client.get("/data/wow/connected-realm/4", params={"locale": "en_US"})).json()
    assert plain["realms"][1]["name"] == "Winterhoof" and plain["population"]["name"] == "Low"
    german = (await client.get("/data/wow/connected-realm/47", params={"locale": "de_DE"})).json()
    assert german["realms"][0]["name"] == "Etrigg"  # Blizzard's own spelling
    assert german["realms"][0]["category"] == "Vereinigte Staaten"


async def test_realm_auctions_have_realm_shapes(client: Client) -> None:
    reply = await client.get(REALM_AUCTIONS)
    assert reply.status == 200 and reply.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert reply.headers["Last-Modified"] == http_date(client.fake.now)
    doc = reply.json()
    assert doc["connected_realm"]["href"].endswith("/connected-realm/4?namespace=dynamic-us")
    assert doc["commodities"]["href"].endswith(COMMODITIES + "?namespace=dynamic-us")
    rows = doc["auctions"]
    assert len(rows) == client.fake.realm_rows
    assert all("unit_price" not in row for row in rows)
    assert all(row["time_left"] in TIME_LEFT and row["quantity"] >= 1 and row["item"]["id"] > 0 for row in rows)
    assert all("buyout" in row or "bid" in row for row in rows)
    bid_only = [row for row in rows if "buyout" not in row]
    assert 0.01 * len(rows) < len(bid_only) < 0.08 * len(rows)
    assert any("bid" in row and "buyout" in row for row in rows)
    pet_fields = {"pet_breed_id", "pet_level", "pet_quality_id", "pet_species_id"}
    pets = [row["item"] for row in rows if row["item"]["id"] == 82800]
    assert pets and all(pet_fields <= set(item) for item in pets)
    assert all(not pet_fields & set(row["item"]) for row in rows if row["item"]["id"] != 82800)
    gear = [row["item"] for row in rows if "bonus_lists" in row["item"]]
    assert gear and all(item["modifiers"][0]["type"] == 9 for item in gear)


async def test_commodities_rows_carry_only_the_commodity_fields(client: Client) -> None:
    doc = (await client.get(COMMODITIES)).json()
    assert set(doc) == {"_links", "auctions"}
    assert len(doc["auctions"]) == client.fake.commodity_rows
    for row in doc["auctions"]:
        assert set(row) == {"id", "item", "quantity", "unit_price", "time_left"} and set(row["item"]) == {"id"}
    by_item: dict[int, list[int]] = {}
    for row in doc["auctions"]:
        by_item.setdefault(row["item"]["id"], []).append(row["unit_price"])
    medians = {item: sorted(prices)[len(prices) // 2] for item, prices in by_item.items()}
    absurd = [row for row in doc["auctions"] if row["unit_price"] > 100 * medians[row["item"]["id"]]]
    assert 0 < len(absurd) < 0.01 * len(doc["auctions"])  # a few fat-fingered listings, as on live realms


async def test_classic_auction_houses(client: Client) -> None:
    index = (await client.get("/data/wow/connected-realm/4/auctions/index", ns="dynamic-classic-us")).json()
    assert [house["id"] for house in index["auctions"]] == [2, 6, 7]
    house = await client.get("/data/wow/connected-realm/4/auctions/6", ns="dynamic-classic1x-us",
                             params={"locale": "en_US"})
    doc = house.json()
    assert house.headers["Last-Modified"] == http_date(client.fake.now)
    assert doc["id"] == 6 and doc["name"] == "Horde Auction House"
    assert doc["connected_realm"]["href"].endswith("/connected-realm/4?namespace=dynamic-classic1x-us")
    assert all({"id", "item", "bid", "buyout", "quantity", "time_left"} == set(row) for row in doc["auctions"])
    assert any("seed" in row["item"] for row in doc["auctions"])
    assert (await client.get("/data/wow/connected-realm/4/auctions/6")).status == 404  # retail namespace
    assert (await client.get("/data/wow/connected-realm/4/auctions/3", ns="dynamic-classic-us")).status == 404


async def test_item_documents(client: Client) -> None:
    item = (await client.get("/data/wow/item/210796", ns="static-us")).json()
    assert item["name"]["en_US"] == "Mycobloom"
    assert item["item_class"]["id"] == 7 and item["item_subclass"]["id"] == 9 and item["quality"]["type"] == "COMMON"
    assert item["is_stackable"] is True and item["sell_price"] > 0
    plain = (await client.get("/data/wow/item/647", ns="static-us", params={"locale": "en_US"})).json()
    assert plain["name"] == "Destiny" and plain["inventory_type"]["type"] == "TWOHWEAPON" and plain["is_equippable"]
    assert (await client.get("/data/wow/item/1", ns="static-us")).status == 404


# ---- the hourly market ------------------------------------------------------------------------------------------


async def test_if_modified_since_gives_304_until_the_next_publish(client: Client) -> None:
    first = await client.get(COMMODITIES)
    last_modified = first.headers["Last-Modified"]
    same = await client.get(COMMODITIES, headers={"If-Modified-Since": last_modified})
    assert same.status == 304 and same.body == b"" and same.headers["Last-Modified"] == last_modified
    older = http_date(client.fake.now - timedelta(hours=1))
    assert (await client.get(COMMODITIES, headers={"If-Modified-Since": older})).status == 200
    client.fake.advance()
    fresh = await client.get(COMMODITIES, headers={"If-Modified-Since": last_modified})
    assert fresh.status == 200 and fresh.headers["Last-Modified"] == http_date(client.fake.now)


async def test_advance_publishes_a_moved_market(client: Client) -> None:
    before_time = client.fake.now
    before = (await client.get(COMMODITIES)).json()["auctions"]
    client.fake.advance()
    assert client.fake.now == before_time + timedelta(hours=1)
    reply = await client.get(COMMODITIES)
    assert reply.headers["Last-Modified"] == http_date(client.fake.now)
    after = reply.json()["auctions"]
    old, new = {row["id"]: row for row in before}, {row["id"]: row for row in after}
    vanished, appeared = old.keys() - new.keys(), new.keys() - old.keys()
    assert len(vanished) > 50 and len(appeared) > 50
    assert min(appeared) > max(old)  # auction ids only grow
    kept = old.keys() & new.keys()
    assert any(new[i]["quantity"] < old[i]["quantity"] for i in kept)  # partial buys keep their id
    assert all(new[i]["quantity"] <= old[i]["quantity"] for i in kept)
    # SHORT means "gone within the hour": no SHORT listing survives to the next snapshot.
    assert all(old[i]["time_left"] != "SHORT" for i in kept)
    assert any(old[i]["time_left"] == "SHORT" for i in vanished)


async def test_ground_truth_adds_up_with_the_served_snapshots(client: Client) -> None:
    """``truth`` (a method for tests, not a route) says what happened between the two bodies a client saw."""
    def listed(rows: list[dict]) -> dict[int, int]:
        out: dict[int, int] = {}
        for row in rows:
            out[row["item"]["id"]] = out.get(row["item"]["id"], 0) + row["quantity"]
        return out

    before = listed((await client.get(COMMODITIES)).json()["auctions"])
    client.fake.advance()
    after = listed((await client.get(COMMODITIES)).json()["auctions"])
    key = HouseKey("commodities", "us")
    truth = client.fake.truth(key)
    assert truth.hour == 1 and truth.sold.sum() > 0 and truth.expired.sum() > 0 and truth.cancelled.sum() > 0
    for i, item in enumerate(truth.item.tolist()):
        flow = before.get(item, 0) + truth.posted[i] - truth.sold[i] - truth.expired[i] - truth.cancelled[i]
        assert flow == after.get(item, 0)
    assert client.fake.truth(key, 1) is truth
    with pytest.raises(ValueError, match="not an auction house"):
        client.fake.truth(HouseKey("realm", "us", "retail", 999))


async def test_stale_fault_freezes_last_modified(client: Client) -> None:
    start = client.fake.now
    first = await client.get(REALM_AUCTIONS)
    client.fake.fault("stale", path=COMMODITIES)  # only the commodities feed stalls, for one hour
    client.fake.advance()
    stuck = await client.get(COMMODITIES, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    moved = await client.get(REALM_AUCTIONS)
    assert stuck.status == 304 and moved.headers["Last-Modified"] == http_date(start + timedelta(hours=1))
    client.fake.fault("stale", count=None)  # everything stalls until cleared
    client.fake.advance(2)
    assert (await client.get(REALM_AUCTIONS)).headers["Last-Modified"] == moved.headers["Last-Modified"]
    assert client.fake.now == start + timedelta(hours=1)
    client.fake.clear_faults()
    client.fake.advance()
    assert client.fake.now == start + timedelta(hours=4)
    assert (await client.get(COMMODITIES)).headers["Last-Modified"] == http_date(client.fake.now)


# ---- faults -----------------------------------------------------------------------------------------------------


async def test_status_faults_hit_count_matching_requests(client: Client) -> None:
    fake = client.fake
    fake.fault("429", retry_after=1.5)
    limited = await client.get(COMMODITIES)
    assert limited.status == 429 and limited.headers["Retry-After"] == "1.5"
    assert (await client.get(COMMODITIES)).status == 200
    fake.fault("500", count=2)
    assert [(await client.get(COMMODITIES)).status for _ in range(3)] == [500, 500, 200]
    fake.fault("503", count=None, path="/connected-realm/4/")
    assert (await client.get(REALM_AUCTIONS)).status == 503
    assert (await client.get(REALM_AUCTIONS)).status == 503
    assert (await client.get(COMMODITIES)).status == 200
    assert (await client.login()).status == 200  # path=None never touches OAuth
    fake.clear_faults()
    assert (await client.get(REALM_AUCTIONS)).status == 200
    fake.fault("429")
    assert "Retry-After" not in (await client.get(COMMODITIES)).headers
    fake.fault("503", path="/oauth/token")
    assert (await client.login()).status == 503
    with pytest.raises(ValueError):
        fake.fault("teapot")


async def test_slow_fault_delays_the_answer(client: Client) -> None:
    client.fake.fault("slow", delay=0.3)
    started = time.perf_counter()
    reply = await client.get(COMMODITIES)
    assert reply.status == 200 and time.perf_counter() - started >= 0.3
    client.fake.fault("slow", delay=0.3, count=None, path=REALM_AUCTIONS)  # stays armed, one path only
    started = time.perf_counter()
    assert (await client.get(COMMODITIES)).status == 200
    assert time.perf_counter() - started < 0.25
    for _ in range(2):
        started = time.perf_counter()
        assert (await client.get(REALM_AUCTIONS)).status == 200
        assert time.perf_counter() - started >= 0.3


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
async def test_truncated_cuts_the_connection_mid_body(client: Client, encoding: str) -> None:
    client.fake.fault("truncated")
    with pytest.raises(aiohttp.ClientPayloadError):
        await client.get(COMMODITIES, headers={"Accept-Encoding": encoding})
    assert (await client.get(COMMODITIES)).status == 200  # the next request is fine


async def test_truncated_short_sends_half_the_json(client: Client) -> None:
    whole = (await client.get(COMMODITIES)).body
    client.fake.fault("truncated", mode="short")
    half = await client.get(COMMODITIES)
    assert half.status == 200 and half.body == whole[: len(whole) // 2]
    with pytest.raises(orjson.JSONDecodeError):
        half.json()


async def test_invalid_json_and_wrong_shape(client: Client) -> None:
    client.fake.fault("invalid_json")
    broken = await client.get(COMMODITIES)
    assert broken.status == 200 and broken.headers["Content-Type"].startswith("application/json")
    with pytest.raises(orjson.JSONDecodeError):
        broken.json()
    client.fake.fault("wrong_shape")
    assert isinstance((await client.get(COMMODITIES)).json()["auctions"], dict)
    client.fake.fault("wrong_shape", variant="no_quantity")
    rows = (await client.get(REALM_AUCTIONS)).json()["auctions"]
    assert rows and all("quantity" not in row for row in rows)
    client.fake.fault("wrong_shape", path="/data/wow/item/")
    assert (await client.get("/data/wow/item/2447", ns="static-us")).json() == []


async def test_requests_are_recorded(client: Client) -> None:
    await client.get(REALM_AUCTIONS, params={"locale": "en_US"}, bearer=False)
    record = client.fake.requests[-1]
    assert (record.method, record.path, record.status) == ("GET", "/api/us" + REALM_AUCTIONS, 401)
    assert record.query == {"locale": "en_US"}
    assert record.headers["battlenet-namespace"] == "dynamic-us"
    assert client.fake.requests[0].path == "/oauth/token" and client.fake.requests[0].method == "POST"


# ---- determinism and scale --------------------------------------------------------------------------------------


async def fetch_all(fake: FakeBlizzard) -> list[bytes]:
    async with aiohttp.ClientSession() as session:
        c = Client(fake, session)
        await c.login()
        paths = [(REALM_AUCTIONS, "dynamic-us"), (COMMODITIES, "dynamic-us"),
                 ("/data/wow/connected-realm/4/auctions/2", "dynamic-classic-us")]
        bodies = [(await c.get(path, ns=ns)).body for path, ns in paths]
        return [body.replace(fake.base_url.encode(), b"BASE") for body in bodies]


async def test_same_seed_same_hour_gives_identical_bytes() -> None:
    async with FakeBlizzard(seed=7) as one, FakeBlizzard(seed=7) as two, FakeBlizzard(seed=8) as other:
        assert await fetch_all(one) == await fetch_all(two)
        assert await fetch_all(one) != await fetch_all(other)
        one.advance()
        await fetch_all(one)  # one walks through hour 1, two jumps straight to hour 2
        one.advance()
        two.advance(2)
        assert await fetch_all(one) == await fetch_all(two)
        assert one.commodities_body().replace(one.base_url.encode(), b"") == two.commodities_body().replace(
            two.base_url.encode(), b"")


async def test_700k_commodity_rows_are_served() -> None:
    async with FakeBlizzard(commodity_rows=700_000, regions=("us",)) as fake, aiohttp.ClientSession() as session:
        c = Client(fake, session)
        await c.login()
        started = time.perf_counter()
        reply = await c.get(COMMODITIES)
        elapsed = time.perf_counter() - started
        assert reply.status == 200
        # Counting a key is the fast path; a full parse of ~65 MB would take seconds.
        assert reply.body.count(b'"unit_price":') == 700_000
        assert reply.body.startswith(b'{"_links":') and reply.body.endswith(b"}]}")
        assert reply.body == fake.commodities_body("us")
        last_row = reply.body[reply.body.rindex(b'},{"id":') + 2 : -2]
        assert set(orjson.loads(last_row)) == {"id", "item", "quantity", "unit_price", "time_left"}
        print(f"700k commodity rows ({len(reply.body) / 1e6:.0f} MB) generated and served in {elapsed:.2f} s")


async def test_close_does_not_wait_for_a_hanging_slow_request() -> None:
    async with FakeBlizzard() as fake, aiohttp.ClientSession() as session:
        c = Client(fake, session)
        await c.login()
        fake.fault("slow", delay=30)
        pending = asyncio.ensure_future(c.get(COMMODITIES))
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        await fake.close()
        assert time.perf_counter() - started < 5
        with pytest.raises(aiohttp.ClientError):
            await pending

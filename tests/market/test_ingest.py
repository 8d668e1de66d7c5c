"""Snapshot bodies in Blizzard's exact shapes become per-item statistics; anything else is refused with a
one-line reason naming the field."""

from __future__ import annotations

import random

import orjson
import pytest

from tsmsyncd.errors import SnapshotError
from tsmsyncd.market.ingest import ingest_snapshot, item_code, item_key
from tsmsyncd.market.metrics import market_value

# The trimmed real realm response from the reference (connected realm 4), plus a second listing of 82265
# and a bid-only auction: pets are item 82800 with the four pet fields, gear carries bonus lists.
REALM = {
    "_links": {"self": {"href": "https://us.api.blizzard.com/data/wow/connected-realm/4/auctions"}},
    "connected_realm": {"href": "https://us.api.blizzard.com/data/wow/connected-realm/4"},
    "auctions": [
        {"id": 37793634, "item": {"id": 82265, "context": 36, "bonus_lists": [1687, 4767],
                                  "modifiers": [{"type": 9, "value": 50}]},
         "buyout": 2346900, "quantity": 1, "time_left": "MEDIUM"},
        {"id": 38040082, "item": {"id": 36131, "context": 0, "bonus_lists": [6654, 1708],
                                  "modifiers": [{"type": 9, "value": 30}, {"type": 28, "value": 49}]},
         "bid": 500000, "buyout": 1003700, "quantity": 1, "time_left": "VERY_LONG"},
        {"id": 37885614, "item": {"id": 82800, "context": 0, "modifiers": [{"type": 6, "value": 62217}],
                                  "pet_breed_id": 21, "pet_level": 1, "pet_quality_id": 2, "pet_species_id": 194},
         "buyout": 1008500, "quantity": 1, "time_left": "LONG"},
        {"id": 37793700, "item": {"id": 82265}, "buyout": 4000000, "quantity": 2, "time_left": "SHORT"},
        {"id": 37793701, "item": {"id": 82265}, "bid": 10000, "quantity": 3, "time_left": "LONG"},
        {"id": 37793702, "item": {"id": 4306}, "bid": 50, "quantity": 20, "time_left": "SHORT"},
    ],
    "commodities": {"href": "https://us.api.blizzard.com/data/wow/auctions/commodities"},
}
COMMODITIES = {
    "_links": {"self": {"href": "https://us.api.blizzard.com/data/wow/auctions/commodities"}},
    "auctions": [
        {"id": 814959956, "item": {"id": 193255}, "quantity": 45, "unit_price": 900000, "time_left": "SHORT"},
        {"id": 814960136, "item": {"id": 45196}, "quantity": 2, "unit_price": 9900, "time_left": "VERY_LONG"},
        {"id": 823329592, "item": {"id": 193050}, "quantity": 9, "unit_price": 500, "time_left": "LONG"},
        {"id": 823329593, "item": {"id": 193050}, "quantity": 1, "unit_price": 480, "time_left": "LONG"},
    ],
}


def test_realm_auctions_price_by_buyout_per_unit_and_key_pets_by_species() -> None:
    snap = ingest_snapshot(orjson.dumps(REALM), "realm")
    items = snap.items
    assert list(items.index) == ["i:36131", "i:4306", "i:82265", "p:194"]
    gear = items.loc["i:82265"]
    # 2,346,900 for one, 4,000,000 for two (2,000,000 each), and a bid-only auction of three.
    assert gear["min_buyout"] == 2_000_000 and gear["quantity"] == 6 and gear["auctions"] == 3
    assert gear["market_value"] == round(market_value([2_346_900, 2_000_000], [1, 2]))
    assert items.loc["p:194", "min_buyout"] == 1_008_500
    only_bids = items.loc["i:4306"]
    assert only_bids["quantity"] == 20 and only_bids["auctions"] == 1
    assert only_bids.isna()["min_buyout"] and only_bids.isna()["market_value"]
    assert snap.auctions == 6
    assert sorted(snap.index.item.tolist()) == sorted([82265, 36131, -194, 82265, 82265, 4306])
    assert snap.index.short.tolist() == [False, False, False, True, False, True]


def test_commodities_use_the_unit_price() -> None:
    snap = ingest_snapshot(orjson.dumps(COMMODITIES), "commodities")
    cloth = snap.items.loc["i:193050"]
    assert cloth["min_buyout"] == 480 and cloth["quantity"] == 10 and cloth["auctions"] == 2
    assert cloth["market_value"] == round(market_value([500, 480], [9, 1]))


def test_fields_blizzard_adds_later_are_ignored() -> None:
    doc = orjson.loads(orjson.dumps(COMMODITIES))
    doc["auctions"][0]["new_field"] = {"anything": [1, 2]}
    doc["auctions"][0]["item"]["seed"] = 7
    doc["brand_new_top_level"] = True
    assert len(ingest_snapshot(orjson.dumps(doc), "commodities").items) == 3


def broken(change) -> bytes:
    doc = orjson.loads(orjson.dumps(COMMODITIES))
    change(doc)
    return orjson.dumps(doc)


@pytest.mark.parametrize(("body", "message"), [
    (orjson.dumps(COMMODITIES)[:200], "not valid JSON"),
    (b"<html>504 Gateway Time-out</html>", "not valid JSON"),
    (b"", "not valid JSON"),
    (broken(lambda d: d.__setitem__("auctions", {"0": d["auctions"][0]})), r"\$\.auctions"),
    (broken(lambda d: d["auctions"][1].pop("quantity")), r"quantity.*\$\.auctions\[1\]"),
    (broken(lambda d: d["auctions"][2].__setitem__("unit_price", "500")), r"\$\.auctions\[2\]\.unit_price"),
    (broken(lambda d: d["auctions"][0].__setitem__("time_left", "FOREVER")), r"\$\.auctions\[0\]\.time_left"),
    (broken(lambda d: d["auctions"][3].__setitem__("quantity", 0)), r"impossible value at \$\.auctions\[3\]"),
    (broken(lambda d: d["auctions"][3].__setitem__("unit_price", -5)), r"negative price at \$\.auctions\[3\]"),
    (broken(lambda d: d["auctions"][3].pop("unit_price")), r"missing or negative price at \$\.auctions\[3\]"),
])
def test_bodies_that_are_not_blizzards_shape_are_refused_naming_the_field(body: bytes, message: str) -> None:
    with pytest.raises(SnapshotError, match=message) as err:
        ingest_snapshot(body, "commodities")
    assert "\n" not in str(err.value)


def test_item_strings_and_codes() -> None:
    assert item_code("i:2447") == 2447 and item_code("p:194") == -194
    assert item_key(2447) == "i:2447" and item_key(-194) == "p:194"
    for bad in ("2447", "i:", "i:0", "x:1", "i:12a", "i:1:2"):
        with pytest.raises(ValueError, match="is not an item string"):
            item_code(bad)


def test_a_large_snapshot_matches_a_slow_reference_computation() -> None:
    rng = random.Random(7)
    rows = []
    for i in range(50_000):
        item = rng.randrange(1, 400)
        row = {"id": 10_000 + i, "item": {"id": item}, "quantity": rng.randrange(1, 5), "time_left": "LONG"}
        if rng.random() < 0.9:
            row["buyout"] = rng.randrange(1, 10**7) * row["quantity"]
        else:
            row["bid"] = 100
        rows.append(row)
    snap = ingest_snapshot(orjson.dumps({"auctions": rows}), "realm")
    expected: dict[str, dict] = {}
    for row in rows:
        e = expected.setdefault(f"i:{row['item']['id']}", {"quantity": 0, "auctions": 0, "prices": [], "units": []})
        e["quantity"] += row["quantity"]
        e["auctions"] += 1
        if "buyout" in row:
            e["prices"].append(row["buyout"] // row["quantity"])
            e["units"].append(row["quantity"])
    assert set(snap.items.index) == set(expected)
    for key, e in expected.items():
        got = snap.items.loc[key]
        assert (got["quantity"], got["auctions"]) == (e["quantity"], e["auctions"])
        if e["prices"]:
            assert got["min_buyout"] == min(e["prices"])
            assert got["market_value"] == int(market_value(e["prices"], e["units"]) + 0.5)


def test_the_index_carries_what_the_sales_estimate_needs() -> None:
    """Per auction: the unit price (0 without buyout), the latest possible end from time_left (minutes), and a
    variant that is 0 for an item without details and otherwise tells listings of one item apart."""
    index = ingest_snapshot(orjson.dumps(REALM), "realm").index
    row = {a: i for i, a in enumerate(index.auction_id.tolist())}
    price = {a: int(index.price[i]) for a, i in row.items()}
    assert price == {37793634: 2346900, 38040082: 1003700, 37885614: 1008500, 37793700: 2000000, 37793701: 0,
                     37793702: 0}
    deadline = {a: int(index.deadline[i]) for a, i in row.items()}
    assert deadline == {37793634: 120, 38040082: 2880, 37885614: 720, 37793700: 30, 37793701: 720, 37793702: 30}
    assert index.short.tolist() == [d == 30 for d in index.deadline.tolist()]
    variant = {a: int(index.variant[i]) for a, i in row.items()}
    assert variant[37793700] == 0 and variant[37793701] == 0  # plain 82265: nothing to tell them apart
    assert variant[37793634] != 0 and variant[37885614] != 0 and variant[38040082] != 0
    commodities = ingest_snapshot(orjson.dumps(COMMODITIES), "commodities").index
    assert commodities.variant.tolist() == [0, 0, 0, 0]
    assert commodities.price.tolist() == [900000, 9900, 500, 480] and commodities.deadline.tolist()[:2] == [30, 2880]


def test_the_same_details_give_the_same_variant_and_other_details_another() -> None:
    def variants(*items: dict) -> list[int]:
        rows = [{"id": n + 1, "item": item, "buyout": 100, "quantity": 1, "time_left": "LONG"}
                for n, item in enumerate(items)]
        return ingest_snapshot(orjson.dumps({"auctions": rows}), "realm").index.variant.tolist()

    gear = {"id": 82265, "context": 36, "bonus_lists": [1687, 4767], "modifiers": [{"type": 9, "value": 50}]}
    pet = {"id": 82800, "pet_breed_id": 21, "pet_level": 1, "pet_quality_id": 3, "pet_species_id": 194}
    a, b, c, d, e = variants(gear, dict(gear), {**gear, "modifiers": [{"type": 9, "value": 60}]}, pet,
                             {**pet, "pet_level": 25})
    assert a == b and a != c and d != e
    classic = [{"id": 647, "seed": 12345}, {"id": 647, "seed": 12345}, {"id": 647, "rand": 7, "seed": 99}]
    x, y, z = variants(*classic)
    assert x == y != z

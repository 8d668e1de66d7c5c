"""A snapshot's listings for the watchlist: decoded compactly, sorted by item and unit price, and matched
against a tracked item's price, amount and specs."""

from __future__ import annotations

import json

import pytest

from tsmsyncd.errors import SnapshotError
from tsmsyncd.market.listings import decode_listings, match
from tsmsyncd.market.watchitem import parse_item


def body(*auctions: dict) -> bytes:
    return json.dumps({"auctions": list(auctions)}).encode()


def gear(n: int, buyout: int, bonus: list[int] | None = None, quantity: int = 1, left: str = "LONG") -> dict:
    item: dict = {"id": 19019}
    if bonus is not None:
        item["bonus_lists"] = bonus
    return {"id": n, "item": item, "buyout": buyout, "quantity": quantity, "time_left": left}


def pet(n: int, buyout: int, quality: int, level: int) -> dict:
    return {"id": n, "item": {"id": 82800, "pet_species_id": 194, "pet_quality_id": quality, "pet_level": level,
                              "pet_breed_id": 3}, "buyout": buyout, "quantity": 1, "time_left": "SHORT"}


def test_realm_listings_are_priced_per_unit_and_bids_without_buyout_are_left_out() -> None:
    listings = decode_listings(body(gear(1, 9000, quantity=3), gear(2, 5000),
                                    {"id": 3, "item": {"id": 19019}, "bid": 10, "quantity": 1, "time_left": "SHORT"}))
    assert listings.unit.tolist() == [3000, 5000]  # 9000 for 3, then 5000: cheapest first
    found = match(listings, parse_item({"item": "i:19019", "max_price": "50s", "amount": 3, "realms": [4]}))
    assert found.status == "available" and found.cheapest == 3000 and found.covered
    assert found.listings[0] == {"unit_price": 3000, "quantity": 3, "time_left": "LONG"}


def test_commodities_use_their_unit_price() -> None:
    listings = decode_listings(body({"id": 1, "item": {"id": 2447}, "quantity": 200, "unit_price": 740,
                                     "time_left": "VERY_LONG"}))
    found = match(listings, parse_item({"item": "i:2447", "max_price": "7s", "amount": 500, "realms": [4]}))
    assert found.status == "none" and found.cheapest == 740 and not found.covered  # above 7s
    found = match(listings, parse_item({"item": "i:2447", "max_price": "8s", "amount": 500, "realms": [4]}))
    assert found.status == "available" and not found.covered and "fewer than the 500 wanted" in found.reason


def test_every_bonus_id_asked_for_must_be_on_the_listing() -> None:
    listings = decode_listings(body(gear(1, 100, [6654, 1708]), gear(2, 200, [6654, 1708, 42]), gear(3, 50)))
    wanted = parse_item({"item": "i:19019", "max_price": "1g", "realms": [4], "specs": {"bonus_ids": [42, 6654]}})
    found = match(listings, wanted)
    assert found.cheapest == 200 and len(found.listings) == 1


def test_pets_are_matched_on_quality_and_level() -> None:
    listings = decode_listings(body(pet(1, 100, quality=1, level=25), pet(2, 900, quality=3, level=1),
                                    pet(3, 500, quality=3, level=25)))
    found = match(listings, parse_item({"item": "p:194", "max_price": "1g", "realms": [4],
                                        "specs": {"min_quality": 3, "min_level": 20}}))
    assert found.cheapest == 500 and len(found.listings) == 1


def test_an_item_below_the_quality_or_level_asked_for_never_matches() -> None:
    listings = decode_listings(body(gear(1, 100)))
    asked = parse_item({"item": "i:19019", "max_price": "1g", "realms": [4], "specs": {"min_quality": 5,
                                                                                         "min_ilvl": 80}})
    assert match(listings, asked, quality=4, level=90).status == "none"
    assert match(listings, asked, quality=5, level=70).status == "none"
    assert match(listings, asked, quality=5, level=90).status == "available"


def test_an_item_not_listed_says_so() -> None:
    found = match(decode_listings(body(gear(1, 100))), parse_item({"item": "i:2447", "max_price": "1g",
                                                                   "realms": [4]}))
    assert (found.status, found.reason, found.listings) == ("none", "none listed", [])


def test_a_body_of_another_shape_is_refused() -> None:
    with pytest.raises(SnapshotError, match="not Blizzard's shape"):
        decode_listings(b'{"auctions": {"1": 2}}')

"""TSM's operation schema: defaults per module and client flavor, and what a GroupSet may set."""

from __future__ import annotations

import pytest

from tsmsyncd.tsm.operations import (
    COMMON_KEYS,
    MAX_OPERATIONS,
    MODULES,
    Flavor,
    default_settings,
    fields,
    normalize_settings,
)


def test_the_seven_modules_and_their_limits() -> None:
    assert MODULES == ("Auctioning", "Crafting", "Mailing", "Shopping", "Sniper", "Vendoring", "Warehousing")
    assert MAX_OPERATIONS == {"Auctioning": 20, "Crafting": 1, "Mailing": 50, "Shopping": 1, "Sniper": 1,
                              "Vendoring": 1, "Warehousing": 12}


@pytest.mark.parametrize("module", MODULES)
def test_defaults_include_the_common_keys(module: str) -> None:
    settings = default_settings(module)
    assert all(settings[key] == {} for key in COMMON_KEYS)
    assert len(settings) == len(fields(module)) + len(COMMON_KEYS)


def test_tsm_4_14_defaults() -> None:
    shopping = default_settings("Shopping")
    assert shopping["maxPrice"] == "dbmarket" and shopping["restockQuantity"] == "0"
    assert shopping["restockSources"] == {"alts": False, "auctions": False, "bank": False, "guild": False}
    auctioning = default_settings("Auctioning")
    assert auctioning["duration"] == 2 and auctioning["postCap"] == "5" and auctioning["cancelRepostThreshold"] == "1g"
    assert default_settings("Crafting")["minProfit"] == "100g"
    assert default_settings("Sniper")["belowPrice"].endswith("* DBRegionMarketAvg)")
    assert set(default_settings("Warehousing")) - set(COMMON_KEYS) == {
        "moveQuantity", "keepBagQuantity", "keepBankQuantity", "restockQuantity", "stackSize",
        "restockKeepBankQuantity", "restockStackSize"}


def test_flavors_differ_where_tsm_says_they_do() -> None:
    retail, classic, era = (default_settings("Auctioning", f) for f in Flavor)
    assert retail["undercut"] == "0c" and classic["undercut"] == "1c"
    assert "blacklist" not in retail and classic["blacklist"] == "" and era["blacklist"] == ""
    assert "stackSize" not in classic and era["stackSize"] == "1" and era["matchStackSize"] is False


def test_defaults_are_fresh_every_time() -> None:
    first = default_settings("Mailing")
    first["restockSources"]["bank"] = True
    first["ignorePlayer"]["x"] = True
    assert default_settings("Mailing")["restockSources"]["bank"] is False
    assert default_settings("Mailing")["ignorePlayer"] == {}


def test_normalize_fills_defaults_and_converts_numbers_like_tsm() -> None:
    result = normalize_settings("Shopping", {"maxPrice": "dbmarket * 0.8", "restockQuantity": 10,
                                             "restockSources": {"bank": True}})
    assert result["maxPrice"] == "dbmarket * 0.8"
    assert result["restockQuantity"] == "10"
    assert result["restockSources"] == {"alts": False, "auctions": False, "bank": True, "guild": False}
    assert result["showAboveMaxPrice"] is True


@pytest.mark.parametrize(
    ("module", "settings", "message"),
    [
        ("Shopping", {"maxPrise": "1g"}, "maxPrise: not a Shopping operation field (did you mean 'maxPrice'?)"),
        ("Shopping", {"showAboveMaxPrice": 1}, "showAboveMaxPrice: expected true or false"),
        ("Auctioning", {"duration": "2"}, "duration: expected a number"),
        ("Auctioning", {"duration": True}, "duration: expected a number"),
        ("Shopping", {"maxPrice": ""}, "maxPrice: a price string cannot be empty"),
        ("Shopping", {"maxPrice": "x" * 5000}, "maxPrice: longer than"),
        ("Shopping", {"maxPrice": "dbmarket\n"}, "maxPrice: contains control characters"),
        ("Shopping", {"maxPrice": ["dbmarket"]}, "maxPrice: expected a string"),
        ("Shopping", {"restockSources": {"vault": True}}, "restockSources.vault: unknown source"),
        ("Shopping", {"restockSources": {"bank": "yes"}}, "restockSources.bank: expected true or false"),
        ("Shopping", {"relationships": {}}, "relationships: belongs to the player's own realm setup"),
        ("Auctioning", {"blacklist": "Bob"}, "blacklist: not a Auctioning operation field"),
        ("Shoping", {}, "unknown module 'Shoping' (did you mean 'Shopping'?)"),
    ],
)
def test_bad_settings_name_the_field(module: str, settings: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        normalize_settings(module, settings)
    assert message in str(err.value)


def test_empty_strings_are_fine_where_tsm_defaults_to_empty() -> None:
    assert normalize_settings("Crafting", {"craftPriceMethod": ""})["craftPriceMethod"] == ""
    assert normalize_settings("Auctioning", {"blacklist": "Bob"}, Flavor.CLASSIC)["blacklist"] == "Bob"

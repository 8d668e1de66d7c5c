"""Inferring a profile's connected realm from its characters' realm names, as the client writes them."""

from __future__ import annotations

import json

import pytest

from tsmsyncd.wow.realms import IndexedRealm, infer_realm, normalize_realm_name

# A slice of a realm index: connected realm 4 is Kilrogg + Winterhoof; EU realms carry localized names as
# Blizzard's API gives them without a locale; two realms share a normalized name on purpose.
INDEX = (
    IndexedRealm(57, 57, "illidan", ("Illidan",)),
    IndexedRealm(4, 4, "kilrogg", ("Kilrogg",)),
    IndexedRealm(4, 1071, "winterhoof", ("Winterhoof",)),
    IndexedRealm(3676, 3676, "area-52", ("Area 52",)),
    IndexedRealm(3661, 3661, "kiljaeden", ("Kil'jaeden",)),
    IndexedRealm(1084, 1084, "azjolnerub", ("Azjol-Nerub",)),
    IndexedRealm(1305, 1305, "der-rat-von-dalaran", ("Der Rat von Dalaran", "Council of Dalaran")),
    IndexedRealm(1614, 1614, "blackscar", ("Blackscar", "Черный Шрам")),
    IndexedRealm(2073, 2073, "stormscale", ("Stormscale",)),
    IndexedRealm(2074, 2074, "storm-scale", ("Storm Scale",)),
    IndexedRealm(1402, 1402, "eredar", ("Eredar",)),
    IndexedRealm(1403, 1403, "eredar-pve", ("Eredar PvE", "Eredar")),
)


def test_one_realm_is_its_connected_realm() -> None:
    found = infer_realm(["Illidan"], INDEX)
    assert (found.status, found.connected_realm_id, found.name) == ("inferred", 57, "Illidan")
    assert found.reason == "Illidan is connected realm 57"
    assert found.matches[0].how == "name"


def test_realms_of_one_connected_realm_count_as_one() -> None:
    found = infer_realm(["Kilrogg", "Winterhoof", "Kilrogg"], INDEX)
    assert (found.status, found.connected_realm_id) == ("inferred", 4)
    assert found.reason == "Kilrogg and Winterhoof share connected realm 4"


@pytest.mark.parametrize(
    ("written", "how"),
    [("area 52", "normalized"), ("Area52", "normalized"), ("AREA 52", "normalized"),
     ("Kil’jaeden", "normalized"),  # a typographic apostrophe
     ("Kiljaeden", "normalized"), ("Azjol Nerub", "normalized"), ("AzjolNerub", "normalized"),
     ("der-rat-von-dalaran", "normalized"), ("kiljaeden", "normalized")],
)
def test_spellings_that_differ_in_case_spaces_apostrophes_and_hyphens_match(written: str, how: str) -> None:
    found = infer_realm([written], INDEX)
    assert found.status == "inferred" and found.matches[0].how == how


def test_a_slug_matches() -> None:
    found = infer_realm(["Area-52"], INDEX)  # normalizes like the name already
    assert found.connected_realm_id == 3676
    found = infer_realm(["der rat von dalaran"], INDEX)
    assert found.connected_realm_id == 1305
    slug_only = (IndexedRealm(99, 99, "the-venture-co", ("The Venture Co",)),)
    assert infer_realm(["Venture Co."], slug_only).status == "unknown"
    assert infer_realm(["TheVentureCo"], slug_only).matches[0].how == "normalized"
    renamed = (IndexedRealm(98, 98, "old-name", ("New Name",)),)
    assert infer_realm(["Old Name"], renamed).matches[0].how == "slug"


def test_a_localized_name_matches() -> None:
    """A German client writes "Der Rat von Dalaran"; an English one would show "Council of Dalaran"; a
    Russian client writes "Черный Шрам" for Blackscar."""
    assert infer_realm(["Council of Dalaran"], INDEX).matches[0].how == "localized"
    found = infer_realm(["Черный Шрам"], INDEX)
    assert (found.status, found.connected_realm_id, found.name) == ("inferred", 1614, "Blackscar")
    assert infer_realm(["черный шрам"], INDEX).connected_realm_id == 1614  # Cyrillic casefolds too


def test_characters_on_several_connected_realms_are_ambiguous_and_say_which() -> None:
    found = infer_realm(["Illidan", "Kilrogg", "Winterhoof"], INDEX)
    assert found.status == "ambiguous" and found.connected_realm_id is None
    assert found.candidates == (4, 57)
    assert found.reason == ("the characters play on 2 connected realms: Kilrogg and Winterhoof (4); Illidan (57); "
                            "choose one by hand")


def test_one_name_matching_several_connected_realms_is_ambiguous() -> None:
    found = infer_realm(["Storm-scale"], INDEX)  # normalizes to both Stormscale and Storm Scale
    assert found.status == "ambiguous" and found.candidates == (2073, 2074)
    assert "'Storm-scale' matches realms of 2 connected realms" in found.reason


def test_an_exact_name_wins_over_a_localized_one() -> None:
    """"Eredar" is one realm's name and another's localized name: the name decides, nothing is ambiguous."""
    found = infer_realm(["Eredar"], INDEX)
    assert (found.status, found.connected_realm_id) == ("inferred", 1402)


def test_unknown_realms() -> None:
    found = infer_realm(["伊莫塔尔"], INDEX)  # a Chinese realm: China's API is not served
    assert found.status == "unknown" and found.unmatched == ("伊莫塔尔",)
    assert "伊莫塔尔 is not in this region's realm list" in found.reason
    assert infer_realm([], INDEX).status == "unknown"
    assert "no character uses this profile" in infer_realm(["", "  "], INDEX).reason


def test_some_unknown_realms_do_not_stop_an_answer() -> None:
    found = infer_realm(["Illidan", "Nowhere"], INDEX)
    assert (found.status, found.connected_realm_id) == ("inferred", 57)
    assert found.unmatched == ("Nowhere",) and found.reason.endswith("Nowhere not found in the realm list")


def test_the_record_is_json() -> None:
    payload = json.loads(json.dumps(infer_realm(["Kilrogg", "Nowhere"], INDEX).as_json(), ensure_ascii=False))
    assert payload["status"] == "inferred" and payload["inferred"] is True
    assert payload["connected_realm_id"] == 4 and payload["name"] == "Kilrogg"
    assert payload["matches"][0] == {"realm": "Kilrogg", "how": "name", "connected_realm_ids": [4],
                                     "matched": [{"realm_id": 4, "name": "Kilrogg", "slug": "kilrogg"}]}
    assert payload["unmatched"] == ["Nowhere"]


def test_normalization() -> None:
    assert normalize_realm_name("Kil'jaeden") == normalize_realm_name("kiljaeden") == "kiljaeden"
    assert normalize_realm_name("Ａｒｅａ ５２") == "area52"  # full-width forms (NFKC)
    assert normalize_realm_name("Straße") == normalize_realm_name("STRASSE")  # casefold, not lower

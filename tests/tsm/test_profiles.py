"""Reading an account's TSM profiles and the characters using them from the meta keys alone: real files,
generated ones, and files whose meta TSM itself would refuse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import real_fixture
from sv_factory import accounting_heavy, render, tsm_db

from tsmsyncd.errors import LuaLimitError, SavedVariablesError
from tsmsyncd.tsm.luasandbox import LuaLimits
from tsmsyncd.tsm.profiles import Character, parse_profiles, read_profiles
from tsmsyncd.tsm.savedvars import parse_savedvars

NAME = "TradeSkillMaster.lua"


def copy(tmp_path: Path, fixture: str) -> Path:
    target = tmp_path / "SavedVariables" / NAME
    target.parent.mkdir()
    shutil.copyfile(real_fixture(fixture), target)
    return target


def test_real_tbc_classic_file(tmp_path: Path) -> None:
    found = read_profiles(copy(tmp_path, "real-tbc-classic.lua"))
    assert found.version == 103 and found.name == NAME
    (default,) = found.profiles
    assert default.profile == "Default" and default.listed
    assert default.characters == (Character("Liandrii", "Earthfury"), Character("Eurydice", "Skyfury"))
    assert default.realms == ("Earthfury", "Skyfury")
    assert found.unassigned == ()


def test_real_retail_zhcn_file_keeps_realm_names_as_the_client_shows_them(tmp_path: Path) -> None:
    found = read_profiles(copy(tmp_path, "real-retail-legacy-names.lua"))
    assert found.version == 53
    (default,) = found.profiles
    assert default.characters == (Character("舒伯利斯", "伊莫塔尔"),)
    assert default.characters[0].key == "舒伯利斯 - 伊莫塔尔"


def generated(current: dict[str, str], chars: list[str], profiles: tuple[str, ...] = ("Default",)) -> bytes:
    db = tsm_db(profiles=profiles)
    db["_currentProfile"] = current
    db["_scopeKeys"]["char"] = chars
    return render(db)


def test_profiles_group_their_characters_in_scope_key_order() -> None:
    chars = ["Zed - Area 52", "Amy - Kil'jaeden", "Bo - Azjol-Nerub", "Cy - Area 52", "New - Illidan"]
    current = {"Zed - Area 52": "Main", "Amy - Kil'jaeden": "Alts", "Bo - Azjol-Nerub": "Main",
               "Cy - Area 52": "Main", "Old - Gone Realm": "Retired"}
    found = parse_profiles(generated(current, chars, ("Main", "Alts", "Unused")), NAME)
    by_name = {p.profile: p for p in found.profiles}
    assert [p.profile for p in found.profiles] == ["Main", "Alts", "Unused", "Retired"]
    assert [c.key for c in by_name["Main"].characters] == ["Zed - Area 52", "Bo - Azjol-Nerub", "Cy - Area 52"]
    assert by_name["Main"].realms == ("Area 52", "Azjol-Nerub")
    assert by_name["Alts"].characters == (Character("Amy", "Kil'jaeden"),)
    assert by_name["Unused"].characters == ()
    assert not by_name["Retired"].listed  # named by _currentProfile, missing from _scopeKeys.profile
    assert found.unassigned == (Character("New", "Illidan"),)
    assert found.profile("Alts") is by_name["Alts"] and found.profile("Nope") is None


def test_the_json_is_safe_for_names_that_are_not_utf8() -> None:
    odd = b"Gr\xfcn".decode("utf-8", "surrogateescape")  # a Latin-1 name from an old client
    found = parse_profiles(generated({f"{odd} - Illidan": "Default"}, [f"{odd} - Illidan"]), NAME)
    payload = json.loads(json.dumps(found.as_json(), ensure_ascii=False))
    assert payload["profiles"][0]["characters"] == [{"name": "Gr\ufffdn", "realm": "Illidan"}]
    assert payload["profiles"][0]["realms"] == ["Illidan"]


def test_only_the_meta_keys_are_run() -> None:
    """The rest of the file is not given to Lua: an endless loop outside the meta keys is not reached (a
    merge loads the whole file and refuses it)."""
    data = render(tsm_db()).replace(b"TradeSkillMasterDB = {", b"TradeSkillMasterDB = {\r\n\t[\"p@x@y@z\"] = "
                                    b"(function() while true do end end)(),", 1)
    assert parse_profiles(data, NAME).profiles[0].profile == "Default"


def test_a_big_file_costs_only_what_its_meta_keys_cost() -> None:
    """An instruction budget far too small for loading the whole file is plenty for its meta keys."""
    data = accounting_heavy(4 * 2**20, groups=1000)
    tight = LuaLimits(base_instructions=20_000, instructions_per_byte=0)
    with pytest.raises(LuaLimitError):
        parse_savedvars(data, NAME, tight)
    assert parse_profiles(data, NAME, tight).profiles[0].characters == (Character("Alice", "Illidan"),)


def meta(text: bytes) -> bytes:
    return b"\r\nTradeSkillMasterDB = {\r\n" + text + b"\r\n}\r\nTSMItemInfoDB = {}\r\n"


GOOD = b'["_version"] = 129, ["_hash"] = 1, ["_scopeKeys"] = {["profile"] = {"Default"}},'


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "is empty"),
        (b"  \r\n", "is empty"),
        (b"WeakAurasSaved = {}\r\n", "not TradeSkillMaster's file"),
        (meta(b'["p@Default@userData@groups"] = {},'), "no meta keys"),
        (meta(b'["_hash"] = 1, ["_scopeKeys"] = {},'), "no _version"),
        (meta(b'["_version"] = 7, ["_hash"] = 1, ["_scopeKeys"] = {},'), "looks like a TSM3 file"),
        (meta(GOOD + b'["_currentProfile"] = {["A - B"] = 5},'), "_currentProfile is not a table"),
        (meta(b'["_version"] = 129, ["_hash"] = 1, ["_scopeKeys"] = {["guild"] = {}},'), "unknown scope 'guild'"),
        (meta(b'"stray", ' + GOOD), "array part"),
        (meta(b'["_version"] = 129 129, ["_hash"] = 1,'), "not valid Lua 5.1"),
        (meta(GOOD + b'["_syncOwner"] = os.exit(),'), "runs code"),
        (b"TradeSkillMasterDB = {\r\n" + GOOD, "cannot be read"),  # truncated
        (b"TradeSkillMasterDB = {} TradeSkillMasterDB = {}", "cannot be read"),
    ],
)
def test_files_the_meta_cannot_answer_for_are_refused_with_one_line(data: bytes, reason: str) -> None:
    with pytest.raises(SavedVariablesError, match=reason) as err:
        parse_profiles(data, NAME)
    assert "\n" not in str(err.value) and NAME in str(err.value)


def test_an_endless_loop_in_a_meta_key_hits_the_limit() -> None:
    data = meta(GOOD + b'["_currentProfile"] = (function() while true do end end)(),')
    with pytest.raises(LuaLimitError, match="refused"):
        parse_profiles(data, NAME)


def test_a_file_that_cannot_be_read_names_itself(tmp_path: Path) -> None:
    with pytest.raises(SavedVariablesError, match="cannot read .*TradeSkillMaster.lua"):
        read_profiles(tmp_path / NAME)

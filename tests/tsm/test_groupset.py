"""The GroupSet document: what loads, how it round-trips, and how each mistake is named."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tsmsyncd.errors import GroupSetError
from tsmsyncd.tsm.groupset import GroupSet, is_item_string

DESIGN_EXAMPLE = {
    "format": "tsmsyncd.groupset/1",
    "root": "TSM Sync",
    "generated_at": "2026-11-24T12:00:00Z",
    "source": {"region": "us", "connected_realm_id": 3678, "realm": "Illidan"},
    "groups": [
        {"path": ["Flips"], "items": [], "operations": {"Shopping": ["TSM Sync Flip Buy"]}},
        {"path": ["Flips", "High Volume"], "items": ["i:2447", "i:765"], "operations": {}},
    ],
    "operations": {"Shopping": {"TSM Sync Flip Buy": {"maxPrice": "dbmarket * 0.8", "restockQuantity": "10"}}},
}


def with_change(path: str, value: object) -> dict:
    doc = copy.deepcopy(DESIGN_EXAMPLE)
    target = doc
    parts = path.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return doc


def test_the_design_example_loads() -> None:
    gs = GroupSet.from_dict(DESIGN_EXAMPLE)
    assert gs.root == "TSM Sync"
    assert gs.group_paths() == (("Flips",), ("Flips", "High Volume"))
    assert gs.groups[1].items == ("i:2447", "i:765")
    assert gs.operation_refs() == {("Shopping", "TSM Sync Flip Buy")}
    assert gs.source["connected_realm_id"] == 3678


def test_json_round_trip_is_byte_stable() -> None:
    text = GroupSet.from_dict(DESIGN_EXAMPLE).to_json()
    again = GroupSet.from_json(text)
    assert again == GroupSet.from_json(again.to_json())
    assert again.to_json() == text
    assert json.loads(text) == DESIGN_EXAMPLE


def test_a_loaded_groupset_cannot_be_changed() -> None:
    gs = GroupSet.from_dict(DESIGN_EXAMPLE)
    with pytest.raises(TypeError):
        gs.operations["Shopping"]["x"] = {}  # type: ignore[index]


def test_unicode_names_are_fine() -> None:
    doc = with_change("groups.0.path", ["炼金", "Flips — Été"])
    assert GroupSet.from_dict(doc).groups[0].path == ("炼金", "Flips — Été")


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("format", "tsmsyncd.groupset/2", "format", "found 'tsmsyncd.groupset/2'"),
        ("root", "", "root", "cannot be empty"),
        ("root", "TSM`Sync", "root", "backtick"),
        ("groups.0.path", ["Fl`ips"], "groups[0].path[0]", "backtick"),
        ("groups.0.path", [" Flips"], "groups[0].path[0]", "whitespace"),
        ("groups.0.path", ["Fl\x01ips"], "groups[0].path[0]", "control characters"),
        ("groups.0.path", "Flips", "groups[0].path", "expected a list"),
        ("groups.1.items", "i:2447", "groups[1].items", "expected a list of item strings, got a string"),
        ("groups.1.items", ["i:2447", "item:765"], "groups[1].items[1]", "not a TSM item string"),
        ("groups.1.items", ["i:2447", "i:2447"], "groups[1].items[1]", "one group only"),
        ("groups.0.operations", {"Shoping": ["TSM Sync Flip Buy"]}, "groups[0].operations.Shoping", "'Shopping'"),
        ("groups.0.operations", {"Shopping": ["a", "b"]}, "groups[0].operations.Shopping", "at most 1"),
        ("groups.0.operations", {"Auctioning": ["a", "a"]}, "groups[0].operations.Auctioning", "twice"),
        ("groups.1.path", ["Flips"], "groups[1].path", "same group as groups[0]"),
        ("operations", {"Shopping": {"Flip Buy": {}}}, 'operations.Shopping["Flip Buy"]', "start with the root"),
        ("operations", {"Shopping": {"TSM Sync X": {"maxPrise": "1g"}}}, 'operations.Shopping["TSM Sync X"].maxPrise',
         "'maxPrice'"),
        ("operations", {"Shopping": {"TSM Sync X": {"showAboveMaxPrice": "yes"}}},
         'operations.Shopping["TSM Sync X"].showAboveMaxPrice', "true or false"),
        ("operations", {"Shopping": {"TSM Sync X": {"ignorePlayer": {}}}},
         'operations.Shopping["TSM Sync X"].ignorePlayer', "player's own"),
        ("extra", 1, "extra", "unknown key"),
    ],
)
def test_each_mistake_names_its_field(path: str, value: object, field: str, reason: str) -> None:
    with pytest.raises(GroupSetError) as err:
        GroupSet.from_dict(with_change(path, value))
    assert err.value.field == field
    assert reason in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "item",
    ["i:2447", "i:1", "i:999999", "i:12345:0:2:1:2", "i:12345::i200", "i:12345::+5", "i:12345::-3", "i:12345::2:1:2",
     "p:39", "p:39:25:3", "p:39:i25"],
)
def test_item_strings_tsm_writes_are_accepted(item: str) -> None:
    assert is_item_string(item)


@pytest.mark.parametrize(
    "item", ["", "i:", "i:0", "i:1234567", "item:2447", "2447", "i:24x7", "p:0", "p:39::+5", "I:2447", " i:2447", 2447]
)
def test_anything_else_is_refused(item: object) -> None:
    assert not is_item_string(item)


def test_load_reports_missing_files_and_bad_json(tmp_path: Path) -> None:
    with pytest.raises(GroupSetError, match="cannot read"):
        GroupSet.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "tsmsyncd.groupset/1",\n "root": }')
    with pytest.raises(GroupSetError, match="line 2, column"):
        GroupSet.load(bad)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(GroupSetError):
        GroupSet.load(binary)


# -- issue 10, class 6: names, depth, duplicate keys -------------------------------------------------------

BASE = {"format": "tsmsyncd.groupset/1", "root": "TSM Sync"}


@pytest.mark.parametrize(("name", "reason"), [
    ("TSM Sync Buy`x", "backtick"), ("TSM Sync Buy\nx", "control characters"), ("TSM Sync Buy\x00", "control"),
    ("TSM Sync " + "x" * 300, "at most 255"), (" TSM Sync Buy", "whitespace"), ("TSM Sync \ud800", "lone surrogate"),
])
def test_operation_names_follow_the_rules_of_group_names(name: str, reason: str) -> None:
    """Issue 10, class 6: an operation's name is written into TradeSkillMaster.lua as a group's is."""
    doc = {**BASE, "groups": [], "operations": {"Shopping": {name: {}}}}
    with pytest.raises(GroupSetError, match=reason) as err:
        GroupSet.from_dict(doc)
    assert err.value.field.startswith("operations.Shopping[")


def test_a_lone_surrogate_in_a_group_name_is_a_groupset_error_naming_the_field() -> None:
    """Issue 10, class 6: not a message about the TradeSkillMaster.lua encoding."""
    text = '{"format": "tsmsyncd.groupset/1", "root": "TSM Sync", "groups": [{"path": ["Ok", "Bad \\ud800"]}]}'
    with pytest.raises(GroupSetError) as err:
        GroupSet.from_json(text)
    assert err.value.field == "groups[0].path[1]" and "lone surrogate" in str(err.value)


def test_a_3000_deep_path_is_refused_at_once_naming_the_field() -> None:
    """Issue 10, class 6: each level repeats the whole path in TradeSkillMaster.lua, so 3,000 levels of
    20-character names made a 100 MB file and 40 s of planning. The bound is checked before any name is."""
    doc = {**BASE, "groups": [{"path": [f"Level {i:014d}" for i in range(3000)], "items": ["i:2447"]}]}
    with pytest.raises(GroupSetError, match="is 3,000 levels deep; groups nest at most 32") as err:
        GroupSet.from_dict(doc)
    assert err.value.field == "groups[0].path"
    assert GroupSet.from_dict({**BASE, "groups": [{"path": [f"L{i}" for i in range(32)]}]})


def test_json_with_a_key_written_twice_is_refused() -> None:
    """Issue 10, class 6: Python's json keeps the last key, so this silently meant "Herbs"."""
    with pytest.raises(GroupSetError, match="has the key 'root' twice"):
        GroupSet.from_json('{"format": "tsmsyncd.groupset/1", "root": "A", "root": "Herbs", "groups": []}')


def test_a_name_with_closing_long_brackets_survives_lua(tmp_path: Path) -> None:
    """Names are written as quoted Lua strings, so ``]]`` (which would end a long string) is just text."""
    from sv_factory import render, tsm_db

    from tsmsyncd.store.backups import BackupStore
    from tsmsyncd.sync.apply import Merger
    from tsmsyncd.tsm.savedvars import read_savedvars

    live = tmp_path / "TradeSkillMaster.lua"
    live.write_bytes(render(tsm_db()))
    name = 'a]]b]=]c"d\\e'
    gs = GroupSet.from_dict({**BASE, "groups": [{"path": [name], "items": ["i:2447"],
                                                "operations": {"Shopping": [f"TSM Sync {name}"]}}],
                             "operations": {"Shopping": {f"TSM Sync {name}": {}}}})
    Merger(BackupStore(tmp_path / "b"), games=lambda p: []).merge(live, gs)
    sv = read_savedvars(live)
    assert f"TSM Sync`{name}" in sv.value("p@Default@userData@groups")
    assert f"TSM Sync {name}" in sv.value("p@Default@userData@operations")["Shopping"]


@pytest.mark.parametrize("number", [10**400, -(10**400), 2**60, 1e300])
def test_numbers_lua_cannot_hold_exactly_are_refused_naming_the_setting(number: float) -> None:
    doc = {**BASE, "groups": [], "operations": {"Auctioning": {"TSM Sync Post": {"duration": number}}}}
    with pytest.raises(GroupSetError, match="too big for TSM") as err:
        GroupSet.from_dict(doc)
    assert err.value.field == 'operations.Auctioning["TSM Sync Post"].duration'

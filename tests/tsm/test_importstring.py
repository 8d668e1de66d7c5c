"""Import strings: what TSM's own export format and its group list look like for a GroupSet.

The byte vectors below are worked out by hand from LibSerialize's published format (MINOR 4):

    NNNN NNN1  an int 0..127            CCCC TT10  string (TT=0) / map (1) / array (2) / mixed (3), count C
    NNNN S100  a 12-bit int, + 1 byte   TTTT T000  type index T: 0 nil, 1-8 ints (odd +, even -; 2/3/4/7
               (low 4 bits here)                   bytes), 9 float, 10/11 float as text (+/-), 12 true,
                                                   13 false, 14-16 string, 17-19 map, 20-22 array,
                                                   23-25 mixed, 26-28 string ref, 29-31 table ref
                                                   (each: count in 1/2/3 bytes)

Every serialization starts with the version byte 0x01. The decoder used to read the strings back
(``importdecoder``) is written separately from the same descriptions and shares no code with the encoder.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from importdecoder import decode_import_string, decode_print, deserialize, inflate

from tsmsyncd.errors import InputError
from tsmsyncd.tsm.groupset import GroupSet, GroupSpec
from tsmsyncd.tsm.importstring import EXPORTED_MODULES, MAGIC, VERSION, list_string, tsm_string
from tsmsyncd.tsm.libdeflate import PRINT_ALPHABET, compress_deflate, encode_for_print
from tsmsyncd.tsm.libserialize import serialize
from tsmsyncd.tsm.operations import COMMON_KEYS, Flavor, normalize_settings

ROOT = "TSM Sync"
FLIP_BUY = {"maxPrice": "dbmarket * 0.8", "restockQuantity": "10"}
POST = {"bidPercent": 0.8, "duration": 3, "postCap": "20"}


def groupset(groups: list[dict], operations: dict | None = None, root: str = ROOT) -> GroupSet:
    return GroupSet.from_dict({"format": "tsmsyncd.groupset/1", "root": root, "groups": groups,
                               "operations": operations or {}})


def design_example(items: list[str] | None = None) -> GroupSet:
    return groupset(
        [
            {"path": ["Flips"], "items": [], "operations": {"Shopping": ["TSM Sync Flip Buy"]}},
            {"path": ["Flips", "High Volume"], "items": items if items is not None else ["i:2447", "i:765"]},
        ],
        {"Shopping": {"TSM Sync Flip Buy": FLIP_BUY}},
    )


def payload(text: str) -> dict[str, object]:
    values = decode_import_string(text)
    names = ("magic", "version", "groupName", "items", "groups", "groupOperations", "operations", "customSources")
    assert len(values) == len(names)
    return dict(zip(names, values, strict=True))


# --- LibSerialize, value by value -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(("TSM_EXPORT",), bytes([
            0x01,  # serialization version 1
            0xA2,  # CCCC TT10: count 10 (1010), TT 00 = string → 1010 0010
        ]) + b"TSM_EXPORT", id="magic string"),
        pytest.param((1,), bytes([0x01, 0x03]), id="1: 0000 0011 (1 << 1 | 1)"),
        pytest.param((0, 127), bytes([0x01, 0x01, 0xFF]), id="0 and 127 embedded"),
        pytest.param((128,), bytes([
            0x01,
            0x04, 0x08,  # 128 * 16 + 4 = 2052 = 0x0804: low byte first (NNNN S100), then the high byte
        ]), id="128: 12-bit form"),
        pytest.param((4095,), bytes([0x01, 0xF4, 0xFF]), id="4095: 4095 * 16 + 4 = 0xFFF4"),
        pytest.param((4096,), bytes([
            0x01,
            0x08,  # type 1 (16-bit positive) << 3
            0x10, 0x00,  # 4096 big-endian
        ]), id="4096: 16-bit int"),
        pytest.param((65536,), bytes([0x01, 0x18, 0x01, 0x00, 0x00]), id="65536: type 3 (24-bit) << 3 = 0x18"),
        pytest.param((2**32,), bytes([
            0x01,
            0x38,  # type 7 (64-bit positive) << 3: everything past four bytes takes seven
            0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        ]), id="2^32: seven bytes"),
        pytest.param((-5,), bytes([
            0x01,
            0x5C, 0x00,  # 5 * 16 + 8 (sign) + 4 = 92 = 0x5C, high byte 0
        ]), id="-5"),
        pytest.param((-300,), bytes([0x01, 0xCC, 0x12]), id="-300: 300 * 16 + 12 = 4812 = 0x12CC"),
        pytest.param((-70000,), bytes([
            0x01,
            0x20,  # type 4 (24-bit negative) << 3
            0x01, 0x11, 0x70,  # 70000 = 0x011170, the magnitude
        ]), id="-70000"),
        pytest.param((True, False, None), bytes([
            0x01,
            0x60,  # type 12 (true) << 3
            0x68,  # type 13 (false) << 3
            0x00,  # type 0 (nil)
        ]), id="true false nil"),
        pytest.param((1.5,), bytes([
            0x01,
            0x50,  # type 10 (float as text) << 3: "1.5" is shorter than 7 characters and reads back equal
            0x03,  # text length
        ]) + b"1.5", id="1.5 as text"),
        pytest.param((-0.25,), bytes([0x01, 0x58, 0x04]) + b"0.25", id="-0.25: type 11 (negative text)"),
        pytest.param((0.1 + 0.2,), bytes([
            0x01,
            0x48,  # type 9 (float) << 3: "%.14g" gives "0.3", which is not 0.30000000000000004
            0x3F, 0xD3, 0x33, 0x33, 0x33, 0x33, 0x33, 0x34,  # IEEE 754, big-endian
        ]), id="0.1 + 0.2: eight bytes"),
        pytest.param((123.456,), bytes([0x01, 0x48, 0x40, 0x5E, 0xDD, 0x2F, 0x1A, 0x9F, 0xBE, 0x77]),
                     id="123.456: 7 characters as text, so eight bytes"),
        pytest.param((2.0,), bytes([0x01, 0x05]), id="2.0 is a whole number: embedded like 2"),
        pytest.param((math.inf, math.nan), bytes([
            0x01,
            0x48, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0,  # +inf
            0x48, 0xFF, 0xF8, 0, 0, 0, 0, 0, 0,  # NaN, always written with the sign bit
        ]), id="inf and nan"),
        pytest.param(("炼金",), bytes([
            0x01,
            0x62,  # six UTF-8 bytes (0110), string → 0110 0010
            0xE7, 0x82, 0xBC,  # 炼 U+70BC
            0xE9, 0x87, 0x91,  # 金 U+91D1
        ]), id="non-ASCII name"),
        pytest.param(("x" * 15,), b"\x01\xf2" + b"x" * 15, id="15 bytes: the longest embedded string"),
        pytest.param(("x" * 16,), bytes([
            0x01,
            0x70,  # type 14 (string, 1-byte length) << 3
            0x10,  # 16
        ]) + b"x" * 16, id="16 bytes: 1-byte length"),
        pytest.param(("x" * 300,), bytes([
            0x01,
            0x78,  # type 15 (string, 2-byte length) << 3
            0x01, 0x2C,  # 300
        ]) + b"x" * 300, id="300 bytes: 2-byte length"),
        pytest.param(("abc", "abc", "ab", "ab"), bytes([
            0x01,
            0x32, 0x61, 0x62, 0x63,  # "abc": longer than two bytes, so it becomes string reference 1
            0xD0, 0x01,  # type 26 (string ref, 1-byte index) << 3, index 1
            0x22, 0x61, 0x62,  # "ab": two bytes are never referenced
            0x22, 0x61, 0x62,  # ... so it is written again
        ]), id="a repeated string becomes a reference"),
        pytest.param(({},), bytes([
            0x01,
            0x0A,  # the empty table is an array with count 0: 0000 1010
        ]), id="empty table"),
        pytest.param((["a", "b", "c"],), bytes([
            0x01,
            0x3A,  # count 3, TT 10 = array → 0011 1010
            0x12, 0x61, 0x12, 0x62, 0x12, 0x63,  # three 1-byte strings
        ]), id="3-element array"),
        pytest.param(({1: "Op A", "override": True},), bytes([
            0x01,
            0x0E,  # mixed (TT 11): counts packed as (1 map - 1) * 4 + (1 array - 1) = 0 → 0000 1110
            0x42, 0x4F, 0x70, 0x20, 0x41,  # array part: "Op A"
            0x82, *b"override",  # map part: key "override" (8 bytes)
            0x60,  # = true
        ]), id="operation list with override: a mixed table"),
        pytest.param(({"b": 1, "a": 2},), bytes([
            0x01,
            0x26,  # two entries, TT 01 = map → 0010 0110
            0x12, 0x61, 0x05,  # stable: "a" = 2 first
            0x12, 0x62, 0x03,  # then "b" = 1
        ]), id="map keys sorted"),
        pytest.param(({True: 4, 10: 2, 5: 3, "z": 1},), bytes([
            0x01,
            0x46,  # four map entries (no key 1, so no array part)
            0x12, 0x7A, 0x03,  # strings first: "z" = 1
            0x0B, 0x07,  # then numbers in order: 5 = 3
            0x15, 0x05,  # 10 = 2
            0x60, 0x09,  # booleans last: true = 4
        ]), id="stable order of mixed key types"),
        pytest.param(([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],), bytes([
            0x01,
            0xA0, 0x10,  # type 20 (array, 1-byte count) << 3, count 16
            *range(3, 34, 2),  # 1..16 embedded: n * 2 + 1
        ]), id="16 elements: counted array"),
        pytest.param(({1: "a", 2: "b", 3: "c", 4: "d", 5: "e", "override": True},), bytes([
            0x01,
            0xB8, 0x05, 0x01,  # type 23 (mixed, 1-byte counts) << 3: 5 in the array, 1 in the map
            0x12, 0x61, 0x12, 0x62, 0x12, 0x63, 0x12, 0x64, 0x12, 0x65,
            0x82, *b"override", 0x60,
        ]), id="5 array entries: counted mixed table"),
    ],
)
def test_libserialize_known_answers(values: tuple, expected: bytes) -> None:
    assert serialize(*values) == expected
    assert _same(deserialize(expected), [_as_read(v) for v in values])


def test_a_table_written_twice_becomes_a_reference() -> None:
    shared = {"a": 1}
    assert serialize([shared, shared]) == bytes([
        0x01,
        0x2A,  # array of 2 (table reference 1 is this outer table: it is counted before its contents)
        0x16, 0x12, 0x61, 0x03,  # {a = 1}: map of 1, table reference 2
        0xE8, 0x02,  # type 29 (table ref, 1-byte index) << 3, index 2
    ])
    first, second = deserialize(serialize([shared, shared]))[0].values()
    assert first is second


# Serialized lengths (version byte included) from LibSerialize's own tests.lua, MINOR 4.
@pytest.mark.parametrize(
    ("value", "length"),
    [
        (None, 2), (True, 2), (False, 2), (0, 2), (1, 2), (127, 2), (128, 3), (4095, 3), (4096, 4), (65535, 4),
        (65536, 5), (16777215, 5), (16777216, 6), (4294967295, 6), (4294967296, 9), (9007199254740992, 9),
        (1.5, 6), (27.32, 8), (123.45678901235, 10), (148921291233.23, 10), (-0.0, 2), (-1, 3), (-4095, 3),
        (-4096, 4), (-65535, 4), (-65536, 5), (-16777215, 5), (-16777216, 6), (-4294967295, 6), (-4294967296, 9),
        (-9007199254740992, 9), (-1.5, 6), (-123.45678901235, 10), (-148921291233.23, 10),
        (math.nan, 10), (math.inf, 10), (-math.inf, 10),
        ("", 2), ("a", 3), ("abcdefghijklmno", 17), ("abcdefghijklmnop", 19), ("1234567890" * 30, 304),
        ({}, 2), ([1], 3), ([1, 2, 3, 4, 5], 7), (list(range(1, 16)), 17), (list(range(1, 17)), 19),
        ({1: 1, 2: 2, 3: 3, 4: 4, "a": 1, "b": 2, False: 3, "d": 4}, 17),  # [true] there; a dict holds 1 or True
        ({1: 1, 2: 2, 3: 3, 4: 4, 5: 5, "a": 1, "b": 2, "c": True, "d": 4}, 21),
        ({1: 1, 2: 2, 3: 3, 4: 4, 5: 5, "a": 1, "b": 2, "c": 3, "d": 4, "e": False}, 24),
        ({"a": 1, "b": 2, "c": 3}, 11), (["aa", "bb", "aa", "bb"], 14), (["aa1", "bb2", "aa3", "bb4"], 18),
        (["aa1", "bb2", "aa1", "bb2"], 14), (["aa1", "bb2", "bb2", "aa1"], 14), (["abcdefghijklmno"] * 4, 24),
        (["abcdefghijklmno"] * 3 + ["abcdefghijklmnop"], 40),
        ([{"a": 1, "b": 2}, {"a": 1, "b": 2}, {"a": 1, "b": 2}], 23),
        ({1: 1, 2: 2, math.inf: "f", 3: 3}, 16), ({1: 1, 2: 2, -math.inf: "f", 3: 3}, 16),
    ],
)
def test_lengths_published_by_libserialize(value: object, length: int) -> None:
    assert len(serialize(value)) == length


def test_values_lua_cannot_hold_are_refused() -> None:
    with pytest.raises(TypeError):
        serialize({"f": print})
    with pytest.raises(TypeError):
        serialize({None: 1})
    with pytest.raises(ValueError):
        serialize(2**53 + 1)  # not a double
    with pytest.raises(ValueError):
        serialize(2**56)  # past LibSerialize's seven-byte integers


_SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=300)
    | st.floats(allow_nan=False, allow_subnormal=False, min_value=-1e15, max_value=1e15)
)
_KEYS = st.text(max_size=20) | st.integers(-5, 40)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=20) | st.dictionaries(_KEYS, inner, max_size=20), max_leaves=60
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=4))
def test_any_lua_value_reads_back_through_the_independent_reader(values: list) -> None:
    assert _same(deserialize(serialize(*values)), [_as_read(v) for v in values])


# --- LibDeflate: the printable encoding and raw DEFLATE ----------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"\x00", "aa"),  # 8 bits → 6 + 2: values 0 and 0 → "a" "a"
        (b"\x01\x02", "bia"),  # 0x0201 = 513 → 513 % 64 = 1 "b", 8 "i", 0 "a" (16 bits → 3 characters)
        # 97 + 98 * 256 + 99 * 65536 = 6513249 → 33 "H", 9 "j", 54 "2", 24 "y" (lowest 6 bits first)
        (b"abc", "Hj2y"),
        (b"\xff\xff\xff\xff", ")))))d"),  # 24 one-bits → 63 63 63 63 ")))))"; then 0xFF → 63 ")", 3 "d"
    ],
)
def test_encode_for_print(data: bytes, text: str) -> None:
    assert encode_for_print(data) == text
    assert decode_print(text) == data


def test_decode_for_print_strips_spaces_and_control_characters_and_refuses_the_rest() -> None:
    assert decode_print(" \t\r\nHj2y \x00\x7f\n") == b"abc"
    assert decode_print("Hj 2y") is None  # only the ends are stripped
    assert decode_print("Hj2y!") is None
    assert decode_print("H") is None  # a single character cannot be decoded


@given(st.binary(max_size=200))
def test_any_bytes_survive_the_print_encoding(data: bytes) -> None:
    assert decode_print(encode_for_print(data)) == data
    assert len(encode_for_print(data)) == math.ceil(len(data) * 8 / 6)


def test_the_print_alphabet() -> None:
    assert PRINT_ALPHABET == "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789()"
    every_value = bytes(range(256)) * 3
    assert set(encode_for_print(every_value)) == set(PRINT_ALPHABET)
    assert decode_print(encode_for_print(every_value)) == every_value


def test_compress_deflate_is_raw_deflate_with_nothing_after_it() -> None:
    data = serialize("TSM_EXPORT", 1, "x" * 10000)
    compressed = compress_deflate(data)
    assert compressed[:1] != b"\x78"  # no zlib header
    assert inflate(compressed) == data  # inflate refuses trailing bytes, as TSM's importer does
    with pytest.raises(ValueError, match="extra bytes"):
        inflate(compressed + b"\x00")


# --- tsm_string: TSM's own export format ------------------------------------------------------------


def test_the_design_example_as_tsm_would_export_it() -> None:
    got = payload(tsm_string(design_example()))
    shopping = normalize_settings("Shopping", FLIP_BUY)
    assert got == {
        "magic": MAGIC,
        "version": VERSION,
        "groupName": "TSM Sync",
        "items": {"i:2447": "Flips`High Volume", "i:765": "Flips`High Volume"},
        "groups": {"": True, "Flips": True, "Flips`High Volume": True},
        "groupOperations": {
            "": {"Shopping": {"override": True}},  # the top level always overrides; the root lists none
            "Flips": {"Shopping": {1: "TSM Sync Flip Buy", "override": True}},
            "Flips`High Volume": {"Shopping": {1: "TSM Sync Flip Buy"}},  # inherited: no override
        },
        "operations": {"Shopping": {"TSM Sync Flip Buy": {k: v for k, v in shopping.items() if k not in COMMON_KEYS}}},
        "customSources": {},
    }
    assert MAGIC == "TSM_EXPORT" and VERSION == 1


def test_the_bytes_start_with_the_magic_and_version_and_name() -> None:
    raw = inflate(decode_print(tsm_string(design_example())))
    assert raw.startswith(bytes([0x01, 0xA2]) + b"TSM_EXPORT" + bytes([0x03, 0x82]) + b"TSM Sync")


def test_the_string_uses_only_the_print_alphabet() -> None:
    text = tsm_string(design_example([f"i:{n}" for n in range(1, 2000)]))
    assert re.fullmatch(r"[a-zA-Z0-9()]+", text)


def test_output_is_deterministic() -> None:
    assert tsm_string(design_example()) == tsm_string(design_example())
    reordered = groupset(
        [{"path": ["Flips", "High Volume"], "items": ["i:2447", "i:765"]},
         {"path": ["Flips"], "items": [], "operations": {"Shopping": ["TSM Sync Flip Buy"]}}],
        {"Shopping": {"TSM Sync Flip Buy": dict(reversed(list(FLIP_BUY.items())))}},
    )
    assert tsm_string(reordered) == tsm_string(design_example())  # stable: tables are written in key order


@pytest.mark.parametrize("count", [1, 100, 5000])
def test_round_trip_through_the_independent_decoder(count: int) -> None:
    items = [f"i:{n}" for n in range(1, count + 1)]
    half = max(1, count // 2)
    gs = groupset(
        [
            {"path": [], "items": items[:1], "operations": {"Auctioning": ["TSM Sync Post"]}},
            {"path": ["Flips"], "items": items[1:half], "operations": {"Shopping": ["TSM Sync Flip Buy"]}},
            {"path": ["Flips", "High Volume"], "items": items[half:]},
            {"path": ["Herbs", "Empty"], "items": []},
        ],
        {"Shopping": {"TSM Sync Flip Buy": FLIP_BUY}, "Auctioning": {"TSM Sync Post": POST}},
    )
    got = payload(tsm_string(gs))
    assert got["groupName"] == ROOT
    assert got["items"] == {item: "`".join(spec.path) for spec in gs.groups for item in spec.items}
    assert len(got["items"]) == count
    assert got["groups"] == dict.fromkeys(["", "Flips", "Flips`High Volume", "Herbs", "Herbs`Empty"], True)
    post, buy = {1: "TSM Sync Post"}, {1: "TSM Sync Flip Buy"}
    assert got["groupOperations"] == {
        "": {"Auctioning": {**post, "override": True}, "Shopping": {"override": True}},
        "Flips": {"Auctioning": post, "Shopping": {**buy, "override": True}},
        "Flips`High Volume": {"Auctioning": post, "Shopping": buy},
        "Herbs": {"Auctioning": post, "Shopping": {}},
        "Herbs`Empty": {"Auctioning": post, "Shopping": {}},
    }
    assert got["operations"] == {
        "Auctioning": {"TSM Sync Post": _exported("Auctioning", POST)},
        "Shopping": {"TSM Sync Flip Buy": _exported("Shopping", FLIP_BUY)},
    }
    assert got["operations"]["Auctioning"]["TSM Sync Post"]["bidPercent"] == 0.8  # a float survives


def test_what_tsm_import_checks_holds() -> None:
    """The checks of TSM 4.14's GroupImport, restated: a string failing any of them is refused or crashes."""
    gs = groupset(
        [{"path": ["A,1", "炼金"], "items": ["i:1", "p:39:25:3"], "operations": {"Auctioning": ["TSM Sync Post"]}},
         {"path": ["B"], "items": ["i:2"], "operations": {"Vendoring": ["TSM Sync Sell"], "Shopping": []}}],
        {"Auctioning": {"TSM Sync Post": POST}, "Vendoring": {"TSM Sync Sell": {"enableBuy": False}}},
    )
    got = payload(tsm_string(gs))
    groups, items, group_ops, operations = got["groups"], got["items"], got["groupOperations"], got["operations"]
    assert isinstance(got["groupName"], str) and "`" not in got["groupName"]
    for path in groups:
        assert groups[path] is True and not path.startswith("`") and not path.endswith("`") and "``" not in path
        parts = path.split("`")
        assert all("`".join(parts[:depth]) in groups for depth in range(len(parts)))  # no orphans
    assert all(path in groups for path in items.values())
    for path, per_module in group_ops.items():
        assert path in groups
        assert set(per_module) == set(operations)  # the import dialog reads every carried module of every group
        for module, table in per_module.items():
            names = [table[i] for i in range(1, len(table) + 1) if i in table]
            assert set(table) <= {*range(1, len(names) + 1), "override"}
            assert table.get("override", True) is True
            assert path != "" or table.get("override") is True
            assert all(name in operations[module] for name in names)
            assert len(names) <= {"Auctioning": 20, "Vendoring": 1, "Shopping": 1}[module]
    assert set(operations) <= set(EXPORTED_MODULES)
    assert got["customSources"] == {}


def test_common_keys_are_stripped_from_operations() -> None:
    got = payload(tsm_string(design_example()))
    settings = got["operations"]["Shopping"]["TSM Sync Flip Buy"]
    assert not set(COMMON_KEYS) & set(settings)
    assert settings["maxPrice"] == "dbmarket * 0.8" and settings["showAboveMaxPrice"] is True  # defaults filled in
    assert settings["restockSources"] == {"alts": False, "auctions": False, "bank": False, "guild": False}


def test_classic_flavors_get_their_own_fields() -> None:
    gs = groupset([{"path": ["A"], "items": ["i:1"], "operations": {"Auctioning": ["TSM Sync Post"]}}],
                  {"Auctioning": {"TSM Sync Post": POST}})
    retail = payload(tsm_string(gs))["operations"]["Auctioning"]["TSM Sync Post"]
    era = payload(tsm_string(gs, Flavor.CLASSIC_ERA))["operations"]["Auctioning"]["TSM Sync Post"]
    assert retail["undercut"] == "0c" and "blacklist" not in retail
    assert era["undercut"] == "1c" and era["blacklist"] == "" and era["stackSize"] == "1"


def test_mailing_never_travels() -> None:
    """TSM leaves Mailing out of its exports and refuses an import string that has it."""
    gs = groupset([{"path": ["A"], "items": ["i:1"], "operations": {"Mailing": ["TSM Sync Mail"]}}],
                  {"Mailing": {"TSM Sync Mail": {"target": "Alt"}}})
    got = payload(tsm_string(gs))
    assert got["operations"] == {} and got["groupOperations"] == {"": {}, "A": {}}
    assert "Mailing" not in EXPORTED_MODULES and len(EXPORTED_MODULES) == 6


def test_modules_no_group_uses_are_not_carried() -> None:
    """So the imported groups keep inheriting the player's own operations for them."""
    got = payload(tsm_string(groupset([{"path": ["A"], "items": ["i:1"], "operations": {"Shopping": []}}])))
    assert got["operations"] == {} and got["groupOperations"] == {"": {}, "A": {}}
    assert got["items"] == {"i:1": "A"}


def test_only_operations_in_use_are_carried() -> None:
    gs = groupset([{"path": ["A"], "items": ["i:1"], "operations": {"Shopping": ["TSM Sync Flip Buy"]}}],
                  {"Shopping": {"TSM Sync Flip Buy": FLIP_BUY, "TSM Sync Unused": FLIP_BUY}})
    assert list(payload(tsm_string(gs))["operations"]["Shopping"]) == ["TSM Sync Flip Buy"]


def test_an_empty_groupset_is_still_a_valid_export() -> None:
    got = payload(tsm_string(groupset([])))
    assert got["items"] == {} and got["groups"] == {"": True} and got["groupOperations"] == {"": {}}


def test_a_referenced_operation_the_groupset_does_not_define_is_refused() -> None:
    gs = groupset([{"path": ["A"], "items": ["i:1"], "operations": {"Shopping": ["#Default"]}}])
    with pytest.raises(InputError, match=r"group 'TSM Sync`A' uses Shopping operation '#Default'") as err:
        tsm_string(gs)
    assert "\n" not in str(err.value)


def test_more_operations_than_tsm_allows_is_refused() -> None:
    """GroupSet.from_dict already refuses this; a GroupSet built in code is checked again."""
    gs = GroupSet(ROOT, (GroupSpec(("A",), ("i:1",), {"Shopping": ("TSM Sync A", "TSM Sync B")}),),
                  {"Shopping": {"TSM Sync A": FLIP_BUY, "TSM Sync B": FLIP_BUY}})
    with pytest.raises(InputError, match="at most 1"):
        tsm_string(gs)


def test_settings_a_flavor_does_not_have_are_refused() -> None:
    gs = GroupSet(ROOT, (GroupSpec(("A",), (), {"Auctioning": ("TSM Sync Post",)}),),
                  {"Auctioning": {"TSM Sync Post": {"blacklist": "Someone"}}})
    assert payload(tsm_string(gs, Flavor.CLASSIC))["operations"]["Auctioning"]["TSM Sync Post"]["blacklist"]
    with pytest.raises(InputError, match="not valid for retail clients"):
        tsm_string(gs)


# --- list_string: TSM's plain group list -----------------------------------------------------------


def test_list_format_of_the_design_example() -> None:
    assert list_string(design_example()) == "group:TSM Sync`Flips,group:TSM Sync`Flips`High Volume,i:2447,i:765"


def test_list_format_keeps_groups_without_items_and_the_groupset_order() -> None:
    gs = groupset([
        {"path": ["Z"], "items": ["i:3"]},
        {"path": [], "items": ["i:1"]},
        {"path": ["A", "Empty"], "items": []},
        {"path": ["A"], "items": ["p:39", "i:2::-5"]},
    ])
    text = list_string(gs)
    assert text == "group:TSM Sync`Z,i:3,group:TSM Sync,i:1,group:TSM Sync`A`Empty,group:TSM Sync`A,p:39,i:2::-5"
    assert list_string(gs) == text


def test_list_format_writes_a_comma_in_a_name_as_a_double_backtick() -> None:
    gs = groupset([{"path": ["Herbs, Ore", "1,2,"], "items": ["i:765"]}], root="Mats,Sync")
    text = list_string(gs)
    assert text == "group:Mats``Sync`Herbs`` Ore`1``2``,i:765"
    # How TSM reads it: split on commas, then each double backtick is a comma again.
    group_part = text.split(",")[0]
    assert group_part.removeprefix("group:").replace("``", ",").split("`") == ["Mats,Sync", "Herbs, Ore", "1,2,"]


def test_list_format_refuses_what_tsm_would_misread() -> None:
    with pytest.raises(InputError, match="cannot start with a comma"):
        list_string(groupset([{"path": [",Herbs"], "items": ["i:765"]}]))
    with pytest.raises(InputError, match=r"i:765::i400 .* list format"):
        list_string(groupset([{"path": ["Herbs"], "items": ["i:765::i400"]}]))  # TSM's list parser rejects it
    with pytest.raises(InputError, match="no items"):
        list_string(groupset([{"path": ["Herbs"], "items": []}]))


def test_list_format_carries_no_operations() -> None:
    assert "Flip Buy" not in list_string(design_example())


def test_level_items_travel_in_the_tsm_string() -> None:
    gs = groupset([{"path": ["Gear"], "items": ["i:765::i400", "i:766::+5"]}])
    assert payload(tsm_string(gs))["items"] == {"i:765::i400": "Gear", "i:766::+5": "Gear"}


# --- helpers -----------------------------------------------------------------------------------------


def _exported(module: str, settings: dict) -> dict:
    return {k: v for k, v in normalize_settings(module, settings).items() if k not in COMMON_KEYS}


def _as_read(value: object) -> object:
    """A value as the reader returns it: Lua tables as dicts keyed 1..n and without nil values, whole
    numbers as ints."""
    if isinstance(value, list):
        return {i: _as_read(v) for i, v in enumerate(value, start=1) if v is not None}
    if isinstance(value, dict):
        return {k: _as_read(v) for k, v in value.items() if v is not None}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _same(read: list, written: list) -> bool:
    """Equal, with NaN equal to NaN."""
    return len(read) == len(written) and all(
        (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or a == b
        for a, b in zip(read, written, strict=True)
    )

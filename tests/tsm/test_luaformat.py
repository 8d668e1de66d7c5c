"""Specifications for writing Lua values the client's way and splicing them into original bytes.

The oracle is real Lua 5.1 (the sandbox). ``serialize`` must produce text that Lua reads back as exactly
``lua_shape(value)``, in the client's layout, with only the escapes Lua 5.1 (and the client) understand.
``splice`` must change the values it is asked to change and nothing else: the file around them is compared
byte for byte. The files for the splice property are written by a small emitter in this module that shares
nothing with ``luaformat``: it spells strings, numbers, keys and comments in every way Lua 5.1 allows.
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest
from conftest import real_fixture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from luavalues import tag

from tsmsyncd.tsm.luaformat import lua_shape, serialize, serialize_key, splice
from tsmsyncd.tsm.luasandbox import LuaSandbox, to_python
from tsmsyncd.tsm.luascan import scan_entries, scan_global_table

DB = "TradeSkillMasterDB"
INF = float("inf")
_LUA = LuaSandbox()
_SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def lua_globals(data: bytes) -> dict:
    return to_python(_LUA.load(data, "test.lua"))  # type: ignore[return-value]


def lua_value(text: bytes) -> object:
    """What Lua makes of ``text`` as a value on its own."""
    return lua_globals(b"x = " + text)["x"]


def lua_is(text: bytes, check: bytes) -> bool:
    """Evaluate a Lua condition about ``x = <text>`` inside Lua (signs of zero and infinities survive)."""
    return lua_globals(b"x = " + text + b"\nok = " + check)["ok"] is True


def string_escapes(text: bytes) -> list[bytes]:
    """Every escape sequence inside the double-quoted strings of serialize's output (3 bytes after '\\')."""
    found, i, inside = [], 0, False
    while i < len(text):
        c = text[i]
        if inside and c == 0x5C:
            found.append(text[i + 1 : i + 4])
            i += 2
            continue
        if c == 0x22:
            inside = not inside
        i += 1
    return found


def assert_only_lua51_escapes(text: bytes) -> None:
    for escape in string_escapes(text):
        assert escape[:1] in (b"\\", b'"', b"n", b"r") or escape == b"000", escape


# ---------------------------------------------------------------------------------------------------------
# serialize: the client's layout


def test_hash_entries_are_tab_indented_bracketed_and_comma_terminated() -> None:
    assert serialize({"a": "x"}) == b'{\r\n\t["a"] = "x",\r\n}'
    assert serialize({"a": {"b": True}}, 1) == b'{\r\n\t\t["a"] = {\r\n\t\t\t["b"] = true,\r\n\t\t},\r\n\t}'
    lines = serialize({7: False, -1: 2, 1.5: 3}).split(b"\r\n")
    assert sorted(lines[1:-1]) == [b"\t[-1] = 2,", b"\t[1.5] = 3,", b"\t[7] = false,"]
    assert serialize({True: 1}) == b"{\r\n\t[true] = 1,\r\n}"
    assert serialize_key("k") == b'["k"]' and serialize_key(3) == b"[3]" and serialize_key(False) == b"[false]"


def test_array_entries_carry_index_comments() -> None:
    assert serialize(["x", {"y": 1}]) == b'{\r\n\t"x", -- [1]\r\n\t{\r\n\t\t["y"] = 1,\r\n\t}, -- [2]\r\n}'
    assert serialize({1: "a", 2: "b", 4: "d", "k": 0}, eol=b"\n") == (
        b'{\n\t"a", -- [1]\n\t"b", -- [2]\n\t[4] = "d",\n\t["k"] = 0,\n}'
    )
    assert serialize((True,), 2) == b"{\r\n\t\t\ttrue, -- [1]\r\n\t\t}"


def test_empty_tables_break_the_line_and_indent_the_brace() -> None:
    assert serialize({}) == b"{\r\n}"
    assert serialize([], 1) == b"{\r\n\t}"
    assert serialize({}, 3, b"\n") == b"{\n\t\t\t}"
    assert serialize({"f": {}}, 1) == b'{\r\n\t\t["f"] = {\r\n\t\t},\r\n\t}'


def test_line_endings_are_the_files_own() -> None:
    value = {"a": ["x", {"b": "line\r\nbreak"}], "c": {}}
    crlf, lf = serialize(value, 1, b"\r\n"), serialize(value, 1, b"\n")
    assert crlf.replace(b"\r\n", b"\n") == lf
    assert b"\r" not in lf and crlf.count(b"\n") == crlf.count(b"\r\n") == 9
    assert lua_value(crlf) == lua_value(lf) == lua_shape(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, b"0"), (7, b"7"), (-3, b"-3"), (2**53, b"9007199254740992"), (-(2**53), b"-9007199254740992"),
        (1.5, b"1.5"), (0.1, b"0.1"), (-2.25, b"-2.25"), (3.0, b"3"), (-4.0, b"-4"), (1e308, b"1e+308"),
        (5e-324, b"5e-324"), (2.2250738585072014e-308, b"2.2250738585072014e-308"), (1 / 3, b"0.3333333333333333"),
        (2.0**53, b"9007199254740992.0"), (1e16, b"1e+16"), (-0.0, b"-0"), (True, b"true"), (False, b"false"),
        (INF, b"1e999"), (-INF, b"-1e999"),
    ],
)
def test_numbers_and_booleans(value: object, text: bytes) -> None:
    assert serialize(value) == text
    assert tag(lua_value(text)) == tag(lua_shape(value))
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        assert text == repr(value).encode()  # the shortest text that reads back as the same double


def test_negative_zero_is_written_with_its_sign() -> None:
    assert serialize(-0.0) == b"-0" and lua_is(serialize(-0.0), b"1/x < 0")


def test_infinities_read_back_as_infinities() -> None:
    for value in (INF, -INF):
        assert lua_value(serialize(value)) == value
        assert lua_value(serialize({value: 1})) == {value: 1}
        data = b"TradeSkillMasterDB = {" + serialize_key(value) + b" = 1}"
        assert [f.key for f in scan_global_table(data).fields] == [value]  # a key splice writes can be read again


@pytest.mark.parametrize("order", ["zero first", "zero last"])
def test_infinities_survive_next_to_zeros(order: str) -> None:
    """Lua 5.1 keeps one constant per number value in a chunk and ``-0 == 0``: a literal ``1/0`` that follows
    a ``-0`` anywhere in the same file divides by the ``-0`` constant and reads back as -inf."""
    items = [-0.0, 0, INF, -INF, {INF: -INF}]
    items = items if order == "zero first" else items[2:] + items[:2]
    text = serialize(items)
    assert tag(lua_value(text)) == tag(lua_shape(items))
    # and inside a file that already holds a -0 before the spliced value
    data = b'TradeSkillMasterDB = {\n\t["z"] = -0,\n\t["a"] = 1,\n}\n'
    out = splice(data, scan_global_table(data), {"a": INF, "b": [-INF, 0.0]})
    assert lua_globals(out)[DB] == {"z": 0, "a": INF, "b": {1: -INF, 2: 0}}


def test_unrepresentable_numbers_and_values_are_refused() -> None:
    for bad in (float("nan"), [1, float("nan")], {"a": {"b": float("nan")}}, {float("nan"): 1}):
        with pytest.raises(ValueError):
            serialize(bad)
    with pytest.raises(ValueError):
        serialize_key(float("nan"))
    with pytest.raises(ValueError):
        serialize(2**53 + 1)
    assert serialize(2**60) == b"1152921504606846976"  # exactly a double, so exact in Lua too
    for bad in (None, object(), {1, 2}, [None]):
        with pytest.raises(TypeError):
            serialize(bad)


def test_every_byte_survives_and_only_lua51_escapes_are_used() -> None:
    every = bytes(range(256))
    text = serialize(every)
    assert lua_value(text) == every.decode("utf-8", "surrogateescape")
    assert_only_lua51_escapes(text)
    for byte in range(256):
        one = serialize(bytes([byte]) + b"7")  # a digit after \000 must not join the escape
        assert lua_value(one) == (bytes([byte]) + b"7").decode("utf-8", "surrogateescape")
        assert_only_lua51_escapes(one)
        assert not re.search(rb"\\(x|u\{|z)", one.replace(b"\\\\", b""))
    assert serialize("\x00\\\"\n\r\x01\x02é\udcff") == b'"\\000\\\\\\"\\n\\r\x01\x02\xc3\xa9\xff"'


def test_strings_with_surrogate_escapes_write_their_original_bytes() -> None:
    raw = b"Gr\xfc\xdfe\xed\xa0\x80\x01x"
    assert serialize(raw.decode("utf-8", "surrogateescape")) == b'"' + raw + b'"'
    assert serialize(raw) == b'"' + raw + b'"'


def test_regenerating_the_real_groups_value_gives_the_same_lua_value_and_lines() -> None:
    data = real_fixture("real-tbc-classic.lua").read_bytes()
    (field,) = scan_global_table(data).find("p@Default@userData@groups")
    original = data[field.value_start : field.value_end]
    value = lua_value(original)
    text = serialize(value, 1, b"\r\n")
    assert lua_value(text) == value
    assert sorted(text.split(b"\r\n")) == sorted(original.split(b"\r\n"))  # same lines; key order may differ
    assert b'["Sniper"] = ' + serialize({1: "#Default", "override": True}, 3) + b",\r\n" in data


@pytest.mark.parametrize("name", ["real-tbc-classic.lua", "real-retail-legacy-names.lua"])
@pytest.mark.parametrize("table", [DB, "TSMItemInfoDB"])
def test_every_real_field_regenerates_to_the_same_lines(name: str, table: str) -> None:
    data = real_fixture(name).read_bytes()
    values = lua_globals(data)[table]
    for f in scan_global_table(data, table).fields:
        original = data[f.value_start : f.value_end]
        assert sorted(serialize(values[f.key], 1, b"\r\n").split(b"\r\n")) == sorted(original.split(b"\r\n"))


# ---------------------------------------------------------------------------------------------------------
# splice: unit cases


@pytest.fixture
def tbc_copy(tmp_path: Path) -> bytes:
    path = tmp_path / "TradeSkillMaster.lua"
    path.write_bytes(real_fixture("real-tbc-classic.lua").read_bytes())
    return path.read_bytes()


def test_splice_replaces_one_real_value_and_nothing_else(tbc_copy: bytes) -> None:
    data = tbc_copy
    layout = scan_global_table(data)
    (field,) = layout.find("p@Default@userData@groups")
    new = {"": {"Auctioning": ["#Default", "Mine"]}, "Ore": {}}
    out = splice(data, layout, {"p@Default@userData@groups": new})
    text = serialize(new, 1, b"\r\n")
    assert out == data[: field.value_start] + text + data[field.value_end :]
    before, after = lua_globals(data), lua_globals(out)
    assert after[DB].pop("p@Default@userData@groups") == lua_shape(new)
    before[DB].pop("p@Default@userData@groups")
    assert after == before


def test_splice_inserts_missing_fields_on_their_own_lines_before_the_brace(tbc_copy: bytes) -> None:
    data = tbc_copy
    layout = scan_global_table(data)
    out = splice(data, layout, {"zz@new": {"a": 1}, "aa@new": "x"})
    assert out.startswith(data[: layout.close]) and out.endswith(data[layout.close :])
    inserted = out[layout.close : len(out) - (len(data) - layout.close)]
    assert sorted(inserted.split(b"\r\n")) == sorted(
        [b'\t["aa@new"] = "x",', b'\t["zz@new"] = {', b'\t\t["a"] = 1,', b"\t},", b""]
    )
    assert data[layout.close - 2 : layout.close] == b"\r\n"  # so the insertion starts a line of its own
    after = lua_globals(out)
    assert after[DB].pop("zz@new") == {"a": 1} and after[DB].pop("aa@new") == "x"
    assert after == lua_globals(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'TradeSkillMasterDB = { ["a"] = 1 }', b'TradeSkillMasterDB = { ["a"] = 1,\n\t["n"] = 2 }'),
        (b'TradeSkillMasterDB = { ["a"] = 1, }', b'TradeSkillMasterDB = { ["a"] = 1, \n\t["n"] = 2,\n}'),
        (b"TradeSkillMasterDB = {}\r\n", b'TradeSkillMasterDB = {\r\n\t["n"] = 2,\r\n}\r\n'),
        (b"TradeSkillMasterDB = {\r\n}\r\n", b'TradeSkillMasterDB = {\r\n\t["n"] = 2,\r\n}\r\n'),
        (
            b'TradeSkillMasterDB = {\n\t["a"] = 1 -- one\n}\nX = 1\n',
            b'TradeSkillMasterDB = {\n\t["a"] = 1,\n\t["n"] = 2 -- one\n}\nX = 1\n',
        ),
        (
            b'TradeSkillMasterDB = {\n\t["a"] = 1; -- [1]\n}\n',
            b'TradeSkillMasterDB = {\n\t["a"] = 1; -- [1]\n\t["n"] = 2,\n}\n',
        ),
    ],
)
def test_splice_insertion_cases(data: bytes, expected: bytes) -> None:
    out = splice(data, scan_global_table(data), {"n": 2})
    assert out == expected
    assert lua_globals(out)[DB]["n"] == 2


def test_splice_keeps_key_text_and_separator_of_replaced_fields() -> None:
    data = b"TradeSkillMasterDB = {\n\tfoo = 1; [ 'b\\x' ]=--c\n\"old\" -- keep\n}\n"
    out = splice(data, scan_global_table(data), {"foo": [1], "bx": 2})
    assert out == b"TradeSkillMasterDB = {\n\tfoo = {\n\t\t1, -- [1]\n\t}; [ 'b\\x' ]=--c\n2 -- keep\n}\n"


def test_splice_refuses_a_duplicated_key() -> None:
    data = b'TradeSkillMasterDB = {\n\t["a"] = 1,\n\t["a"] = 2,\n}\n'
    with pytest.raises(ValueError, match="appears 2 times"):
        splice(data, scan_global_table(data), {"a": 3})
    assert splice(data, scan_global_table(data), {}) == data


# ---------------------------------------------------------------------------------------------------------
# splice with ``previous``: tables written one entry per line are edited entry by entry

_GROUPS = (
    b'\r\nTradeSkillMasterDB = {\r\n\t["p@Default@userData@items"] = {\r\n\t\t["i:1"] = "A",\r\n'
    b'\t\t["i:2"] = "A`B", -- mine\r\n\t\t["i:3"] = "C",\r\n\t\t[7] = 1,\r\n\t},\r\n\t["x"] = 1,\r\n}\r\n'
)


def _edit(data: bytes, key: str, new: object) -> tuple[bytes, object]:
    """Splice ``new`` into ``key`` the way the app does (with the current Lua value as ``previous``)."""
    old = lua_globals(data)[DB][key]
    out = splice(data, scan_global_table(data), {key: new}, {key: old})
    return out, lua_globals(out)[DB][key]


def test_entry_edits_keep_every_untouched_line() -> None:
    new = {"i:1": "A", "i:2": "A`B", "i:4": "D", 7: 2}
    out, value = _edit(_GROUPS, "p@Default@userData@items", new)
    assert value == new
    assert out == _GROUPS.replace(b'\t\t["i:3"] = "C",\r\n', b"").replace(
        b"\t\t[7] = 1,\r\n\t}", b'\t\t[7] = 2,\r\n\t\t["i:4"] = "D",\r\n\t}'
    )


def test_entry_edits_tell_true_from_one() -> None:
    """``True == 1`` in Python; a value that changes from 1 to true must still be written."""
    out, value = _edit(_GROUPS, "p@Default@userData@items", {"i:1": "A", "i:2": "A`B", "i:3": "C", 7: True})
    assert value[7] is True
    data = b'TradeSkillMasterDB = {\n\t["t"] = {\n\t\t[1] = "x",\n\t\t[0] = {\n\t\t\t["k"] = 1,\n\t\t},\n\t},\n}\n'
    for new in ({True: "x", 0: {"k": 1}}, {1: "x", False: {"k": 1}}, {1: "x", 0: {"k": True}}):
        out, value = _edit(data, "t", new)
        assert tag(value) == tag(new)


def test_entry_edits_drop_entries_whose_new_value_is_none() -> None:
    """None is no entry at all (as in serialize and lua_shape), whether the key is new or already there."""
    new = {"i:1": None, "i:2": "A`B", "i:3": "C", 7: 1, "i:9": None}
    out, value = _edit(_GROUPS, "p@Default@userData@items", new)
    assert value == lua_shape(new)
    assert out == _GROUPS.replace(b'\t\t["i:1"] = "A",\r\n', b"")


def test_entry_edits_are_not_fooled_by_a_long_comment_after_an_entry() -> None:
    """``--[[`` after an entry's comma opens a long comment: the next line is not an entry Lua sees."""
    data = b'TradeSkillMasterDB = {\n\t["t"] = {\n\t\t["a"] = 1, --[[\n\t\t["b"] = 2, --]] ["b"] = 3,\n\t},\n}\n'
    out, value = _edit(data, "t", {"a": 1, "b": 4})
    assert value == {"a": 1, "b": 4}
    assert scan_entries(data, data.index(b"{", 25), data.index(b"\t}")) is None


# ---------------------------------------------------------------------------------------------------------
# Strategies

_TRICKY = [
    b'"', b"'", b"\\", b"]", b"]]", b"]=]", b"[[", b"[=[", b"--", b"\n", b"\r", b"\r\n", b"\0", b"\\\"", b"{",
    b"}", b'["p@Default@userData@groups"] = {', b"TradeSkillMasterDB = {", b"\xff", b"\xc3\xa9", b"\xed\xa0\x80",
    b"\x01", b"\x02", b"0", b"12", b" ", b"\t", b"i:12345", b"`",
]
raw_strings = st.one_of(
    st.binary(max_size=24),
    st.lists(st.sampled_from(_TRICKY), max_size=6).map(b"".join),
    st.text(max_size=12).map(str.encode),
    st.binary(min_size=81, max_size=100),
)
# str the way Lua gives it back: decoded once, so bytes that are not UTF-8 become surrogates
texts = raw_strings.map(lambda raw: raw.decode("utf-8", "surrogateescape"))
ints = st.one_of(st.integers(-(2**53), 2**53), st.integers(-3, 10))
floats = st.one_of(st.floats(allow_nan=False), st.sampled_from([0.0, -0.0, INF, -INF, 5e-324, 1e308, 2.0**53]))
scalars = st.one_of(st.booleans(), ints, floats, texts, raw_strings)
keys = st.one_of(texts, raw_strings, ints, floats, st.booleans(), st.integers(1, 4))


def _containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5))


values = st.recursive(scalars, _containers, max_leaves=25)

# Files: keys without bytes (a bytes key and an equal str key would be one Lua key written twice)
file_keys = st.one_of(texts, ints, st.floats(allow_nan=False), st.booleans()).map(lua_shape)
file_scalars = st.one_of(st.booleans(), ints, floats, texts, raw_strings)
file_values = st.recursive(
    file_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(file_keys, children, max_size=4)),
    max_leaves=12,
)


# ---------------------------------------------------------------------------------------------------------
# Property A: serialize round-trips through Lua 5.1


@settings(_SLOW, max_examples=250)
@given(value=values, level=st.integers(0, 3), eol=st.sampled_from([b"\r\n", b"\n"]))
def test_serialize_reads_back_as_its_lua_shape(value: object, level: int, eol: bytes) -> None:
    text = serialize(value, level, eol)
    assert tag(lua_value(text)) == tag(lua_shape(value))
    assert_only_lua51_escapes(text)
    if eol == b"\n":
        assert b"\r" not in text
    else:
        assert text.count(b"\r") == text.count(b"\n") == text.count(b"\r\n")
    if isinstance(value, (dict, list)):
        lines = text.split(eol)
        assert lines[0] == b"{" and lines[-1] == b"\t" * level + b"}"
        assert all(line.startswith(b"\t" * (level + 1)) for line in lines[1:-1])


# ---------------------------------------------------------------------------------------------------------
# An independent emitter for whole files

_KEYWORDS = {
    b"and", b"break", b"do", b"else", b"elseif", b"end", b"false", b"for", b"function", b"if", b"in", b"local",
    b"nil", b"not", b"or", b"repeat", b"return", b"then", b"true", b"until", b"while",
}
_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_WILD_ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 11: b"\\v", 12: b"\\f", 0x27: b"\\'", 0x22: b'\\"'}
_COMMENTS = [
    b'["p@Default@userData@groups"] = {', b"}", b"{", b'"', b"'", b"[[", b"]]", b"--", b"TradeSkillMasterDB = {",
    b"\\", b"[1]", b"\xff\xfe", b"",
]


class Emitter:
    """Writes Lua 5.1 source for Python values, choosing at random among the spellings Lua accepts."""

    def __init__(self, rng: random.Random, eol: bytes) -> None:
        self.rng = rng
        self.eol = eol
        self.out = bytearray()
        self.client = False  # write exactly as the client does (the first option of every choice)

    def pick(self, *options: bytes) -> bytes:
        return options[0] if self.client else options[self.rng.randrange(len(options))]

    def long_bracket(self, body: bytes) -> bytes:
        """``[==[body]==]`` at the lowest level (from a random start) whose closer is not in ``body``."""
        level = self.rng.randrange(3)
        while True:
            close = b"]" + b"=" * level + b"]"
            # Lua 5.1 ends at the first closer and refuses a nested "[[" at level 0
            if (body + close).find(close) == len(body) and (level or b"[[" not in body):
                return b"[" + b"=" * level + b"[" + body + close
            level += 1

    def long_comment(self) -> bytes:
        return b"--" + self.long_bracket(self.pick(*_COMMENTS, b"a\n}\n").replace(b"\n", self.eol))

    def short_comment(self) -> bytes:
        """A ``--`` comment; the caller must end the line right after it."""
        return self.pick(b"-- ", b"--", b"---") + self.pick(*_COMMENTS).lstrip(b"[")

    def string(self, raw: bytes) -> bytes:
        form = 5 if self.client else self.rng.randrange(6)
        if form == 0 and b"\r" not in raw:
            body = raw.replace(b"\n", self.eol)  # a raw line break in a long string is read as "\n"
            if body[:1] in (b"\r", b"\n") or self.rng.random() < 0.3:
                body = self.eol + body  # a first line break is dropped
            return self.long_bracket(body)
        quote = b"'" if form == 1 else b'"'
        wild = form in (1, 2)
        out = bytearray(quote)
        for i, byte in enumerate(raw):
            next_is_digit = raw[i + 1 : i + 2].isdigit()
            if byte in (0x5C, quote[0]):
                out += b"\\" + bytes([byte])
            elif byte == 0x0A:
                out += self.pick(b"\\n", b"\\" + self.eol, b"\\010") if wild else b"\\n"
            elif byte == 0x0D:
                out += self.pick(b"\\r", b"\\013") if wild else b"\\r"
            elif byte == 0:
                out += b"\\000" if next_is_digit or not wild else self.pick(b"\\0", b"\\00", b"\\000")
            elif wild and self.rng.random() < 0.3:
                out += _WILD_ESCAPES.get(byte) or (b"\\%03d" % byte if next_is_digit else b"\\%d" % byte)
            else:
                out.append(byte)
        return bytes(out + quote)

    def number(self, value: int | float, key: bool = False) -> bytes:
        if isinstance(value, float):
            if math.isinf(value):
                text = b"1e999" if key else self.pick(b"1e999", b"2^1024")
                return text if value > 0 else b"-" + text
            if value == 0 and math.copysign(1.0, value) < 0:
                return self.pick(b"-0", b"-0.0")
            if not value.is_integer() or abs(value) >= 2**53:
                return self.pick(repr(value).encode(), b"%.17g" % value)
            value = int(value)
        options = [b"%d" % value, b"%d.0" % value, b"%de0" % value]
        if abs(value) < 2**31:
            options.append(b"0x%x" % value if value >= 0 else b"-0X%X" % -value)
        return self.pick(*options)

    def key(self, key: object) -> bytes:
        if isinstance(key, bool):
            return self.pick(b"[%s]", b"[ %s ]") % (b"true" if key else b"false")
        if isinstance(key, (int, float)):
            return b"[" + self.pick(b"", b" ") + self.number(key, key=True) + b"]"
        raw = key.encode("utf-8", "surrogateescape")  # type: ignore[union-attr]
        if _IDENT.fullmatch(raw) and raw not in _KEYWORDS and not self.client and self.rng.random() < 0.5:
            return raw
        literal = self.string(raw)
        pad = b" " if literal[:1] == b"[" else self.pick(b"", b" ")  # "[[[" would open a long string
        return b"[" + pad + literal + pad + b"]"

    def value(self, value: object, level: int) -> None:
        if isinstance(value, bool):
            self.out += b"true" if value else b"false"
        elif isinstance(value, (int, float)):
            self.out += self.number(value)
        elif isinstance(value, bytes):
            self.out += self.string(value)
        elif isinstance(value, str):
            self.out += self.string(value.encode("utf-8", "surrogateescape"))
        else:
            self.table(value, level)  # type: ignore[arg-type]

    def entries(self, value: list | dict) -> list[tuple[object, object]]:
        """(key, value) in writing order; key None is a positional entry (only for 1..n, in order)."""
        if isinstance(value, list):
            value = dict(enumerate(value, 1))
        ints = {k for k in value if type(k) is int}
        n = 0
        while n + 1 in ints:
            n += 1
        positional = n if self.rng.random() < 0.7 else 0
        rest = [k for k in value if not (type(k) is int and 1 <= k <= positional)]
        self.rng.shuffle(rest)
        return [(None, value[i]) for i in range(1, positional + 1)] + [(k, value[k]) for k in rest]

    def table(self, value: list | dict, level: int) -> None:
        entries = self.entries(value)
        if not entries:
            self.out += self.pick(b"{" + self.eol + b"\t" * level + b"}", b"{}", b"{ }")
            return
        one_line = not self.client and self.rng.random() < 0.25
        self.out += b"{"
        for i, (key, item) in enumerate(entries):
            self.out += b" " if one_line else self.eol + b"\t" * (level + 1)
            if key is not None:
                self.out += self.key(key) + self.pick(b" = ", b"=", b" =\t")
            self.value(item, level + 1)
            if i < len(entries) - 1 or self.client or self.rng.random() < 0.7:
                self.out += self.pick(b",", b";", b" ,")
            if key is None and not one_line and (self.client or self.rng.random() < 0.5):
                self.out += b" -- [%d]" % (i + 1)
            elif not self.client and self.rng.random() < 0.1:
                self.out += b" " + self.long_comment()
        self.out += b" }" if one_line else self.eol + b"\t" * level + b"}"

    def global_(self, name: str, value: object) -> None:
        if self.rng.random() < 0.3:
            self.out += self.short_comment() + self.eol
        self.out += name.encode() + self.pick(b" = ", b"=")
        self.value(value, 0)
        self.out += self.eol

    def file(self, db: dict, before: dict, after: dict) -> tuple[bytes, list[tuple]]:
        """A whole SavedVariables file; returns it with (key, start, value_start, value_end, separator) of
        every top-level field of ``TradeSkillMasterDB`` as written."""
        eol, out = self.eol, self.out
        if self.rng.random() < 0.7:
            out += eol
        for name, value in before.items():
            self.global_(name, value)
        out += DB.encode() + self.pick(b" = {", b"={", b" =" + eol + b"{")
        keys = list(db)
        self.rng.shuffle(keys)
        one_line = self.rng.random() < 0.15
        fields = []
        for i, key in enumerate(keys):
            out += b" " if one_line else eol + b"\t"
            if self.rng.random() < 0.2:
                out += self.long_comment() + b" " if one_line else self.short_comment() + eol + b"\t"
            start = len(out)
            out += self.key(key) + self.pick(b" = ", b"=", b" =" + eol + b"\t\t", b" --[[c]] = ")
            value_start = len(out)
            self.client = self.rng.random() < 0.5  # then splice may edit the value entry by entry
            self.value(db[key], 1)
            self.client = False
            value_end = len(out)
            separator = i < len(keys) - 1 or self.rng.random() < 0.8
            if separator:
                out += self.pick(b",", b";", b" ,")
            if not one_line and self.rng.random() < 0.2:
                out += b" " + self.short_comment()
            elif self.rng.random() < 0.1:
                out += self.long_comment()
            fields.append((tag(key), start, value_start, value_end, separator))
        out += b" }" if one_line else eol + b"}"
        out += eol
        for name, value in after.items():
            self.global_(name, value)
        return bytes(out), fields


def test_the_emitter_writes_what_lua_reads() -> None:
    rng = random.Random(7)
    for eol in (b"\n", b"\r\n"):
        for _ in range(30):
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(30))) + rng.choice(_TRICKY)
            e = Emitter(rng, eol)
            assert lua_value(e.string(raw)) == raw.decode("utf-8", "surrogateescape")
            for number in (0, -7, 2**53, 0.5, -0.0, INF, -INF, 1e-300):
                assert lua_value(e.number(number)) == number


# ---------------------------------------------------------------------------------------------------------
# Property B: splice changes the named values and not one other byte


def edited(old: object) -> st.SearchStrategy:
    """New values for a table Lua read as ``old``: some entries removed, some changed, some added."""
    if not isinstance(old, dict) or not old:
        return values
    keys_of_old = st.sampled_from(list(old))
    return st.tuples(
        st.lists(keys_of_old, unique=True), st.dictionaries(keys_of_old, values), st.dictionaries(keys, values)
    ).map(lambda t: {**{k: v for k, v in old.items() if k not in t[0]}, **t[1], **t[2]})


def _assert_unchanged_entries_kept(src: bytes, field, new_text: bytes, new: object) -> None:
    entries = scan_entries(src, field.value_start, field.value_end - 1) if src[field.value_start] == 0x7B else None
    if entries is None:
        return
    old_value = tag(lua_value(src[field.value_start : field.value_end]))[1]
    new_value = tag(lua_shape(new))[1] if isinstance(new, dict) else {}
    for entry in entries.entries:
        key = tag(entry.key)
        if key in new_value and new_value[key] == old_value[key]:  # type: ignore[index]
            assert src[entry.start : entry.end] in new_text


def _cut(data: bytes, fields, changed: set) -> list[bytes]:
    """``data`` in pieces, with the value spans of the changed fields cut out."""
    pieces, pos = [], 0
    for f in fields:
        if tag(f.key) in changed:
            pieces.append(data[pos : f.value_start])
            pos = f.value_end
    return [*pieces, data[pos:]]


def _common_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    lo, hi = 0, n  # binary search on prefix equality: files can be a few kB
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _assert_one_insertion(out: bytes, base: bytes, lo: int, hi: int) -> None:
    """``out`` is ``base`` with one run of bytes inserted at some offset p with lo <= p <= hi."""
    assert len(out) > len(base)
    prefix = _common_prefix(out, base)
    suffix = _common_prefix(out[::-1], base[::-1])
    assert prefix + suffix >= len(base), "bytes outside the insertion changed"
    assert max(lo, len(base) - suffix) <= min(hi, prefix), "inserted outside the table's last field and brace"


@settings(_SLOW, max_examples=150)
@given(data=st.data())
def test_splice_changes_exactly_the_named_values(data: st.DataObject) -> None:
    draw = data.draw
    eol = draw(st.sampled_from([b"\r\n", b"\n"]), label="eol")
    db = draw(st.dictionaries(file_keys, file_values, max_size=8), label="db")
    before = draw(st.dictionaries(st.sampled_from(["TSMBefore", "A"]), file_values, max_size=2), label="before")
    after = draw(st.dictionaries(st.sampled_from(["TSMItemInfoDB", "Z"]), file_values, max_size=2), label="after")
    rng = draw(st.randoms(use_true_random=False), label="layout")
    src, written = Emitter(rng, eol).file(db, before, after)

    layout = scan_global_table(src)
    assert [(tag(f.key), f.start, f.value_start, f.value_end, f.has_separator) for f in layout.fields] == written
    old = lua_globals(src)
    assert tag(old) == tag(lua_shape({**before, DB: db, **after}))

    replaced = draw(st.lists(st.sampled_from(list(db)), unique=True), label="replaced") if db else []
    replacements = {k: draw(st.one_of(values, edited(old[DB][k])), label=f"new {k!r}") for k in replaced}
    # as the app calls it: with the values Lua read, so tables written one entry per line are edited in place
    previous = {k: old[DB][k] for k in replaced} if draw(st.booleans(), label="previous") else None
    new_keys = [k for k in draw(st.lists(file_keys, max_size=3), label="inserted") if k not in db]
    insertions = {k: draw(values, label=f"inserted {k!r}") for k in new_keys}
    changes = {**insertions, **replacements}

    # (1a) replacing: the file with the replaced spans cut out is the same before and after
    out_replaced = splice(src, layout, replacements, previous)
    replaced_layout = scan_global_table(out_replaced)
    assert [(tag(f.key), f.has_separator) for f in replaced_layout.fields] == [(w[0], w[4]) for w in written]
    changed = {tag(k) for k in replacements}
    assert _cut(out_replaced, replaced_layout.fields, changed) == _cut(src, layout.fields, changed)
    if previous:  # entries that stay the same keep their lines, byte for byte
        for f, g in zip(layout.fields, replaced_layout.fields, strict=True):
            if f.key in replacements:
                _assert_unchanged_entries_kept(src, f, out_replaced[g.value_start : g.value_end], replacements[f.key])

    # (1b) inserting too: on top of that, one run of new bytes after the last field, before the brace
    out = splice(src, layout, changes, previous)
    if insertions:
        last = replaced_layout.fields[-1].value_end if replaced_layout.fields else replaced_layout.open + 1
        _assert_one_insertion(out, out_replaced, last, replaced_layout.close)
        out_layout = scan_global_table(out)
        spans = [(tag(f.key), f.start, f.value_start, f.value_end) for f in replaced_layout.fields]
        assert [(tag(f.key), f.start, f.value_start, f.value_end) for f in out_layout.fields[: len(written)]] == spans
        assert {tag(f.key) for f in out_layout.fields[len(written) :]} == {tag(k) for k in insertions}
        for f in out_layout.fields[len(written) :]:
            assert out[: f.start].endswith(eol + b"\t")  # one field per line, in the client's style
    else:
        assert out == out_replaced

    # (2) it loads, (3) with the new values and every other value as it was
    expected = tag(old)
    expected_db = expected[1][tag(DB)][1]  # type: ignore[index]
    for key, value in changes.items():
        expected_db[tag(lua_shape(key))] = tag(lua_shape(value))
    assert tag(lua_globals(out)) == expected

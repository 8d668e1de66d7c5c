"""Specifications for the Lua 5.1 tokenizer that finds the top-level fields of ``TradeSkillMasterDB``.

The oracle is real Lua 5.1 (the sandbox): for every file here, each field the scanner reports must be a key
Lua sees, and the bytes ``data[value_start:value_end]``, evaluated on their own as ``x = <value>``, must be
exactly the value Lua stores under that key. Nothing the scanner finds may come from inside a string or a
comment, and nothing Lua sees may be missed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from luavalues import tag

from tsmsyncd.tsm.luasandbox import LuaSandbox, to_python
from tsmsyncd.tsm.luascan import LayoutError, decode_string, scan_global_table

DB = "TradeSkillMasterDB"


_LUA = LuaSandbox()


@pytest.fixture(scope="module")
def lua() -> LuaSandbox:
    return _LUA


def lua_globals(lua: LuaSandbox, data: bytes) -> dict:
    return to_python(lua.load(data, "test.lua"))  # type: ignore[return-value]


def lua_value(lua: LuaSandbox, text: bytes) -> object:
    """What Lua makes of ``text`` as a value on its own (None for nil)."""
    return lua_globals(lua, b"x = " + text).get("x")


def assert_scan_agrees_with_lua(lua: LuaSandbox, data: bytes, name: str = DB):
    """Every field's key and value span, evaluated alone, rebuild exactly the table Lua builds."""
    layout = scan_global_table(data, name)
    expected = lua_globals(lua, data)[name]
    rebuilt = {}
    for f in layout.fields:  # a later duplicate wins, as in a Lua table constructor
        assert layout.open < f.start <= f.value_start < f.value_end <= layout.close
        value = lua_value(lua, data[f.value_start : f.value_end])
        if value is None:  # ``["k"] = nil`` is a field in the bytes but no entry in the table
            rebuilt.pop(tag(f.key), None)
        else:
            rebuilt[tag(f.key)] = tag(value)
    assert rebuilt == tag(expected)[1]
    assert data[layout.open : layout.open + 1] == b"{" and data[layout.close : layout.close + 1] == b"}"
    return layout


# What may stand between two fields of a file the client wrote: a separator, line breaks, ``-- [N]`` comments.
_BETWEEN = re.compile(rb"[ \t\r\n]*[,;]?[ \t\r\n]*(?:--[^\r\n]*[ \t\r\n]*)*")


# ---------------------------------------------------------------------------------------------------------
# The real files


def test_real_files_every_top_level_field_is_found_with_its_exact_value(real_file: Path, lua: LuaSandbox) -> None:
    data = real_file.read_bytes()
    layout = assert_scan_agrees_with_lua(lua, data)
    keys = [f.key for f in layout.fields]
    assert len(keys) == len(set(keys)) == len(lua_globals(lua, data)[DB])
    assert layout.eol == b"\r\n"
    assert data[: layout.open + 1] == b"\r\nTradeSkillMasterDB = {"
    for f in layout.fields:
        assert data[f.start : f.start + 2] == b'["' and data[f.value_start - 5 : f.value_start] == b'"] = '
        assert f.has_separator
    gaps = [data[a.value_end : b.start] for a, b in zip(layout.fields, layout.fields[1:], strict=False)]
    gaps += [data[layout.open + 1 : layout.fields[0].start], data[layout.fields[-1].value_end : layout.close]]
    assert all(_BETWEEN.fullmatch(gap) for gap in gaps)


def test_real_files_second_global_is_scanned_too(real_file: Path, lua: LuaSandbox) -> None:
    data = real_file.read_bytes()
    info = assert_scan_agrees_with_lua(lua, data, "TSMItemInfoDB")
    assert info.open > scan_global_table(data).close


def test_find_is_type_aware() -> None:
    data = b'TradeSkillMasterDB = { [1] = "a", ["1"] = "b", [true] = "c" }'
    layout = scan_global_table(data)
    assert [data[f.value_start : f.value_end] for f in layout.find(1)] == [b'"a"']
    assert [f.key for f in layout.find("1")] == ["1"]
    assert [f.key for f in layout.find(True)] == [True]
    assert layout.find(1.5) == []


# ---------------------------------------------------------------------------------------------------------
# Tricky bodies: (fields between the braces, the keys the scanner must report in order)

BODIES = {
    "key text inside a string value": (
        rb'["a"] = "[\"p@Default@userData@groups\"] = {", ["b"] = "}", ["c"] = "{", ["d"] = "--", ["e"] = "[[",',
        ["a", "b", "c", "d", "e"],
    ),
    "key text inside a short comment": (
        b'-- ["p@Default@userData@groups"] = {\n["a"] = 1, -- ["x"] = { "\n["b"] = 2, -- [[\n["c"] = 3,',
        ["a", "b", "c"],
    ),
    "key text inside long comments": (
        b'--[==[\n["p@Default@userData@groups"] = { ]] } "\n]==]\n["a"] = 1,'
        b' --[[ ["b"] = 2, ]] ["c"] = --[=[ } ]=] 3, ---[[ not long\n["d"] = 4,',
        ["a", "c", "d"],
    ),
    "key text inside long strings": (
        b'["a"] = [[\n["p@Default@userData@groups"] = {\n]], ["b"] = [=[ ]] } ["c"] = { ]=],'
        b' ["d"] = [==[\n"]=]\n]==],',
        ["a", "b", "d"],
    ),
    "escaped quotes and backslashes": (
        rb'["a\\"] = "a\\", ["b\""] = "a\"", ["c\\\""] = "\\\"}", ["d\\\\"] = "\\\\", [ "e\"]" ] = "]\"",',
        ['a\\', 'b"', 'c\\"', "d\\\\", 'e"]'],
    ),
    "backslash-newline escapes": (
        b'["a\\\nb"] = "c\\\nd", ["e\\\r\nf"] = "}\\\n{", ["g\\\n\rh"] = "\\\\\\\n",',
        ["a\nb", "e\nf", "g\nh"],
    ),
    "decimal escapes": (
        rb'["\65\066\0677"] = "\0\1\255", ["\0001"] = "\123\125", ["\34"] = "\34\92\34",',
        ["ABC7", "\x001", '"'],
    ),
    "single-quoted strings": (
        rb"""['a'] = 'x"y', ['b\''] = '\'}', ["c'"] = 'd--[[', ['e\\'] = '\\',""",
        ["a", "b'", "c'", "e\\"],
    ),
    "numbers": (
        b'["a"] = 1.5e-10, ["b"] = -3, ["c"] = 0x1F, ["d"] = .5, ["e"] = 1E+3, ["f"] = - 2, ["g"] = 0xa,'
        b' ["h"] = 1e999, ["i"] = 3.,',
        list("abcdefghi"),
    ),
    "boolean and numeric keys": (
        b"[true] = 1, [false] = 2, [12] = 3, [-1] = 4, [ 1.5 ] = 5, [0x10] = 6, [ - 2.5e1 ] = 7, [1e3] = 8,",
        [True, False, 12, -1, 1.5, 16, -25, 1000],
    ),
    "long-bracket keys": (
        b'[ [[k]] ] = 1, [ [==[a]]b]=]c]==] ] = 2, [ [[\nnl]] ] = 3, [ [[a\nb]] ] = 4, [ [=[\r\nc\r\nd]=] ] = 5,',
        ["k", "a]]b]=]c", "nl", "a\nb", "c\nd"],
    ),
    "name keys": (
        b'foo = 1, _bar2 = "x", nilly = 3, truex = { y = 4 }, F = {}',
        ["foo", "_bar2", "nilly", "truex", "F"],
    ),
    "semicolon separators": (b'["a"] = 1; ["b"] = {2; 3}; c = 4;', ["a", "b", "c"]),
    "last field without a separator": (b'["a"] = 1, ["b"] = { 1, 2 }', ["a", "b"]),
    "positional values": (b'"a", [[b]], { "c" }, ["k"] = 1, 5', [1, 2, 3, "k", 4]),
    "expressions as values": (
        b'["a"] = 1/0, ["b"] = -(2), ["c"] = "x" .. "y", ["d"] = ({ 1, 2 })[2], ["e"] = 2^3, ["f"] = not nil,'
        b' ["g"] = 1 == 1, ["h"] = nil,',
        list("abcdefgh"),
    ),
    "comments and space around keys and values": (
        b'["a"] --[[c]] = --c\n 1 --d\n , [ "b" ]\t=\f\v2\n,\n\n--[==[x]==]["c"]=3',
        ["a", "b", "c"],
    ),
    "escaped quotes and braces in strings inside nested tables": (
        rb"""["a"] = { "x\"}", { 'y\'}{', "\\", '\\' }, { { "\"{\"" } } }, ["b"] = { "--\"", "}" }, ["c"] = 1,""",
        ["a", "b", "c"],
    ),
    "deeply nested tables with braces in strings": (
        b'["a"] = {{{{{{{ "}", "{", "--", [ "]]" ] = { } }}}}}}}, ["b"] = {{{{{{ [[}]] }}}}}}, ["c"] = 1,',
        ["a", "b", "c"],
    ),
    "long strings that leave the fast path": (
        b'["a"] = "' + b"}-{" * 40 + b'", ["b"] = \'' + b'"}' * 50 + b"', [\"c\"] = { \"" + b"{" * 90 + b'" },',
        ["a", "b", "c"],
    ),
    "raw control bytes and invalid UTF-8": (
        b'["a\x01\x02"] = "\xff\xfe\x00\x1a", ["\xc3\xa9"] = "\xed\xa0\x80", ["\x7f"] = { ["\x80"] = 1 },',
        ["a\x01\x02", "é", "\x7f"],
    ),
}


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_tricky_bodies(body: tuple[bytes, list], eol: bytes, lua: LuaSandbox) -> None:
    text, keys = body
    data = re.sub(rb"(?<!\r)\n(?!\r)", eol, b"\nTradeSkillMasterDB = {\n" + text + b"\n}\n")  # keep explicit CRs
    layout = assert_scan_agrees_with_lua(lua, data)
    assert [tag(f.key) for f in layout.fields] == [tag(k) for k in keys]
    assert layout.eol == eol


def test_separator_flags() -> None:
    layout = scan_global_table(b'TradeSkillMasterDB = { ["a"] = 1; ["b"] = 2 , ["c"] = 3 --x\n}')
    assert [f.has_separator for f in layout.fields] == [True, True, False]


def test_one_line_table(lua: LuaSandbox) -> None:
    data = b'TradeSkillMasterDB = { ["a"] = 1, ["b"] = { "x" } }'
    layout = assert_scan_agrees_with_lua(lua, data)
    assert [data[f.start : f.value_end] for f in layout.fields] == [b'["a"] = 1', b'["b"] = { "x" }']
    assert (layout.open, layout.close) == (data.index(b"{"), len(data) - 1)


def test_empty_tables() -> None:
    assert scan_global_table(b"TradeSkillMasterDB = {}").fields == ()
    assert scan_global_table(b"TradeSkillMasterDB = {\r\n}\r\n").fields == ()
    assert scan_global_table(b"TradeSkillMasterDB = { --[[ x ]] -- y\n}").fields == ()


def test_other_globals_before_and_after(lua: LuaSandbox) -> None:
    data = (
        b'A = "TradeSkillMasterDB = {"\n-- TradeSkillMasterDB = {}\n--[[ TradeSkillMasterDB = {} ]]\n'
        b"B = { TradeSkillMasterDB = { [\"x\"] = 1 }, [ [[TradeSkillMasterDB]] ] = {} }\n"
        b'TradeSkillMasterDB = {\n\t["a"] = "TradeSkillMasterDB",\n\t["b"] = 2,\n}\n'
        b'TSMItemInfoDB = {\n\t["TradeSkillMasterDB"] = { TradeSkillMasterDB = 1 },\n}\n'
        b"C = [==[\nTradeSkillMasterDB = {}\n]==] TradeSkillMasterDBX = {}\n"
    )
    layout = assert_scan_agrees_with_lua(lua, data)
    assert [f.key for f in layout.fields] == ["a", "b"]
    assert [f.key for f in assert_scan_agrees_with_lua(lua, data, "TSMItemInfoDB").fields] == ["TradeSkillMasterDB"]


@pytest.mark.parametrize(
    "data",
    [
        b"TradeSkillMasterDB = {}\nTradeSkillMasterDB = {}\n",
        b'TradeSkillMasterDB = { ["a"] = 1 }\r\nTSMItemInfoDB = {}\r\nTradeSkillMasterDB = { ["a"] = 2 }\r\n',
        b"TradeSkillMasterDB = {}\nTradeSkillMasterDB = nil\n",
        b"TradeSkillMasterDB = {}\nTradeSkillMasterDB.x = 1\n",
        b'TradeSkillMasterDB = {}\nTradeSkillMasterDB["x"] = 1\n',
        b"TradeSkillMasterDB = {} == {}\n",
        b'TradeSkillMasterDB = { ["a"] = 1 } and { ["b"] = 2 }\n',
        b'TradeSkillMasterDB = { ["a"] = 1 } or {}\n',
        b"TradeSkillMasterDB = {} .. {}\n",
        b"TradeSkillMasterDB = setmetatable({}, {})\n",
        b"TSMItemInfoDB = {}\n",
        b"",
        b"TradeSkillMasterDB = { ['a'] = 1,\n",
        b'TradeSkillMasterDB = { ["a] = 1 }\n',
        b"TradeSkillMasterDB = { [[a] = 1 }\n",
        b"TradeSkillMasterDB = { [{}] = 1 }\n",
    ],
)
def test_ambiguous_or_broken_layouts_are_refused(data: bytes) -> None:
    with pytest.raises(LayoutError):
        scan_global_table(data)


# ---------------------------------------------------------------------------------------------------------
# decode_string against Lua

LITERALS = [
    b'""', b"''", b'"plain"', rb'"a\\"', rb'"a\""', rb'"a\\\""', rb"'a\''", rb"""'"'""", rb'''"'"''',
    rb'"\a\b\f\n\r\t\v\\\"\'"', rb'"\65\066\0677\1\255\0"', rb'"\0009"', rb'"\1234"', rb'"\q\?\[\]"',
    b'"a\\\nb"', b'"a\\\r\nb"', b'"a\\\n\rb"', b'"a\\\rb"', b'"\\\n\\\n"', b'"a\\\r\n\\\r\nb"',
    b'"\xff\xfe\x01\x02"', b'"\xc3\xa9\xe2\x82"', b'"\xed\xa0\x80"', b'"\x00\x1a\x7f"',
    b"[[]]", b"[[\n]]", b"[[\nabc]]", b"[[\r\nabc]]", b"[[\n\rabc]]", b"[[\n\nabc]]", b"[[\r\rabc]]",
    b"[==[a]]b]=]c]==]", b"[=[a[[b]]c]=]", b"[[a\r\nb\rc\n\rd\n\ne]]", b"[=[\r\n]=]", b"[[\r]]",
    b"[[a\\nb\\]]", b'[["\']]', b"[[\xff\r\n\xfe]]",
]


@pytest.mark.parametrize("literal", LITERALS)
def test_decode_string_matches_lua(literal: bytes, lua: LuaSandbox) -> None:
    assert decode_string(literal) == lua_value(lua, literal)


_NAMED = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r"}


@st.composite
def literals(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """A random byte string and one of the many Lua 5.1 short literals that spell it."""
    raw = draw(st.binary(max_size=60))
    quote = draw(st.sampled_from([b'"', b"'"]))
    newline = draw(st.sampled_from([b"\n", b"\r\n", b"\n\r", b"\r"]))
    out = bytearray(quote)
    for i, byte in enumerate(raw):
        next_is_digit = raw[i + 1 : i + 2].isdigit()
        how = draw(st.integers(0, 3))
        if how == 0 or byte in (0x5C, 0x0A, 0x0D, quote[0]):
            if byte == 0x0A and how == 1:
                out += b"\\" + newline
            elif byte in _NAMED and how != 2:
                out += _NAMED[byte]
            elif byte in (0x5C, quote[0]):
                out += b"\\" + bytes([byte])
            else:
                out += b"\\%03d" % byte if next_is_digit else b"\\%d" % byte
        elif how == 1:
            out += b"\\%03d" % byte
        else:
            out.append(byte)
    return raw, bytes(out + quote)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(literals())
def test_decode_string_agrees_with_lua_on_random_literals(case: tuple[bytes, bytes]) -> None:
    raw, literal = case
    expected = raw.decode("utf-8", "surrogateescape")
    assert decode_string(literal) == expected
    assert lua_value(_LUA, literal) == expected

"""Find where things are in a SavedVariables file: a Lua 5.1 tokenizer over raw bytes.

This module owns one question: in the original bytes, where does each top-level field of a global table
(``TradeSkillMasterDB = { ... }``) start and end? The splicer (``luaformat``) then replaces exactly those
byte ranges and leaves every other byte alone.

The tokenizer follows Lua 5.1's lexer (``llex.c``): short strings with every escape, ``--`` comments,
``--[==[ ]==]`` long comments and ``[==[ ]==]`` long strings, so a key's text inside a string or a comment
never fools it. It is meant for files that real Lua 5.1 has already loaded (``savedvars`` does that first),
which lets it skip a short string with ``bytes.find`` and a backslash-parity check instead of walking it
byte by byte: on a 50 MB file of accounting strings that is the difference between milliseconds and seconds.
Anything it cannot make sense of raises :class:`LayoutError`; callers treat that as "refuse to write".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "Entry", "EntryLayout", "Field", "LayoutError", "TableLayout", "decode_string", "scan_entries", "scan_global_table",
]


class LayoutError(ValueError):
    """The bytes are not laid out the way the scanner needs (one ``Name = { ... }`` assignment, etc.)."""


@dataclass(frozen=True)
class Field:
    """One field of a table constructor, as byte offsets into the file."""

    key: object  # str (surrogateescape-decoded), int, float, bool; positional fields get their index
    start: int  # first byte of the field ('[' of ``["key"]``, the name, or the value if positional)
    value_start: int
    value_end: int  # exclusive; trailing whitespace and comments are not part of the value
    has_separator: bool  # a ',' or ';' follows the value


@dataclass(frozen=True)
class TableLayout:
    """Where a global table constructor and its top-level fields are."""

    name: str
    open: int  # offset of '{'
    close: int  # offset of the matching '}'
    fields: tuple[Field, ...]
    eol: bytes  # the file's own line ending

    def find(self, key: object) -> list[Field]:
        return [f for f in self.fields if f.key == key and type(f.key) is type(key)]


# Bytes that can change the tokenizer's state inside a table: quotes, comment starts, long brackets, braces.
_INTERESTING = re.compile(rb"[\"'\-\[{}]")
# One token that cannot open or close anything: plain bytes, a short escape-free string, a short
# comment, a lone '-' or '['. Anything else (a long or escaped string, a long bracket) stops the fast path.
_ATOM = rb"""(?:[^"'\-\[{}]++|"[^"\\\r\n]{0,80}+"|'[^'\\\r\n]{0,80}+'|--(?!\[=*\[)[^\r\n]*+|-(?!-)|\[(?!=*\[))"""


def _nested_tables(depth: int, atom: bytes = _ATOM) -> bytes:
    """A regex for a whole table made only of atoms and tables up to ``depth`` levels deep."""
    inner = atom
    for _ in range(depth):
        inner = rb"(?:" + atom + rb"|\{" + inner + rb"*+\})"
    return inner


# A run of atoms and whole tables up to four levels deep, consumed in one C-level match, so a file of
# thousands of groups does not cost a Python step per brace. Possessive quantifiers: no backtracking.
_PLAIN_RUN = re.compile(_nested_tables(4) + rb"*+")
_LONG_OPEN = re.compile(rb"\[(=*)\[")
_NEWLINE = re.compile(rb"[\r\n]")
_SPACE = re.compile(rb"[ \t\r\n\f\v]*+")
_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*+")
_NUMBER = re.compile(rb"(?:[0-9]+\.?[0-9]*+|\.[0-9]+)(?:[eE][+-]?[0-9]*+)?[0-9A-Za-z_]*+")
_KEYWORDS = {b"true": True, b"false": False, b"nil": None}
# A binary operator: after a table constructor it makes the assignment an expression like ``{...} or {...}``.
_BINARY_OP = re.compile(rb"(?:and|or)(?![A-Za-z0-9_])|[-+*/%^<>=~]|\.\.")
# Any line break; inside a long string Lua reads each one (\r\n and \n\r count as one) as "\n".
_LINE_BREAK = re.compile(rb"\r\n|\n\r|\r|\n")


def skip_short_string(data: bytes, pos: int) -> int:
    """``data[pos]`` is a quote; return the offset just past the closing quote.

    In valid Lua a backslash always escapes the next byte, so the closing quote is the first one preceded
    by an even number of backslashes. Raw newlines cannot occur unescaped in a valid file.
    """
    quote = data[pos : pos + 1]
    i = pos + 1
    while True:
        j = data.find(quote, i)
        if j < 0:
            raise LayoutError(f"unfinished string starting at byte {pos}")
        k = j
        while data[k - 1] == 0x5C:  # backslash
            k -= 1
        if (j - k) % 2 == 0:
            return j + 1
        i = j + 1


def skip_long_bracket(data: bytes, pos: int) -> int | None:
    """If a long bracket ``[==[`` opens at ``pos``, return the offset past its close; else None."""
    m = _LONG_OPEN.match(data, pos)
    if m is None:
        return None
    closer = b"]" + m.group(1) + b"]"
    end = data.find(closer, m.end())
    if end < 0:
        raise LayoutError(f"unfinished long string or comment starting at byte {pos}")
    return end + len(closer)


def skip_comment(data: bytes, pos: int) -> int:
    """``data[pos:pos+2]`` is ``--``; return the offset past the comment (long or to end of line)."""
    end = skip_long_bracket(data, pos + 2)
    if end is not None:
        return end
    m = _NEWLINE.search(data, pos + 2)
    return m.start() if m else len(data)


def skip_trivia(data: bytes, pos: int) -> int:
    """Skip whitespace and comments."""
    n = len(data)
    while True:
        space = _SPACE.match(data, pos)
        assert space is not None  # "*+" also matches the empty string
        pos = space.end()
        if pos < n - 1 and data[pos] == 0x2D and data[pos + 1] == 0x2D:
            pos = skip_comment(data, pos)
            continue
        return pos


def skip_table(data: bytes, pos: int) -> int:
    """``data[pos]`` is ``{``; return the offset just past the matching ``}``."""
    start = pos
    depth = 1  # the run below swallows whole sub-tables, so only descend past the opening brace by hand
    pos += 1
    n = len(data)
    while pos < n:
        run = _PLAIN_RUN.match(data, pos)
        assert run is not None  # "*+" also matches the empty string
        pos = run.end()
        if pos >= n:
            break
        c = data[pos]
        if c == 0x7B:  # {
            depth += 1
            pos += 1
        elif c == 0x7D:  # }
            depth -= 1
            pos += 1
            if depth == 0:
                return pos
        elif c in (0x22, 0x27):  # a string the plain run did not take (long, or with escapes)
            pos = skip_short_string(data, pos)
        elif c == 0x2D:  # '--' followed by a long bracket
            pos = skip_comment(data, pos)
        else:  # '[' opening a long string
            end = skip_long_bracket(data, pos)
            pos = end if end is not None else pos + 1
    raise LayoutError(f"table opened at byte {start} is never closed")


def _token_end(data: bytes, pos: int) -> tuple[str, int]:
    """Classify and skip one token at ``pos`` (which is not whitespace or a comment)."""
    c = data[pos]
    if c in (0x22, 0x27):
        return "string", skip_short_string(data, pos)
    if c == 0x7B:
        return "table", skip_table(data, pos)
    if c == 0x5B:
        end = skip_long_bracket(data, pos)
        return ("string", end) if end is not None else ("[", pos + 1)
    m = _NAME.match(data, pos)
    if m:
        return "name", m.end()
    m = _NUMBER.match(data, pos)
    if m:
        return "number", m.end()
    for op in (b"==", b"~=", b"<=", b">=", b"..."):
        if data.startswith(op, pos):
            return "op", pos + len(op)
    if data.startswith(b"..", pos):
        return "op", pos + 2
    return chr(c), pos + 1


def _skip_value(data: bytes, pos: int) -> tuple[int, int]:
    """Skip one field value (an expression) starting at ``pos``; return (value_end, next_pos).

    The value ends at a ',' or ';' or '}' that is not inside parentheses or brackets.
    """
    nesting = 0
    end = pos
    while True:
        pos = skip_trivia(data, pos)
        if pos >= len(data):
            raise LayoutError("file ends inside a table")
        c = data[pos]
        if nesting == 0 and c in (0x2C, 0x3B, 0x7D):  # , ; }
            return end, pos
        kind, nxt = _token_end(data, pos)
        if kind in ("(", "["):
            nesting += 1
        elif kind in (")", "]"):
            nesting -= 1
        end = pos = nxt


def _parse_key(data: bytes, pos: int) -> tuple[object, int]:
    """Parse ``[key]`` at pos (after '['); return (key, offset past ']')."""
    pos = skip_trivia(data, pos)
    negative = False
    if data[pos] == 0x2D:  # [-5]
        negative = True
        pos = skip_trivia(data, pos + 1)
    kind, end = _token_end(data, pos)
    text = data[pos:end]
    if kind == "string":
        key: object = decode_string(text)
    elif kind == "number":
        key = _parse_number(text)
        key = -key if negative else key
    elif kind == "name" and text in (b"true", b"false"):
        key = _KEYWORDS[text]
    else:
        raise LayoutError(f"unsupported table key {text[:40]!r} at byte {pos}")
    pos = skip_trivia(data, end)
    if data[pos : pos + 1] != b"]":
        raise LayoutError(f"expected ']' after a table key at byte {pos}")
    return key, pos + 1


def _parse_number(text: bytes) -> int | float:
    s = text.decode("ascii")
    if s.lower().startswith("0x"):
        return int(s, 16)
    value = float(s)
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


def parse_fields(data: bytes, open_pos: int) -> tuple[tuple[Field, ...], int]:
    """Parse the fields of the table constructor whose '{' is at ``open_pos``; return (fields, close)."""
    fields: list[Field] = []
    pos = open_pos + 1
    index = 0
    while True:
        pos = skip_trivia(data, pos)
        if pos >= len(data):
            raise LayoutError("file ends inside the table")
        if data[pos] == 0x7D:
            return tuple(fields), pos
        start = pos
        key: object
        if data[pos] == 0x5B and skip_long_bracket(data, pos) is None:
            key, pos = _parse_key(data, pos + 1)
            pos = _expect(data, pos, b"=")
        else:
            m = _NAME.match(data, pos)
            after = skip_trivia(data, m.end()) if m else pos
            assigns = data[after : after + 1] == b"=" and data[after + 1 : after + 2] != b"="
            if m and m.group() not in _KEYWORDS and assigns:
                key, pos = m.group().decode("ascii"), after + 1
            else:
                index += 1
                key = index
        value_start = skip_trivia(data, pos)
        value_end, pos = _skip_value(data, value_start)
        if value_end == value_start:
            raise LayoutError(f"empty value at byte {value_start}")
        has_sep = data[pos] in (0x2C, 0x3B)
        if has_sep:
            pos += 1
        fields.append(Field(key, start, value_start, value_end, has_sep))


def _expect(data: bytes, pos: int, token: bytes) -> int:
    pos = skip_trivia(data, pos)
    if not data.startswith(token, pos):
        raise LayoutError(f"expected {token.decode()!r} at byte {pos}")
    return pos + len(token)


def scan_global_table(data: bytes, name: str = "TradeSkillMasterDB") -> TableLayout:
    """Locate the one ``name = { ... }`` statement at the top level of ``data`` and its fields.

    Refuses (LayoutError) if the name is assigned more than once or not by a plain table constructor,
    because then the bytes would not say unambiguously what Lua ends up with.
    """
    target = name.encode("ascii")
    pos, n = 0, len(data)
    found: list[tuple[int, tuple[Field, ...], int]] = []
    while True:
        pos = skip_trivia(data, pos)
        if pos >= n:
            break
        kind, end = _token_end(data, pos)
        if kind == "name" and data[pos:end] == target:
            eq = skip_trivia(data, end)
            brace = skip_trivia(data, eq + 1) if data[eq : eq + 1] == b"=" else -1
            if brace < 0 or data[eq + 1 : eq + 2] == b"=" or data[brace : brace + 1] != b"{":
                raise LayoutError(f"{name} is not assigned a plain table at byte {pos}")
            fields, close = parse_fields(data, brace)  # one pass over the table: it may be 50 MB
            found.append((brace, fields, close))
            end = close + 1
            if _BINARY_OP.match(data, skip_trivia(data, end)):
                raise LayoutError(f"{name} is assigned an expression, not a plain table, at byte {pos}")
        pos = end
    if len(found) != 1:
        raise LayoutError(f"expected exactly one '{name} = {{' statement, found {len(found)}")
    brace, fields, close = found[0]
    return TableLayout(name, brace, close, fields, detect_eol(data))


def detect_eol(data: bytes) -> bytes:
    """The file's own line ending: that of its first line break (WoW writes CRLF on every platform)."""
    i = data.find(b"\n")
    return b"\r\n" if i > 0 and data[i - 1] == 0x0D else b"\n"


_ESCAPES = {
    ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("v"): 11,
    ord("\\"): 92, ord('"'): 34, ord("'"): 39, 10: 10, 13: 10,
}


def decode_string(token: bytes) -> str:
    """Decode a Lua 5.1 string literal (short or long) to str; bytes that are not UTF-8 survive as
    surrogates (``surrogateescape``) so they encode back to the same bytes."""
    m = _LONG_OPEN.match(token)
    if m:
        body = token[m.end() : len(token) - m.end()]
        if body.startswith((b"\r\n", b"\n\r")):
            body = body[2:]
        elif body[:1] in (b"\n", b"\r"):
            body = body[1:]
        if b"\r" in body:
            body = _LINE_BREAK.sub(b"\n", body)
        return body.decode("utf-8", "surrogateescape")
    body = token[1:-1]
    if b"\\" not in body:
        return body.decode("utf-8", "surrogateescape")
    out = bytearray()
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if 0x30 <= e <= 0x39:
            j = i + 1
            while j < n and j < i + 4 and 0x30 <= body[j] <= 0x39:
                j += 1
            out.append(int(body[i + 1 : j]) & 0xFF)
            i = j
        elif e in (10, 13):  # backslash-newline is a newline; \r\n and \n\r count as one
            out.append(10)
            i += 2
            if i < n and body[i] in (10, 13) and body[i] != e:
                i += 1
        else:
            out.append(_ESCAPES.get(e, e))
            i += 2
    return bytes(out).decode("utf-8", "surrogateescape")


# --- entries of a nested table, one per line ---------------------------------------------------------
# The client writes one entry per line: `<tabs>[key] = value,` (+ `-- [N]` on array entries). When every
# line of a table matches this shape exactly, the entries can be edited one by one and the rest of the
# table keeps its bytes. Any line that does not match sends the caller back to rewriting the whole value.
_STR = rb'"(?:[^"\\\r\n]++|\\(?:\r\n|\n\r|.))*+"'
_NUM = rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
# Inside an entry any short string may appear (operation price strings are long and may hold escapes).
_ENTRY_ATOM = rb"""(?:[^"'\-\[{}]++|""" + _STR + rb"""|--(?!\[=*\[)[^\r\n]*+|-(?!-)|\[(?!=*\[))"""
_TABLE_VALUE = rb"\{" + _nested_tables(3, _ENTRY_ATOM) + rb"*+\}"
_ENTRY = re.compile(
    rb"[ \t]*+\[(" + _STR + rb"|" + _NUM + rb")\] = (" + _STR + rb"|" + _NUM + rb"|true|false|" + _TABLE_VALUE
    + rb"),[ \t]*+(?:--(?!\[=*\[)[^\r\n]*+)?(?:\r\n|\n)",  # a comment, but not a long one: it may hide lines
    re.S,
)
_LINE_END = re.compile(rb"[ \t]*+(?:\r\n|\n)")
_CLOSING_LINE = re.compile(rb"[ \t]*+\}")


class Entry(NamedTuple):
    """One line-shaped entry of a nested table: its whole line and its value, as byte offsets."""

    key: object
    start: int  # start of the line
    end: int  # past the line ending
    value_start: int
    value_end: int


@dataclass(frozen=True)
class EntryLayout:
    entries: tuple[Entry, ...]
    closing_line: int  # start of the line holding the table's closing brace


def scan_entries(data: bytes, open_pos: int, close_pos: int) -> EntryLayout | None:
    """The entries of the table ``data[open_pos:close_pos + 1]`` if it is written one entry per line with
    bracketed keys and no duplicates; None otherwise (the caller then rewrites the whole table).

    Tables of 100,000 items go through here, so the loop is kept lean: one regex step per line, tuples."""
    m = _LINE_END.match(data, open_pos + 1)
    if m is None:
        return None
    pos = m.end()
    entries: list[Entry] = []
    for m in _ENTRY.finditer(data, pos, close_pos):
        if m.start() != pos:  # a line that is not an entry: give up rather than guess
            return None
        raw = m.group(1)
        if raw[0] == 0x22:  # '"'
            key = raw[1:-1].decode("utf-8", "surrogateescape") if b"\\" not in raw else decode_string(raw)
        else:
            key = _parse_number(raw)
        entries.append(Entry(key, pos, m.end(), m.start(2), m.end(2)))
        pos = m.end()
    closing = _CLOSING_LINE.match(data, pos)
    if closing is None or closing.end() != close_pos + 1:
        return None
    if len({e.key for e in entries}) != len(entries):
        return None  # duplicate keys: Lua keeps the last one; do not guess
    return EntryLayout(tuple(entries), pos)

"""Write SavedVariables the way the WoW client does, for the sandbox's generated files.

The client's serializer writes each global as ``Name = {`` … ``}`` after a leading line break, indents with
tabs, writes array entries first as ``value, -- [N]`` and then the hash part as ``["key"] = value,`` in
Lua's ``next`` order, which looks random. We stand in for that order with a seeded shuffle, so a file is
deterministic for a seed but never sorted: whatever reads it cannot depend on an order the game does not
keep. Strings are bytes: only ``\\ " \\n \\r`` and NUL (``\\000``) are escaped, every other byte is
written raw, as in the real files under shared/fixtures/savedvariables.

This is deliberately not :func:`tsmsyncd.tsm.luaformat.serialize` (which sorts keys for the merge's own
edits): a merge test on a sandbox file should not pass just because the same writer made both sides.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

__all__ = ["lua_string", "write_globals"]

_NEEDS_ESCAPE = re.compile(rb'[\\"\n\r\0]')


def lua_string(value: str | bytes) -> bytes:
    """A Lua 5.1 string literal as the client writes it. ``str`` is encoded UTF-8."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    if _NEEDS_ESCAPE.search(raw) is not None:
        raw = raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n").replace(b"\r", b"\\r")
        raw = raw.replace(b"\0", b"\\000")  # always three digits: a digit after it is never part of it
    return b'"' + raw + b'"'


def _scalar(value: object) -> bytes:
    if value is True:
        return b"true"
    if value is False:
        return b"false"
    if isinstance(value, int):
        return str(value).encode("ascii")
    if isinstance(value, (str, bytes)):
        return lua_string(value)
    # Floats are left out on purpose: the client writes them with 15 significant digits, which does not
    # always read back as the same number, and nothing the sandbox writes needs one.
    raise TypeError(f"the sandbox writer cannot write a {type(value).__name__}")


def _key(key: object) -> bytes:
    if isinstance(key, bool) or not isinstance(key, (int, str, bytes)):
        raise TypeError(f"the sandbox writer cannot write a {type(key).__name__} key")
    return b"[" + _scalar(key) + b"]"


class _Writer:
    def __init__(self, rng: random.Random, eol: bytes) -> None:
        self.rng = rng
        self.eol = eol
        self.out: list[bytes] = []

    def value(self, value: object, level: int) -> None:
        if isinstance(value, (list, tuple)):
            value = {i + 1: v for i, v in enumerate(value)}
        if not isinstance(value, Mapping):
            self.out.append(_scalar(value))
            return
        out, eol = self.out, self.eol
        inner = b"\t" * (level + 1)
        out.append(b"{" + eol)
        n = 0
        while (n + 1) in value:  # keys 1..n are the array part, written first
            n += 1
        for i in range(1, n + 1):
            out.append(inner)
            self.value(value[i], level + 1)
            out.append(b", -- [%d]" % i + eol)
        rest = [k for k in value if not (type(k) is int and 1 <= k <= n)]
        self.rng.shuffle(rest)  # Lua's ``next`` order: stable for a seed, sorted never
        for key in rest:
            item = value[key]
            if isinstance(item, (str, bytes)):  # the common case (items, CSV strings), inlined
                out.append(inner + _key(key) + b" = " + lua_string(item) + b"," + eol)
                continue
            out.append(inner + _key(key) + b" = ")
            self.value(item, level + 1)
            out.append(b"," + eol)
        out.append(b"\t" * level + b"}")


def write_globals(
    globals_: Sequence[tuple[str, Mapping[str, object]]], rng: random.Random, eol: bytes = b"\r\n"
) -> bytes:
    """The bytes of a SavedVariables file defining ``globals_`` in order (name, table)."""
    writer = _Writer(rng, eol)
    writer.out.append(eol)  # the client starts every file with a line break
    for name, table in globals_:
        writer.out.append(name.encode("ascii") + b" = ")
        writer.value(table, 0)
        writer.out.append(eol)
    return b"".join(writer.out)

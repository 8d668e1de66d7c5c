"""Write Lua values the way the WoW client writes SavedVariables, and splice them into original bytes.

Two things live here:

* :func:`serialize` turns a Python value into Lua 5.1 source in the client's own style: tab indents,
  ``["key"] = value,`` for hash entries, ``value, -- [N]`` for array entries, the file's line ending, and
  only escapes Lua 5.1 understands (``\\\\ \\" \\n \\r \\000``; never ``\\x``, ``\\u{}`` or ``\\z``).
* :func:`splice` replaces the values of a few top-level fields of a global table in the original bytes
  (found by :mod:`luascan`) or inserts missing fields before the table's closing brace. Every other byte
  of the file is left exactly as it was.

Python → Lua: ``str`` (encoded UTF-8 with ``surrogateescape``, so bytes read from a file come back the same),
``bytes``, ``int``, ``float``, ``bool``, ``dict`` and ``list``/``tuple`` (an array). A dict whose keys are
1..n is written as an array, like the client does. NaN and ``None`` values cannot be written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence

from tsmsyncd.tsm.luascan import EntryLayout, TableLayout, scan_entries

__all__ = ["serialize", "serialize_key", "splice", "lua_shape"]

_MAX_SAFE = 2**53


_NEEDS_ESCAPE = re.compile(rb'[\\"\n\r\0]')


def _string(value: str | bytes) -> bytes:
    raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    if _NEEDS_ESCAPE.search(raw) is None:
        return b'"' + raw + b'"'
    # The client escapes exactly these and writes every other byte raw (fixtures hold raw 0x01/0x02).
    # \000 is always three digits so a following digit is never read as part of the escape.
    if b"\\" in raw:
        raw = raw.replace(b"\\", b"\\\\")
    if b'"' in raw:
        raw = raw.replace(b'"', b'\\"')
    if b"\n" in raw:
        raw = raw.replace(b"\n", b"\\n")
    if b"\r" in raw:
        raw = raw.replace(b"\r", b"\\r")
    if b"\0" in raw:
        raw = raw.replace(b"\0", b"\\000")
    return b'"' + raw + b'"'


def _number(value: int | float) -> bytes:
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE and float(value) != value:
            raise ValueError(f"integer {value} cannot be held exactly by a Lua 5.1 number")
        return str(value).encode("ascii")
    if math.isnan(value):
        raise ValueError("NaN cannot be written to a SavedVariables file")
    if math.isinf(value):
        # No literal exists, but a numeral too big for a double reads as inf. Not ``1/0``: Lua 5.1 keeps one
        # constant per number in a chunk and -0 == 0, so after a ``-0`` anywhere in the file it is -inf.
        return b"1e999" if value > 0 else b"-1e999"
    if value.is_integer() and abs(value) < _MAX_SAFE:
        return b"-0" if value == 0 and math.copysign(1.0, value) < 0 else str(int(value)).encode("ascii")
    return repr(value).encode("ascii")  # shortest text that reads back as the same double


def _scalar(value: object) -> bytes:
    kind = type(value)
    if kind is str or kind is bytes:
        return _string(value)  # type: ignore[arg-type]
    if kind is int:
        return _number(value)  # type: ignore[arg-type]
    if value is True:
        return b"true"
    if value is False:
        return b"false"
    if isinstance(value, (str, bytes)):
        return _string(value)
    if isinstance(value, (int, float)):
        return _number(value)
    raise TypeError(f"cannot write a {type(value).__name__} to a SavedVariables file")


def serialize_key(key: object) -> bytes:
    """``["key"]``, ``[12]``, ``[true]`` — the client always uses the bracket form."""
    if isinstance(key, float) and math.isnan(key):
        raise ValueError("NaN cannot be a table key")
    return b"[" + _scalar(key) + b"]"


def _sort_key(key: object) -> tuple[int, object]:
    if type(key) is str:
        return (2, key.encode("utf-8", "surrogateescape"))
    if isinstance(key, bool):
        return (0, key)
    if isinstance(key, (int, float)):
        return (1, key)
    if isinstance(key, str):
        return (2, key.encode("utf-8", "surrogateescape"))
    if isinstance(key, bytes):
        return (2, key)
    raise TypeError(f"cannot write a {type(key).__name__} as a table key")


def _array_length(table: Iterable[object]) -> int:
    """How many entries 1..n the client would write as array entries."""
    ints = {k for k in table if type(k) is int}  # not bools: True == 1 in Python, never in Lua
    n = 0
    while n + 1 in ints:
        n += 1
    return n


def _write(value: object, level: int, eol: bytes, out: list[bytes]) -> None:
    if type(value) is not dict:  # exact type first: isinstance against ABCs is slow on big tables
        if isinstance(value, (list, tuple)):
            value = {i + 1: v for i, v in enumerate(value)}
        elif not isinstance(value, Mapping):
            out.append(_scalar(value))
            return
    inner = b"\t" * (level + 1)
    out.append(b"{" + eol)
    n = _array_length(value)
    for i in range(1, n + 1):
        out.append(inner)
        _write(value[i], level + 1, eol, out)
        out.append(b", -- [%d]" % i + eol)
    rest = [k for k in value if not (type(k) is int and 1 <= k <= n)] if n else list(value)
    comma = b"," + eol
    for key in sorted(rest, key=_sort_key):
        item = value[key]
        if item is None:
            continue  # a nil value is no entry at all in Lua
        kind = type(item)
        if kind is str or kind is bytes:  # the common case (items: "i:123" = "Group`Path"), inlined
            out.append(inner + b"[" + _scalar(key) + b"] = " + _string(item) + comma)
            continue
        out.append(inner + serialize_key(key) + b" = ")
        _write(item, level + 1, eol, out)
        out.append(comma)
    out.append(b"\t" * level + b"}")


def serialize(value: object, level: int = 0, eol: bytes = b"\r\n") -> bytes:
    """Lua source for ``value`` as the client writes it, for a value nested ``level`` tables deep."""
    out: list[bytes] = []
    _write(value, level, eol, out)
    return b"".join(out)


def lua_shape(value: object) -> object:
    """The value as it comes back from Lua: lists become 1-based dicts, integral floats become ints,
    ``None`` entries vanish. Used to compare a plan with what a file holds."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:
        return value
    if isinstance(value, (list, tuple)):
        value = {i + 1: v for i, v in enumerate(value)}
    if isinstance(value, Mapping):
        return {lua_shape(k): lua_shape(v) for k, v in value.items() if v is not None}
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return value


def splice(
    data: bytes,
    layout: TableLayout,
    values: Mapping[str, object],
    previous: Mapping[str, object] | None = None,
    entries: Mapping[str, EntryLayout | None] | None = None,
) -> bytes:
    """Return ``data`` with the top-level fields named in ``values`` replaced or inserted.

    Existing fields keep their key text, position and separator; only the value bytes change. When the
    field's value is a table written one entry per line and ``previous`` gives its current value, only the
    entries that change are rewritten (removed lines vanish, new entries go before the closing brace), so
    the player's own groups and items keep their exact bytes even inside a table we edit. Missing fields
    are inserted in the client's style just before the closing brace. A key that appears more than once
    is refused: Lua would take the last one, and guessing is not safe. ``entries`` may carry entry
    layouts already scanned (``scan_entries``) for some keys.
    """
    previous = previous or {}
    entries = entries or {}
    edits: list[tuple[int, int, bytes]] = []
    inserts: list[bytes] = []
    for key, value in values.items():
        found = layout.find(key)
        if len(found) > 1:
            raise ValueError(f"the key {key!r} appears {len(found)} times in {layout.name}")
        if not found:
            inserts.append(b"\t" + serialize_key(key) + b" = " + serialize(value, 1, layout.eol) + b",")
            continue
        field = found[0]
        known = entries[key] if key in entries else _scan(data, field.value_start, field.value_end)
        entry_edits = _entry_edits(known, previous.get(key), value, layout.eol)
        if entry_edits is None:
            edits.append((field.value_start, field.value_end, serialize(value, 1, layout.eol)))
        else:
            edits.extend(entry_edits)
    if inserts:
        edits.append(_insertion(data, layout, inserts))
    edits.sort(key=lambda edit: (edit[0], edit[1]))
    view = memoryview(data)  # slices of a memoryview are not copies: the file is copied once, by join
    out: list[bytes | memoryview] = []
    pos = 0
    for start, end, text in edits:
        out.append(view[pos:start])
        out.append(text)
        pos = end
    out.append(view[pos:])
    return b"".join(out)


def _scan(data: bytes, start: int, end: int) -> EntryLayout | None:
    return scan_entries(data, start, end - 1) if data[start : start + 1] == b"{" else None


def _entry_edits(
    layout: EntryLayout | None, old: object, new: object, eol: bytes
) -> list[tuple[int, int, bytes]] | None:
    """Edits that turn a table laid out as ``layout`` (whose Lua value is ``old``) into ``new`` entry by
    entry, or None when the table is not laid out one entry per line (the caller rewrites it whole)."""
    if layout is None or type(old) is not dict or type(new) is not dict:
        return None
    present = {entry.key for entry in layout.entries}
    if present != old.keys():  # the bytes must say exactly what Lua read, key for key
        return None
    # Entry keys are strings and numbers, never booleans, though ``True == 1`` for a Python dict.
    bools = [k for k in new if type(k) is bool]
    edits: list[tuple[int, int, bytes]] = []
    for entry in layout.entries:
        value = new.get(entry.key)
        if value is None or entry.key in bools:  # None is no entry at all
            edits.append((entry.start, entry.end, b""))
        elif not _same(value, old[entry.key]):
            edits.append((entry.value_start, entry.value_end, serialize(value, 2, eol)))
    added = sorted((k for k in new if k not in present or type(k) is bool), key=_sort_key)
    if added:
        lines = b"".join(
            b"\t\t" + serialize_key(k) + b" = " + serialize(new[k], 2, eol) + b"," + eol
            for k in added if new[k] is not None
        )
        edits.append((layout.closing_line, layout.closing_line, lines))
    return edits


def _same(new: object, old: object) -> bool:
    """Whether Lua already holds ``new`` as ``old``. ``==`` is not enough: in Python ``True == 1``."""
    if new is old:  # the planner passes the player's own entries through as the very same objects
        return True
    if type(new) is str and type(old) is str:  # the common case (item paths), kept fast
        return new == old
    return _typed(lua_shape(new)) == _typed(lua_shape(old))


def _typed(value: object) -> object:
    """A shaped value with booleans told apart from numbers, as keys and as values."""
    if type(value) is bool:
        return (bool, value)
    if type(value) is dict:
        return {_typed(k): _typed(v) for k, v in value.items()}
    return value


def _insertion(data: bytes, layout: TableLayout, lines: Sequence[bytes]) -> tuple[int, int, bytes]:
    eol = layout.eol
    last = layout.fields[-1] if layout.fields else None
    if last is not None and not last.has_separator:
        # The last field has no ',' after it; add one right after its value.
        return _insert_after_unseparated(data, layout, last.value_end, lines)
    line_start = data.rfind(b"\n", 0, layout.close) + 1
    if data[line_start : layout.close].strip(b" \t") == b"" and line_start > layout.open:
        return (line_start, line_start, b"".join(line + eol for line in lines))
    # '}' shares its line with other text (a one-line table): put the fields on lines of their own.
    return (layout.close, layout.close, eol + b"".join(line + eol for line in lines))


def _insert_after_unseparated(
    data: bytes, layout: TableLayout, value_end: int, lines: Sequence[bytes]
) -> tuple[int, int, bytes]:
    body = b"".join(layout.eol + line for line in lines)
    return (value_end, value_end, b"," + body.rstrip(b","))

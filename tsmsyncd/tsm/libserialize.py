"""LibSerialize's binary format, writer side: the bytes ``LibSerialize:SerializeEx({stable = true}, ...)`` returns.

Written from the format LibSerialize (rossnichols/LibSerialize, MIT) documents in its header, for MINOR 4 /
serialization version 1, the copy TSM 4.14 embeds. Every value starts with a type byte:

    NNNN NNN1   an int 0..127 in the top seven bits
    CCCC TT10   a string (TT=0), map (1), array (2) or mixed table (3) with a 4-bit count; a mixed table
                packs two 2-bit counts, each one less than the real count (both 1..4)
    NNNN S100   an int of up to 12 bits (sign in S), low four bits here, high eight in the next byte
    TTTT T000   one of 32 type indices, followed by counts and payload (big-endian, 1-3 bytes per count)

Strings longer than two bytes and every table are remembered in the order they are first written; writing
the same string (or the same table object) again writes a reference to that index instead. ``stable``
sorts map keys: strings (by bytes) before numbers before booleans (false, then true).

Python values are read the way Lua would hold them: ``None`` is nil, ``str`` is a string (as UTF-8),
``bool``/``int``/``float`` are booleans and numbers (Lua's numbers are doubles: an int a double cannot
hold exactly is refused rather than rounded, and so is a whole number of 2^56 or more, which the addon's
seven-byte integers would wrap), a list/tuple is a table with keys 1..n and a mapping is a
table with its keys. A ``None`` value does not exist in a Lua table, so it is left out, and a mapping
with keys 1..n and others is what Lua calls a mixed table: ``{1: "a", "override": True}`` is
``{"a", override = true}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

__all__ = ["SERIALIZATION_VERSION", "serialize"]

SERIALIZATION_VERSION = 1
_MAX_WHOLE = 2**56  # whole numbers are written in at most seven bytes

# Type indices of the TTTT T000 form, indexed by how many bytes the count or number needs.
_NIL = 0
_NUMBER = {2: 1, 3: 3, 4: 5, 7: 7}  # the negative variant is the next index
_FLOAT, _FLOAT_STRING = 9, 10  # 11 = negative float string
_TRUE, _FALSE = 12, 13
_STRING = {1: 14, 2: 15, 3: 16}
_MAP = {1: 17, 2: 18, 3: 19}
_ARRAY = {1: 20, 2: 21, 3: 22}
_MIXED = {1: 23, 2: 24, 3: 25}
_STRING_REF = {1: 26, 2: 27, 3: 28}
_TABLE_REF = {1: 29, 2: 30, 3: 31}
# Type indices of the CCCC TT10 form.
_EMBEDDED_STRING, _EMBEDDED_MAP, _EMBEDDED_ARRAY, _EMBEDDED_MIXED = 0, 1, 2, 3


def serialize(*values: object) -> bytes:
    """What ``LibSerialize:SerializeEx({stable = true}, ...)`` returns for ``values``.

    Raises TypeError for a value Lua tables cannot hold here (functions, sets, ``None`` keys) and
    ValueError for one the format cannot carry (a count or string past 16,777,215, an inexact number).
    """
    writer = _Writer()
    writer.byte(SERIALIZATION_VERSION)
    for value in values:
        writer.value(value)
    return bytes(writer.out)


def _count_bytes(count: int) -> int:
    """Bytes for a length, count or reference index (LibSerialize's GetRequiredBytes)."""
    if count < 256:
        return 1
    if count < 65536:
        return 2
    if count < 16777216:
        return 3
    raise ValueError(f"LibSerialize cannot count past 16777215 (got {count})")


def _number_bytes(magnitude: int) -> int:
    """Bytes for an integer's magnitude; past four bytes it is always seven (GetRequiredBytesNumber)."""
    for size in (1, 2, 3, 4):
        if magnitude < 256**size:
            return size
    return 7


def _float_bytes(num: float) -> bytes:
    """LibSerialize's FloatToString: IEEE 754 big-endian for normal numbers, built from frexp as the Lua
    code does (so subnormals become a signed zero, exactly as the addon would write them)."""
    if math.isnan(num):
        return b"\xff\xf8" + bytes(6)
    sign = 0x80 if num < 0 else 0
    magnitude = -num if num < 0 else num
    if math.isinf(magnitude):
        return bytes([0x7F + sign, 0xF0]) + bytes(6)
    mantissa, exponent = math.frexp(magnitude)
    if (mantissa == 0 and exponent == 0) or exponent < -0x3FE:
        return bytes([sign]) + bytes(7)
    exponent += 0x3FE
    bits = math.floor((mantissa * 2.0 - 1.0) * 2.0**52)
    head = bytes([sign + exponent // 16, (exponent % 16) * 16 + bits // 2**48])
    return head + (bits % 2**48).to_bytes(6, "big")


def _lua_number_string(num: float) -> str:
    """Lua 5.1's ``tostring`` of a number: C's ``%.14g``."""
    return format(num, ".14g")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _key_order(key: object) -> tuple[int, Any]:
    """LibSerialize's StableKeySort: strings first (compared as bytes, like Lua's C-locale ``<``),
    then numbers, then booleans with false before true."""
    if isinstance(key, str):
        return (0, key.encode("utf-8"))
    if isinstance(key, bool):
        return (2, int(key))
    return (1, key)


def _entries(table: Mapping[object, object] | Sequence[object]) -> list[tuple[object, object]]:
    """The key/value pairs a Lua table built from ``table`` would hold: no nil values, valid keys only."""
    if isinstance(table, Mapping):
        pairs = list(table.items())
    else:
        pairs = [(index, value) for index, value in enumerate(table, start=1)]
    kept: list[tuple[object, object]] = []
    for key, value in pairs:
        if value is None:
            continue  # assigning nil to a Lua table key removes it
        if not (isinstance(key, (str, bool)) or _is_number(key)):
            raise TypeError(f"a Lua table key cannot be {type(key).__name__}")
        if _is_number(key) and math.isnan(key):
            raise TypeError("a Lua table key cannot be NaN")
        kept.append((key, value))
    return kept


class _Writer:
    """One serialization: the output and the string/table reference tables it builds as it goes."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.strings: dict[bytes, int] = {}
        # id(table) → (reference index, the table); holding the table keeps its id from being reused
        self.tables: dict[int, tuple[int, object]] = {}

    def byte(self, value: int) -> None:
        self.out.append(value)

    def uint(self, value: int, size: int) -> None:
        self.out += value.to_bytes(size, "big")

    def typed(self, index: int) -> None:
        self.byte(index * 8)

    def value(self, value: object) -> None:
        if value is None:
            self.typed(_NIL)
        elif isinstance(value, bool):
            self.typed(_TRUE if value else _FALSE)
        elif _is_number(value):
            self.number(value)
        elif isinstance(value, str):
            self.string(value)
        elif isinstance(value, (Mapping, list, tuple)):
            self.table(value)
        else:
            raise TypeError(f"LibSerialize cannot write a {type(value).__name__}")

    def number(self, num: int | float) -> None:
        if isinstance(num, float) and not (math.isfinite(num) and num.is_integer()):
            self.fraction(num)
            return
        whole = int(num)
        if float(whole) != whole:
            raise ValueError(f"{num} is not exactly representable as a Lua number (a double)")
        if abs(whole) >= _MAX_WHOLE:
            raise ValueError(f"{num} is too large for LibSerialize's seven-byte integers")
        if 0 <= whole < 128:
            self.byte(whole * 2 + 1)
        elif -4096 < whole < 4096:
            packed = abs(whole) * 16 + (8 if whole < 0 else 0) + 4
            self.byte(packed % 256)
            self.byte(packed // 256)
        else:
            size = _number_bytes(abs(whole))
            self.typed(_NUMBER[size] + (1 if whole < 0 else 0))
            self.uint(abs(whole), size)

    def fraction(self, num: float) -> None:
        # The addon writes a float as text when that is shorter than its eight bytes and reads back equal.
        negative = num < 0
        magnitude = -num if negative else num
        text = _lua_number_string(magnitude)
        if len(text) < 7 and math.isfinite(magnitude) and float(text) == magnitude:
            self.typed(_FLOAT_STRING + (1 if negative else 0))
            self.byte(len(text))
            self.out += text.encode("ascii")
        else:
            self.typed(_FLOAT)
            self.out += _float_bytes(num)

    def string(self, text: str) -> None:
        data = text.encode("utf-8")
        ref = self.strings.get(data)
        if ref is not None:
            size = _count_bytes(ref)
            self.typed(_STRING_REF[size])
            self.uint(ref, size)
            return
        if len(data) < 16:
            self.byte(len(data) * 16 + _EMBEDDED_STRING * 4 + 2)
        else:
            size = _count_bytes(len(data))
            self.typed(_STRING[size])
            self.uint(len(data), size)
        self.out += data
        if len(data) > 2:  # shorter strings are cheaper to repeat than to reference
            self.strings[data] = len(self.strings) + 1

    def table(self, table: Mapping[object, object] | Sequence[object]) -> None:
        known = self.tables.get(id(table))
        if known is not None:
            size = _count_bytes(known[0])
            self.typed(_TABLE_REF[size])
            self.uint(known[0], size)
            return
        # Registered before its contents, as the addon does, so the numbering matches.
        self.tables[id(table)] = (len(self.tables) + 1, table)
        entries = _entries(table)
        numbers = {key: value for key, value in entries if _is_number(key)}
        array: list[object] = []
        while len(array) + 1 in numbers:  # ipairs: 1, 2, 3... up to the first gap
            array.append(numbers[len(array) + 1])
        in_array = len(array)
        rest = [(k, v) for k, v in entries if not (_is_number(k) and float(k).is_integer() and 1 <= k <= in_array)]
        rest.sort(key=lambda pair: _key_order(pair[0]))
        self.table_header(len(array), len(rest))
        for value in array:
            self.value(value)
        for key, value in rest:
            self.value(key)
            self.value(value)

    def table_header(self, array_count: int, map_count: int) -> None:
        if map_count == 0:  # an array, the empty table included
            self.counted(_EMBEDDED_ARRAY, _ARRAY, array_count)
        elif array_count == 0:
            self.counted(_EMBEDDED_MAP, _MAP, map_count)
        elif array_count < 5 and map_count < 5:
            self.byte(((map_count - 1) * 4 + array_count - 1) * 16 + _EMBEDDED_MIXED * 4 + 2)
        else:
            size = max(_count_bytes(array_count), _count_bytes(map_count))
            self.typed(_MIXED[size])
            self.uint(array_count, size)
            self.uint(map_count, size)

    def counted(self, embedded: int, indices: dict[int, int], count: int) -> None:
        if count < 16:
            self.byte(count * 16 + embedded * 4 + 2)
        else:
            size = _count_bytes(count)
            self.typed(indices[size])
            self.uint(count, size)

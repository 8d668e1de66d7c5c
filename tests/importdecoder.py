"""An independent reader of TSM import strings, for tests only: nothing here comes from the encoder.

Written from the published format descriptions: LibDeflate's ``DecodeForPrint`` (SafeteeWoW/LibDeflate
1.0.2), raw DEFLATE (RFC 1951, inflated by zlib) and LibSerialize's reader (rossnichols/LibSerialize,
MINOR 4). Lua tables come back as dicts whose array part has the keys 1..n, so ``{"a", override = true}``
reads as ``{1: "a", "override": True}``; strings come back as ``str`` when they are UTF-8, else ``bytes``.
"""

from __future__ import annotations

import math
import string
import zlib

__all__ = ["decode_import_string", "decode_print", "deserialize", "inflate"]

_ALPHABET = string.ascii_lowercase + string.ascii_uppercase + string.digits + "()"
_SIX_BITS = {char: value for value, char in enumerate(_ALPHABET)}
# Lua's %c (C's iscntrl in the C locale) plus the space, which DecodeForPrint strips from both ends.
_STRIPPED = "".join(chr(c) for c in range(32)) + "\x7f "


def decode_import_string(text: str) -> list[object]:
    """Every value in a TSM import string, as LibSerialize:Deserialize would return them."""
    raw = decode_print(text)
    if raw is None:
        raise ValueError("not a printable LibDeflate string")
    return deserialize(inflate(raw))


def decode_print(text: str) -> bytes | None:
    """LibDeflate:DecodeForPrint: None for a foreign character or a single character."""
    text = text.strip(_STRIPPED)
    if len(text) == 1 or any(char not in _SIX_BITS for char in text):
        return None
    out = bytearray()
    for start in range(0, len(text) - len(text) % 4, 4):
        group = sum(_SIX_BITS[char] << (6 * i) for i, char in enumerate(text[start:start + 4]))
        out += group.to_bytes(3, "little")
    tail = text[len(text) - len(text) % 4:]
    bits = sum(_SIX_BITS[char] << (6 * i) for i, char in enumerate(tail))
    out += (bits % (1 << (8 * (6 * len(tail) // 8)))).to_bytes(6 * len(tail) // 8, "little")
    return bytes(out)


def inflate(data: bytes) -> bytes:
    """Raw DEFLATE → bytes; like TSM's importer, a stream followed by extra bytes is refused."""
    inflater = zlib.decompressobj(-15)
    out = inflater.decompress(data)
    if not inflater.eof:
        raise ValueError("the DEFLATE stream does not end")
    if inflater.unused_data:
        raise ValueError(f"{len(inflater.unused_data)} extra bytes after the DEFLATE stream")
    return out


def deserialize(data: bytes) -> list[object]:
    """LibSerialize:Deserialize without the success flag: every value after the version byte."""
    reader = _Reader(data)
    version = reader.byte()
    if version > 2:
        raise ValueError(f"unknown serialization version {version}")
    values = []
    while reader.pos < len(data):
        values.append(reader.value())
    return values


def _float(raw: bytes) -> float:
    """LibSerialize's StringToFloat (an exponent field of 0 still has the implicit leading 1)."""
    sign = -1.0 if raw[0] > 0x7F else 1.0
    exponent = (raw[0] % 0x80) * 0x10 + raw[1] // 0x10
    mantissa = int.from_bytes(bytes([raw[1] % 0x10]) + raw[2:8], "big")
    if mantissa == 0 and exponent == 0:
        return sign * 0.0
    if exponent == 0x7FF:
        return sign * math.inf if mantissa == 0 else math.nan
    return sign * math.ldexp(1.0 + mantissa / 2.0**52, exponent - 0x3FF)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.strings: list[object] = []
        self.tables: list[dict] = []

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise ValueError("read past the end of the input")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def value(self) -> object:
        head = self.byte()
        if head % 2 == 1:  # NNNN NNN1
            return head >> 1
        if head % 4 == 2:  # CCCC TT10
            kind, count = (head >> 2) & 3, head >> 4
            if kind == 0:
                return self.string(count)
            if kind == 1:
                return self.table(0, count)
            if kind == 2:
                return self.table(count, 0)
            return self.table(count % 4 + 1, count // 4 + 1)
        if head % 8 == 4:  # NNNN S100 + one byte
            magnitude = (self.byte() * 256 + head) >> 4
            return -magnitude if head & 8 else magnitude
        return self.indexed(head >> 3)

    def indexed(self, index: int) -> object:  # TTTT T000
        if index == 0:
            return None
        if 1 <= index <= 8:
            size = {1: 2, 2: 2, 3: 3, 4: 3, 5: 4, 6: 4, 7: 7, 8: 7}[index]
            magnitude = self.uint(size)
            return -magnitude if index % 2 == 0 else magnitude
        if index == 9:
            return _float(self.take(8))
        if index in (10, 11):
            number = float(self.take(self.byte()).decode("ascii"))
            return -number if index == 11 else number
        if index in (12, 13):
            return index == 12
        size = (index - 14) % 3 + 1
        group = (index - 14) // 3
        if group == 0:
            return self.string(self.uint(size))
        if group == 1:
            return self.table(0, self.uint(size))
        if group == 2:
            return self.table(self.uint(size), 0)
        if group == 3:
            array_count = self.uint(size)
            return self.table(array_count, self.uint(size))
        if group == 4:
            return self.strings[self.uint(size) - 1]
        return self.tables[self.uint(size) - 1]

    def string(self, length: int) -> object:
        raw = self.take(length)
        try:
            text: object = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw
        if length > 2:
            self.strings.append(text)
        return text

    def table(self, array_count: int, map_count: int) -> dict:
        table: dict = {}
        self.tables.append(table)  # before its contents: a table may contain itself
        for index in range(1, array_count + 1):
            value = self.value()
            if value is not None:
                table[index] = value
        for _ in range(map_count):
            key = self.value()
            table[key] = self.value()
        return table

"""LibDeflate's half of a TSM import string: raw DEFLATE and the printable 6-bit text around it.

TSM calls ``LibDeflate:EncodeForPrint(LibDeflate:CompressDeflate(data))`` (SafeteeWoW/LibDeflate 1.0.2).

``CompressDeflate`` writes raw DEFLATE (RFC 1951): no zlib header, no checksum. Any valid raw stream
inflates to the same bytes in LibDeflate, so zlib's compressor stands in for the Lua one; the compressed
bytes differ from what the addon would write, the content does not. TSM refuses an import whose stream is
followed by extra bytes, and zlib ends the stream in its last byte, so there are none.

``EncodeForPrint`` maps every 6 bits to ``a-z A-Z 0-9 ( )``: three bytes are read as one little-endian
24-bit number and written as four characters, lowest 6 bits first; one or two leftover bytes are written
the same way, 6 bits at a time, until no bits are left (two characters for one byte, three for two).
"""

from __future__ import annotations

import zlib

__all__ = ["PRINT_ALPHABET", "compress_deflate", "encode_for_print"]

PRINT_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789()"
_RAW_DEFLATE = -15  # negative window bits: a raw stream with a 32 KiB window, which LibDeflate expects


def compress_deflate(data: bytes, level: int = 9) -> bytes:
    """Raw DEFLATE of ``data``, as ``LibDeflate:CompressDeflate`` returns it (byte for byte only in content)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, _RAW_DEFLATE)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH)


def encode_for_print(data: bytes) -> str:
    """``LibDeflate:EncodeForPrint(data)``: 4 characters per 3 bytes, 2 or 3 for a shorter tail."""
    chars = []
    whole = len(data) - len(data) % 3
    for start in range(0, whole, 3):
        chars.extend(_six_bits(int.from_bytes(data[start:start + 3], "little"), 24))
    tail = data[whole:]
    chars.extend(_six_bits(int.from_bytes(tail, "little"), 8 * len(tail)))
    return "".join(chars)


def _six_bits(value: int, bit_count: int) -> list[str]:
    """``value`` written 6 bits at a time, lowest first, until ``bit_count`` bits are covered."""
    out = []
    while bit_count > 0:
        out.append(PRINT_ALPHABET[value % 64])
        value //= 64
        bit_count -= 6
    return out

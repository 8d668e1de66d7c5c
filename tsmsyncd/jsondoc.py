"""Reading JSON documents from players and files: strictly, with one phrase saying what is wrong.

Python's ``json`` accepts things no document of ours may hold and crashes on others: it keeps the last
of two equal keys (so ``{"root": "A", "root": "Herbs"}`` silently means Herbs), reads ``NaN`` and
``Infinity``, turns a 5,000-digit number into a ValueError about ``sys.set_int_max_str_digits`` and a
100,000-deep array into a RecursionError. ``parse`` refuses each of these with a ``JsonDocError`` whose
``reason`` the caller puts into its own error, naming its own field (GroupSet, rule, settings...).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_DEPTH", "JsonDocError", "parse"]

MAX_DEPTH = 64  # deeper than any document of ours; far below what makes the decoder recurse too far
MAX_DIGITS = 30  # no count, id or price of ours comes near this


class JsonDocError(ValueError):
    """``reason`` is a phrase that completes "<what> ..." (e.g. "is not valid JSON (line 3, ...)")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JsonDocError(f"has the key {key!r} twice in one object (which one was meant?)")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise JsonDocError(f"holds {name}, which is not a JSON number")


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise JsonDocError(f"holds a number with {digits:,} digits")
    return int(text)


def _depth(data: bytes | str) -> int:
    """How deep brackets nest, outside strings (cheap, so the decoder never recurses into a bomb)."""
    text = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def parse(data: bytes | str) -> Any:
    """The document, or JsonDocError saying why not."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonDocError(f"is not UTF-8 text (byte {exc.start + 1})") from exc
        if data.startswith("\ufeff"):
            data = data[1:]  # Notepad's byte-order mark: harmless in a JSON document
    if _depth(data) > MAX_DEPTH:
        raise JsonDocError(f"nests more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(data, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise JsonDocError(f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    except RecursionError as exc:  # unreachable after the depth check; kept as a last guard
        raise JsonDocError("nests too deeply") from exc

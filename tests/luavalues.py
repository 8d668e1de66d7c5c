"""Comparing values read back from Lua in tests."""

from __future__ import annotations


def tag(value: object) -> object:
    """A type-aware form for comparisons: ``True`` and ``1`` are equal in Python but not in Lua."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, dict):
        return ("table", {tag(k): tag(v) for k, v in value.items()})
    raise TypeError(f"unexpected {type(value).__name__}")

"""Money as TSM writes it: ``1g50s20c`` (gold, silver, copper; ``1.5g`` too), always copper inside."""

from __future__ import annotations

import re

__all__ = ["format_money", "parse_money"]

_MONEY = re.compile(r"^(?:(\d+(?:\.\d+)?)g)?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)c)?$")
MAX_COPPER = 10**15  # far above the gold cap (9,999,999g = 10^11 copper), far below float trouble


def parse_money(text: str) -> int:
    """``1g50s20c`` → 15020; ``1.5g`` → 15000; a plain number is copper. ValueError names what was wrong."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned.isdigit() and len(cleaned) <= 16:
        return int(cleaned)
    match = _MONEY.match(cleaned)
    if not cleaned or len(cleaned) > 32 or match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not money as TSM writes it (e.g. 1g50s20c or 120g)")
    gold, silver, copper = (float(g) if g else 0.0 for g in match.groups())
    value = int(round(gold * 10_000 + silver * 100 + copper))
    if value > MAX_COPPER:
        raise ValueError(f"{text!r} is more money than WoW has")
    return value


def format_money(copper: int | None) -> str:
    """Copper as TSM writes it: 1g50s20c ("-" for no value)."""
    if copper is None:
        return "-"
    gold, rest = divmod(int(copper), 10_000)
    silver, cop = divmod(rest, 100)
    text = (f"{gold:,}g" if gold else "") + (f"{silver}s" if silver else "")
    return text + (f"{cop}c" if cop or not text else "")

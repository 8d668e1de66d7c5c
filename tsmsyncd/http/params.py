"""Query-string and path values, validated once: each failure is a 400 naming the parameter."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from tsmsyncd.config import Settings, check_region
from tsmsyncd.errors import FieldError
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.wow.flavor import Flavor

__all__ = ["choice", "integer", "realm", "text"]


def text(request: web.Request, name: str, default: str | None = None, *, max_length: int = 200) -> str | None:
    value = request.query.get(name)
    if value is None:
        return default
    if len(value) > max_length or any(ord(c) < 0x20 for c in value):
        raise FieldError(name, f"must be at most {max_length} characters of text")
    return value


def integer(request: web.Request, name: str, default: int | None = None, *, low: int = 0,
            high: int = 2**31 - 1, value: str | None = None) -> int | None:
    raw = request.query.get(name) if value is None else value
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.lstrip("-").isdigit():
        raise FieldError(name, "must be a whole number")
    number = int(raw)
    if not low <= number <= high:
        raise FieldError(name, f"must be from {low:,} to {high:,}")
    return number


def choice(request: web.Request, name: str, options: Iterable[str], default: str) -> str:
    allowed = list(options)
    value = request.query.get(name, default)
    if value not in allowed:
        raise FieldError(name, f"must be one of: {', '.join(allowed)}")
    return value


def realm(request: web.Request, settings: Settings) -> RealmKey:
    """``{realm_id}`` in the path with ``?region=`` and ``?flavor=`` (default: the settings' region, retail)."""
    number = integer(request, "realm_id", low=1, value=request.match_info["realm_id"])
    assert number is not None
    region = check_region((text(request, "region") or settings.region).lower())
    try:
        flavor = Flavor.parse(text(request, "flavor") or "retail")
    except ValueError as exc:
        raise FieldError("flavor", "must be one of: retail, classic, classic-era") from exc
    return RealmKey(region, number, flavor)

"""Query-string and path values, validated once: each failure is a 400 naming the parameter."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from aiohttp import web

from tsmsyncd.config import Settings, check_region
from tsmsyncd.errors import FieldError
from tsmsyncd.market.browse import item_string
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.wow.flavor import Flavor

__all__ = ["choice", "integer", "item", "moment", "realm", "text"]


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


def realm(request: web.Request, settings: Settings, name: str = "realm_id") -> RealmKey:
    """``{realm_id}`` in the path (or ``?<name>=``, default: the settings' first realm) with ``?region=`` and
    ``?flavor=`` (default: the settings' region, retail)."""
    raw = request.match_info[name] if name in request.match_info else request.query.get(name)
    number = integer(request, name, low=1, value=raw or str(settings.realms[0] if settings.realms else ""))
    if number is None:
        raise FieldError(name, "is needed: a connected realm id such as 3678")
    region = check_region((text(request, "region") or settings.region).lower())
    try:
        flavor = Flavor.parse(text(request, "flavor") or "retail")
    except ValueError as exc:
        raise FieldError("flavor", "must be one of: retail, classic, classic-era") from exc
    return RealmKey(region, number, flavor)


def item(request: web.Request, name: str = "item") -> str | None:
    """An item id or string (``2447``, ``i:2447``, ``p:194``) in the path or the query, as ``i:2447``."""
    raw = request.match_info[name] if name in request.match_info else request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return item_string(raw[:20])
    except ValueError as exc:
        raise FieldError(name, "must be an item id or item string such as 2447, i:2447 or p:194") from exc


def moment(request: web.Request, name: str) -> str | None:
    """An ISO 8601 time (UTC when it names no zone), as the database stores times."""
    raw = text(request, name, max_length=40)
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace(" ", "+"))  # a "+" sent unescaped arrives as a space
    except ValueError as exc:
        raise FieldError(name, "must be a time such as 2026-11-02T12:00:00+00:00") from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")

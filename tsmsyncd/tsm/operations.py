"""TSM4's operation modules: their fields, types, defaults and how many a group may use.

Source: TSM v4.14.22 ``LibTSMSystem/Source/Operation/*Operation.lua`` (``AddCustomStringSetting`` → "price",
``AddStringSetting`` → "string", ``AddNumberSetting``, ``AddBooleanSetting``, and tables for
``restockSources``) and ``LibTSMTypes/Source/Operation/Classes/Type.lua`` (common keys; the sanitiser drops
unknown keys, resets wrong types, converts numbers to strings for string fields). Reference §6.

Flavors: classic clients (which show auction sellers) add Auctioning ``blacklist``; clients whose auction
house still has stacks (Classic Era) also add ``matchStackSize``/``stackSize``/``stackSizeIsCap``. The
default undercut is "0c" on retail and "1c" elsewhere.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass

from tsmsyncd.wow.flavor import Flavor

__all__ = [
    "COMMON_KEYS", "MAX_OPERATIONS", "MODULES", "Field", "Flavor", "default_settings", "fields", "normalize_settings",
]

MODULES = ("Auctioning", "Crafting", "Mailing", "Shopping", "Sniper", "Vendoring", "Warehousing")
MAX_OPERATIONS = {"Auctioning": 20, "Crafting": 1, "Mailing": 50, "Shopping": 1, "Sniper": 1, "Vendoring": 1,
                  "Warehousing": 12}
COMMON_KEYS = ("ignorePlayer", "ignoreFactionrealm", "relationships")
MAX_PRICE_LENGTH = 4000




@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "price" (TSM custom price string), "string", "number", "bool", "table" (str → bool)
    default: object


def _p(name: str, default: str) -> Field:
    return Field(name, "price", default)


def _sources(*names: str) -> dict[str, bool]:
    return dict.fromkeys(names, False)


_PRICE_SOURCES = "crafting,dbmarket,dbregionmarketavg"
_SNIPER_BELOW = (
    "max(vendorsell, ifgt(DBRegionMarketAvg, 250000g, 0.8, ifgt(DBRegionMarketAvg, 100000g, 0.7, "
    "ifgt(DBRegionMarketAvg, 50000g, 0.6, ifgt(DBRegionMarketAvg, 25000g, 0.5, ifgt(DBRegionMarketAvg, 10000g, 0.4, "
    "ifgt(DBRegionMarketAvg, 5000g, 0.3, ifgt(DBRegionMarketAvg, 2000g, 0.2, ifgt(DBRegionMarketAvg, 1000g, 0.1, "
    "0.05)))))))) * DBRegionMarketAvg)"
)

_FIELDS: dict[str, tuple[Field, ...]] = {
    "Auctioning": (
        Field("ignoreLowDuration", "number", 0), _p("postCap", "5"), _p("keepQuantity", "0"), _p("maxExpires", "0"),
        Field("duration", "number", 2), Field("bidPercent", "number", 1), _p("undercut", "0c"),
        _p("minPrice", f"check(first({_PRICE_SOURCES}),max(0.25*avg({_PRICE_SOURCES}),1.5*vendorsell))"),
        _p("maxPrice", f"check(first({_PRICE_SOURCES}),max(5*avg({_PRICE_SOURCES}),30*vendorsell))"),
        _p("normalPrice", f"check(first({_PRICE_SOURCES}),max(2*avg({_PRICE_SOURCES}),12*vendorsell))"),
        Field("priceReset", "string", "none"), Field("aboveMax", "string", "maxPrice"),
        Field("cancelUndercut", "bool", True), Field("cancelRepost", "bool", True), _p("cancelRepostThreshold", "1g"),
    ),
    "Crafting": (_p("minRestock", "10"), _p("maxRestock", "20"), _p("minProfit", "100g"), _p("craftPriceMethod", "")),
    "Mailing": (
        Field("maxQtyEnabled", "bool", False), _p("maxQty", "10"), Field("target", "string", ""),
        Field("restock", "bool", False), Field("restockSources", "table", _sources("guild", "bank")),
        _p("keepQty", "0"),
    ),
    "Shopping": (
        _p("restockQuantity", "0"), _p("maxPrice", "dbmarket"), Field("showAboveMaxPrice", "bool", True),
        Field("restockSources", "table", _sources("alts", "auctions", "bank", "guild")),
    ),
    "Sniper": (_p("belowPrice", _SNIPER_BELOW),),
    "Vendoring": (
        _p("sellAfterExpired", "20"), Field("sellSoulbound", "bool", False), _p("keepQty", "0"), _p("restockQty", "0"),
        Field("restockSources", "table", _sources("alts", "ah", "bank", "guild", "alts_ah", "mail")),
        Field("enableBuy", "bool", True), Field("enableSell", "bool", True), _p("vsMarketValue", "dbmarket"),
        _p("vsMaxMarketValue", "0c"), _p("vsDestroyValue", "dbmarket"), _p("vsMaxDestroyValue", "0c"),
    ),
    "Warehousing": tuple(
        _p(name, "0") for name in ("moveQuantity", "keepBagQuantity", "keepBankQuantity", "restockQuantity",
                                   "stackSize", "restockKeepBankQuantity", "restockStackSize")
    ),
}
_CLASSIC_AUCTIONING = (Field("blacklist", "string", ""),)
_ERA_AUCTIONING = (Field("matchStackSize", "bool", False), _p("stackSize", "1"), Field("stackSizeIsCap", "bool", False))


def _check_module(module: str) -> None:
    if module not in _FIELDS:
        hint = _suggest(module, MODULES)
        raise ValueError(f"unknown module '{module}'{hint} (expected one of: {', '.join(MODULES)})")


def _suggest(name: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def fields(module: str, flavor: Flavor = Flavor.RETAIL) -> tuple[Field, ...]:
    """The fields of ``module`` on a client of ``flavor``, in TSM's order."""
    _check_module(module)
    found = _FIELDS[module]
    if module == "Auctioning" and flavor is not Flavor.RETAIL:
        undercut = _p("undercut", "1c")
        found = tuple(undercut if f.name == "undercut" else f for f in found) + _CLASSIC_AUCTIONING
        if flavor is Flavor.CLASSIC_ERA:
            found += _ERA_AUCTIONING
    return found


def _fresh(value: object) -> object:
    return dict(value) if isinstance(value, dict) else value


def default_settings(module: str, flavor: Flavor = Flavor.RETAIL) -> dict[str, object]:
    """Every field's default plus the common keys, as a fresh dict (tables are fresh copies)."""
    settings = {f.name: _fresh(f.default) for f in fields(module, flavor)}
    settings.update({key: {} for key in COMMON_KEYS})
    return settings


def normalize_settings(
    module: str, settings: Mapping[str, object], flavor: Flavor = Flavor.RETAIL
) -> dict[str, object]:
    """Validate ``settings`` for ``module`` and fill in TSM's defaults. Raises ValueError("<field>: why")."""
    known = {f.name: f for f in fields(module, flavor)}
    result = default_settings(module, flavor)
    for name, value in settings.items():
        if name in COMMON_KEYS:
            raise ValueError(f"{name}: belongs to the player's own realm setup and cannot be set by a GroupSet")
        field = known.get(name) if isinstance(name, str) else None
        if field is None:
            raise ValueError(f"{name}: not a {module} operation field{_suggest(str(name), list(known))}")
        result[name] = _check_value(field, value)
    return result


MAX_NUMBER = 2**53  # Lua 5.1 numbers are doubles: integers beyond this are not exact


def _sane_number(value: object) -> bool:
    """A JSON number Lua can hold exactly: finite, and an integer within ±2**53 (a 400-digit integer
    would overflow the conversion to float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return -MAX_NUMBER <= value <= MAX_NUMBER
    return math.isfinite(value) and abs(value) <= MAX_NUMBER


def _check_value(field: Field, value: object) -> object:
    kind = field.kind
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not _sane_number(value):
        raise ValueError(f"{field.name}: the number is too big for TSM (at most {MAX_NUMBER:,})")
    if kind in ("price", "string"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else repr(value)  # TSM converts numbers too
        if not isinstance(value, str):
            raise ValueError(f"{field.name}: expected a string, got {type(value).__name__}")
        if len(value) > MAX_PRICE_LENGTH:
            raise ValueError(f"{field.name}: longer than {MAX_PRICE_LENGTH} characters")
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise ValueError(f"{field.name}: contains control characters")
        if kind == "price" and field.default != "" and not value.strip():
            raise ValueError(f"{field.name}: a price string cannot be empty")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{field.name}: expected a number, got {type(value).__name__}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{field.name}: expected true or false, got {type(value).__name__}")
        return value
    return _check_table(field, value)


def _check_table(field: Field, value: object) -> dict[str, bool]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{field.name}: expected an object of true/false flags, got {type(value).__name__}")
    assert isinstance(field.default, dict)  # a "table" field's default is its flags (see _sources)
    allowed: dict[str, bool] = dict(field.default)
    for key, flag in value.items():
        if key not in allowed:
            raise ValueError(f"{field.name}.{key}: unknown source{_suggest(str(key), list(allowed))}")
        if not isinstance(flag, bool):
            raise ValueError(f"{field.name}.{key}: expected true or false")
        allowed[key] = flag
    return allowed

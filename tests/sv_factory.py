"""Build TradeSkillMaster.lua files for tests and benchmarks, the way the game writes them.

The emitter here is deliberately independent of ``tsmsyncd.tsm.luaformat``: keys come out in a shuffled
(hash-like) order as the client's do, so tests never pass just because both sides share one writer.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

MODULES = ("Auctioning", "Crafting", "Mailing", "Shopping", "Sniper", "Vendoring", "Warehousing")


def _s(value: str | bytes) -> bytes:
    raw = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    raw = raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    return b'"' + raw.replace(b"\0", b"\\000") + b'"'


def emit(value: object, level: int, eol: bytes, rng: random.Random, out: list[bytes]) -> None:
    """Write ``value`` in the client's style with hash-ordered (shuffled) keys."""
    if isinstance(value, (list, tuple)):
        value = {i + 1: v for i, v in enumerate(value)}
    if isinstance(value, dict):
        pad = b"\t" * (level + 1)
        out.append(b"{" + eol)
        n = 0
        while (n + 1) in value and type(list(value)[0]) is not bool:
            n += 1
        for i in range(1, n + 1):
            out.append(pad)
            emit(value[i], level + 1, eol, rng, out)
            out.append(b", -- [%d]" % i + eol)
        rest = [k for k in value if not (type(k) is int and 1 <= k <= n)]
        rng.shuffle(rest)
        for k in rest:
            if isinstance(k, (str, bytes)):
                key = _s(k)
            else:
                key = b"true" if k is True else b"false" if k is False else str(k).encode()
            out.append(pad + b"[" + key + b"] = ")
            emit(value[k], level + 1, eol, rng, out)
            out.append(b"," + eol)
        out.append(b"\t" * level + b"}")
    elif value is True or value is False:
        out.append(b"true" if value else b"false")
    elif isinstance(value, (int, float)):
        out.append(repr(value).encode() if isinstance(value, float) else str(value).encode())
    else:
        out.append(_s(value))


def default_operation(module: str) -> dict:
    common = {"ignorePlayer": {}, "ignoreFactionrealm": {}, "relationships": {}}
    settings = {
        "Shopping": {"restockQuantity": "0", "maxPrice": "dbmarket", "showAboveMaxPrice": True,
                     "restockSources": {"alts": False, "auctions": False, "bank": False, "guild": False}},
        "Crafting": {"minRestock": "10", "maxRestock": "20", "minProfit": "100g", "craftPriceMethod": ""},
    }.get(module, {"keepQty": "0"} if module in ("Mailing", "Vendoring") else {})
    return {**settings, **common}


def tsm_db(
    profiles: Sequence[str] = ("Default",),
    player_groups: Sequence[str] = ("Herbs", "Herbs`Rare", "Ore"),
    player_items: dict[str, str] | None = None,
    global_operations: bool = False,
    version: int = 129,
    extra: dict | None = None,
) -> dict:
    """A TradeSkillMasterDB table (Python form) with meta keys, profiles, player groups and default ops."""
    db: dict = {
        "_version": version,
        "_hash": 13058566,
        "_scopeKeys": {"profile": list(profiles), "char": ["Alice - Illidan"], "realm": ["Illidan"],
                       "factionrealm": ["Horde - Illidan"], "sync": ["Alice - Horde - Illidan"]},
        "_currentProfile": {"Alice - Illidan": profiles[0]},
        "_syncOwner": {"Alice - Horde - Illidan": "Horde - Illidan - 592106584"},
        "_syncAccountKey": {"Horde - Illidan": "Horde - Illidan - 592106584"},
        "_lastModifiedVersion": {"p@userData@groups": 10},
        "g@ @coreOptions@globalOperations": global_operations,
        "r@Illidan@internalData@csvSales": "itemString,stackSize,quantity,price,otherPlayer,player,time,source\n"
        "i:2447,1,20,1500,Bob,Alice,1700000000,Auction",
        "f@Horde - Illidan@internalData@guildVaults": {},
    }
    items = dict(player_items if player_items is not None else {"i:765": "Herbs", "i:2770": "Ore"})
    for profile in profiles:
        groups = {"": {m: ["#Default", ] for m in MODULES}}
        for m in MODULES:
            groups[""][m] = {1: "#Default", "override": True}
        for path in player_groups:
            groups[path] = {m: {1: "#Default"} for m in MODULES}
        db[f"p@{profile}@userData@groups"] = groups
        db[f"p@{profile}@userData@items"] = dict(items)
        db[f"p@{profile}@userData@operations"] = {m: {"#Default": default_operation(m)} for m in MODULES}
    if extra:
        db.update(extra)
    return db


def render(db: dict, eol: bytes = b"\r\n", seed: int = 0, item_info: bool = True) -> bytes:
    """The file the client would write for ``db`` (plus a TSMItemInfoDB global, as real files have)."""
    rng = random.Random(seed)
    out: list[bytes] = [eol, b"TradeSkillMasterDB = "]
    emit(db, 0, eol, rng, out)
    out.append(eol)
    if item_info:
        out.append(b"TSMItemInfoDB = ")
        emit({"revision": "4.14.22", "locale": "enUS", "names": "Peacebloom\x02Copper Ore\x01"}, 0, eol, rng, out)
        out.append(eol)
    return b"".join(out)


def accounting_heavy(target_bytes: int, groups: int = 3000, seed: int = 1) -> bytes:
    """A big file shaped like a long-time player's: megabytes of accounting CSV strings, thousands of
    groups with items, many realms. Used by the 50 MB benchmark and the crash-safety test."""
    rng = random.Random(seed)
    player_groups = [f"Group {g // 20}`Sub {g}" for g in range(groups)]
    player_groups += [f"Group {g}" for g in range(groups // 20 + 1)]
    items = {f"i:{100000 + i}": player_groups[i % groups] for i in range(groups * 10)}
    db = tsm_db(player_groups=sorted(set(player_groups)), player_items=items)
    header = b"itemString,stackSize,quantity,price,otherPlayer,player,time,source"
    row_size = 60
    rows_per_key = 20000
    keys = max(1, (target_bytes - len(render(db, seed=seed))) // (row_size * rows_per_key))
    for k in range(keys):
        rows = [header] + [
            b"i:%d,1,%d,%d,Seller%d,Alice,%d,Auction" % (rng.randint(1, 200000), rng.randint(1, 200),
                                                       rng.randint(1, 10**7), rng.randint(1, 999), 1.6e9 + i)
            for i in range(rows_per_key)
        ]
        kind = ("csvSales", "csvBuys", "csvIncome", "csvExpense", "csvExpired", "csvCancelled")[k % 6]
        db[f"r@Realm{k // 6}@internalData@{kind}"] = b"\n".join(rows)
    return render(db, seed=seed)

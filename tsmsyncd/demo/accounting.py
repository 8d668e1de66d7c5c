"""Seeded accounting history for one realm, in the CSV strings TSM's Accounting module saves.

TSM keeps a realm's ledger as realm-scope strings (``r@<Realm>@internalData@<key>``, reference §1 and the real
files in shared/fixtures/savedvariables): a header line, then one record per line, ``\\n``-separated, with no
trailing line break. The shapes come from TSM4's Accounting source (``Transactions.lua``, ``Auctions.lua``,
``Money.lua``):

* ``csvSales`` / ``csvBuys``: ``itemString,stackSize,quantity,price,otherPlayer,player,time,source`` with
  ``source`` one of ``Auction``, ``COD``, ``Trade``, ``Vendor`` (vendor rows name ``Merchant``), ``price`` in
  copper per item; ``saveTimeSales`` / ``saveTimeBuys`` hold one save time per ``Auction`` record, ``,``-joined;
* ``csvExpired`` / ``csvCancelled``: ``itemString,stackSize,quantity,player,time`` (+ ``saveTimeExpires`` /
  ``saveTimeCancels``, one per record);
* ``csvIncome`` / ``csvExpense``: ``type,amount,otherPlayer,player,time`` (``Money Transfer``, ``Postage``,
  ``Repair Bill``, ``Garrison`` …).

A long-time player's file is big because of these strings, so the generator fills a byte budget rather than a
row count: that is how the sandbox reaches ~200 KB or ~50 MB. Records are in time order, as TSM saves them.
TSM trims a kind past 55,000 records per realm; callers spread a big budget over realms to stay under it.
Everything comes from the ``random.Random`` passed in: the same seed gives the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SHARES", "Traded", "buyer_names", "realm_accounting"]

SALES_HEADER = b"itemString,stackSize,quantity,price,otherPlayer,player,time,source"
AUCTION_HEADER = b"itemString,stackSize,quantity,player,time"
MONEY_HEADER = b"type,amount,otherPlayer,player,time"

# How a realm's budget splits between the kinds (a seller's ledger: mostly sales, then buys and expiries).
SHARES = {"sales": 0.44, "buys": 0.24, "expired": 0.14, "cancelled": 0.09, "income": 0.04, "expense": 0.05}
_ROW_GUESS = {"sales": 52, "buys": 50, "expired": 32, "cancelled": 32, "income": 44, "expense": 40}


@dataclass(frozen=True)
class Traded:
    """An item this player trades: its TSM item string, a typical unit price here, its vendor price, and the
    stack sizes it is posted in."""

    item_string: str
    price: int
    vendor: int
    stacks: tuple[int, ...]


_SYLLABLES = ("ka", "ra", "tho", "mel", "dra", "vi", "zul", "an", "bel", "gor", "ith", "ley", "mor", "na", "quen",
              "sha", "tal", "ur", "wyn", "xe", "yor", "bri", "cae", "dun", "eth", "fal", "gwen", "hal", "ira", "jor")


def buyer_names(rng: random.Random, count: int, realms: Sequence[str]) -> tuple[str, ...]:
    """Other players' names as TSM records them: ``Name`` for the same realm, ``Name-Realm`` (no spaces)
    for someone from another realm of the connection."""
    names = []
    for _ in range(count):
        parts = [rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))]
        name = "".join(parts).capitalize()[:12]
        if realms and rng.random() < 0.3:
            name += "-" + rng.choice(realms).replace(" ", "")
        names.append(name)
    return tuple(names)


def _gap(budget: int, row_guess: int, days: int) -> int:
    """The mean time between records, so about ``budget`` bytes of them span ``days``."""
    return max(1, days * 86_400 // max(1, budget // row_guess))


def _ledger(rows: list[bytes], header: bytes) -> bytes:
    rows.reverse()  # made newest first, saved oldest first
    return header + b"\n" + b"\n".join(rows) if rows else header


def _trades(
    rng: random.Random, kind: str, goods: Sequence[Traded], players: Sequence[str], others: Sequence[str],
    budget: int, end: int, days: int,
) -> tuple[bytes, bytes]:
    """Sales or buys up to ``budget`` bytes, and the save times of their Auction records."""
    rows: list[bytes] = []
    saves: list[bytes] = []
    gap2 = 2 * _gap(budget, _ROW_GUESS[kind], days)
    vendor_share = 8 if kind == "sales" else 15
    n_goods, n_players, n_others = len(goods), len(players), len(others)
    used, when = 0, end
    while used < budget:
        # One draw per record, cut into fields: the large sandbox makes about a million of these.
        r = rng.getrandbits(128)
        good = goods[(r & 0xFFFF) % n_goods]
        roll = (r >> 16 & 0xFF) % 100
        stack = good.stacks[(r >> 24 & 0xFF) % len(good.stacks)]
        quantity = stack * (1 + (r >> 32 & 3)) if len(good.stacks) > 1 else 1  # gear and pets sell one by one
        player = players[(r >> 34 & 0xFF) % n_players]
        if roll < vendor_share and good.vendor > 0:
            source, other, price = b"Vendor", "Merchant", good.vendor if kind == "sales" else good.vendor * 4
        else:
            source = b"Auction" if roll < 94 else b"COD" if roll < 97 else b"Trade"
            other = others[(r >> 42 & 0xFFFF) % n_others]
            price = max(1, good.price * (65 + (r >> 58 & 0xFF) % 80) // 100)
        row = b"%s,%d,%d,%d,%s,%s,%d,%s" % (good.item_string.encode(), stack, quantity, price, other.encode(),
                                             player.encode(), when, source)
        rows.append(row)
        used += len(row) + 1
        if source == b"Auction":
            saves.append(b"%d" % (when + (r >> 66 & 0xFFFF) % 7_200))  # saved when the player logged out
            used += len(saves[-1]) + 1
        when -= 1 + (r >> 82 & 0xFFFFFFFF) % gap2
    saves.reverse()
    return _ledger(rows, SALES_HEADER), b",".join(saves)


def _auction_log(
    rng: random.Random, kind: str, goods: Sequence[Traded], players: Sequence[str], budget: int, end: int, days: int
) -> tuple[bytes, bytes]:
    """Expired or cancelled auctions up to ``budget`` bytes, with one save time per record."""
    rows: list[bytes] = []
    saves: list[bytes] = []
    gap2 = 2 * _gap(budget, _ROW_GUESS[kind], days)
    used, when = 0, end
    while used < budget:
        r = rng.getrandbits(128)
        good = goods[(r & 0xFFFF) % len(goods)]
        stack = good.stacks[(r >> 16 & 0xFF) % len(good.stacks)]
        player = players[(r >> 24 & 0xFF) % len(players)]
        quantity = stack * (1 + (r >> 32 & 3) % 3) if len(good.stacks) > 1 else 1
        row = b"%s,%d,%d,%s,%d" % (good.item_string.encode(), stack, quantity,
                                   player.encode(), when)
        rows.append(row)
        used += len(row) + 1
        saves.append(b"%d" % (when + (r >> 40 & 0xFFFF) % 7_200))
        used += len(saves[-1]) + 1
        when -= 1 + (r >> 56 & 0xFFFFFFFF) % gap2
    saves.reverse()
    return _ledger(rows, AUCTION_HEADER), b",".join(saves)


_INCOME = ((b"Money Transfer", 100_000, 50_000_000), (b"Garrison", 50_000, 2_000_000))
_FIXED_PARTY = {b"Garrison": b"Mission", b"Repair Bill": b"Merchant"}  # who TSM names for these
_EXPENSE = ((b"Postage", 30, 3_000), (b"Repair Bill", 1_000, 400_000), (b"Money Transfer", 100_000, 20_000_000))


def _money(
    rng: random.Random, kind: str, players: Sequence[str], others: Sequence[str], budget: int, end: int, days: int,
    retail: bool,
) -> bytes:
    types: tuple[tuple[bytes, int, int], ...] = _INCOME if kind == "income" else _EXPENSE
    if not retail:
        types = tuple(t for t in types if t[0] != b"Garrison")  # no garrisons before Warlords
    rows: list[bytes] = []
    gap2 = 2 * _gap(budget, _ROW_GUESS[kind], days)
    used, when = 0, end
    while used < budget:
        r = rng.getrandbits(128)
        name, low, high = types[(r & 0xFF) % len(types)]
        other = _FIXED_PARTY.get(name) or others[(r >> 8 & 0xFFFF) % len(others)].encode()
        amount = low + (r >> 24 & 0xFFFFFFFF) % (high - low + 1)
        row = b"%s,%d,%s,%s,%d" % (name, amount, other, players[(r >> 56 & 0xFF) % len(players)].encode(), when)
        rows.append(row)
        used += len(row) + 1
        when -= 1 + (r >> 64 & 0xFFFFFFFF) % gap2
    return _ledger(rows, MONEY_HEADER)


def realm_accounting(
    rng: random.Random,
    goods: Sequence[Traded],
    players: Sequence[str],
    others: Sequence[str],
    budget: int,
    end: int,
    days: int,
    retail: bool = True,
) -> dict[str, bytes]:
    """Every Accounting string of one realm (the setting names after ``internalData@``), about ``budget``
    bytes in all, the newest record at ``end`` (a Unix time) and the oldest about ``days`` before it."""
    if not goods or not players or not others:
        raise ValueError("a realm's ledger needs goods, players and other players")
    share = {kind: int(budget * part) for kind, part in SHARES.items()}
    sales, sale_saves = _trades(rng, "sales", goods, players, others, share["sales"], end, days)
    buys, buy_saves = _trades(rng, "buys", goods, players, others, share["buys"], end, days)
    expired, expire_saves = _auction_log(rng, "expired", goods, players, share["expired"], end, days)
    cancelled, cancel_saves = _auction_log(rng, "cancelled", goods, players, share["cancelled"], end, days)
    return {
        "csvSales": sales, "saveTimeSales": sale_saves,
        "csvBuys": buys, "saveTimeBuys": buy_saves,
        "csvExpired": expired, "saveTimeExpires": expire_saves,
        "csvCancelled": cancelled, "saveTimeCancels": cancel_saves,
        "csvIncome": _money(rng, "income", players, others, share["income"], end, days, retail),
        "csvExpense": _money(rng, "expense", players, others, share["expense"], end, days, retail),
    }

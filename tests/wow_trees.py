"""Build WoW install trees and Battle.net product.db files for tests, the way the game and launcher lay them out.

The protobuf encoder here is a few lines of the wire format written independently of
``tsmsyncd.wow.productdb``'s reader, so a test never passes just because both sides share one mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sv_factory import render, tsm_db


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, value: int | str | bytes, wire: int | None = None) -> bytes:
    """One field: ints as varints (or fixed32/fixed64 with ``wire`` 5/1), text and bytes length-delimited."""
    if isinstance(value, int):
        if wire == 1:
            return varint(number << 3 | 1) + value.to_bytes(8, "little")
        if wire == 5:
            return varint(number << 3 | 5) + value.to_bytes(4, "little")
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def message(*fields: bytes) -> bytes:
    return b"".join(fields)


def product_install(code: str, path: str, folder: str = "_retail_", uid: str | None = None) -> bytes:
    """A ``ProductInstall`` the way the launcher writes one, with the noise real files carry: a cached
    state with a varint and a double, operations with fixed-size numbers."""
    settings = message(field(1, path), field(2, "us"), field(3, 1), field(6, "enUS"), field(13, folder))
    state = message(field(1, message(field(1, 1), field(2, 1), field(6, "11.0.2.56461"))),
                    field(2, message(field(1, 0x3FF0000000000000, wire=1))))
    return message(field(1, uid or code), field(2, code), field(3, settings), field(4, state),
                   field(5, message(field(1, 0), field(2, 700, wire=5))))


def product_db(*installs: bytes) -> bytes:
    """A ``Database``: the installs plus an agent entry, an active process and product configs."""
    agent = message(field(1, "battle.net"), field(2, "agent"), field(3, message(field(1, "C:/Battle.net"))))
    active = message(field(1, "Wow.exe"), field(2, 4242), field(3, "battlenet://wow"))
    configs = message(field(1, "wow"), field(2, "a1b2c3"), field(3, "1700000000"))
    body = [field(1, agent)] + [field(1, i) for i in installs]
    return message(*body, field(3, active), field(4, configs), field(5, message(field(1, 0), field(2, 0))))


def make_install(root: Path, flavors: Sequence[str] = ("_retail_",), accounts: Sequence[str] = ("ACCOUNT1",),
                 tsm: bool = True) -> Path:
    """``root/<flavor>/WTF/Account/<account>/SavedVariables/TradeSkillMaster.lua`` (plus the account-wide
    ``WTF/Account/SavedVariables`` folder and the ``Interface/AddOns`` the game makes). Returns ``root``."""
    for flavor in flavors:
        account_dir = root / flavor / "WTF" / "Account"
        (account_dir / "SavedVariables").mkdir(parents=True, exist_ok=True)
        (root / flavor / "Interface" / "AddOns").mkdir(parents=True, exist_ok=True)
        for account in accounts:
            saved = account_dir / account / "SavedVariables"
            saved.mkdir(parents=True, exist_ok=True)
            if tsm:
                (saved / "TradeSkillMaster.lua").write_bytes(render(tsm_db()))
    return root

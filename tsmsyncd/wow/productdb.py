"""Read the Battle.net launcher's ``product.db``: which products it installed, and where.

The launcher keeps its install list in ``<drive>:/ProgramData/Battle.net/Agent/product.db`` on Windows and
``/Users/Shared/Battle.net/Agent/product.db`` on macOS (WowUp ``warcraft.service.win.ts``/``.mac.ts``,
reference tsm-savedvariables.md §11). The file is one protocol-buffers message with no published schema
and no schema package to depend on, so this module carries a small reader for the protobuf wire format
(varints, fixed 32/64-bit, length-delimited fields; https://protobuf.dev/programming-guides/encoding/) and
decodes only the fields it needs. The layout, as three independent public decoders agree on it:

    Database        1: repeated ProductInstall
    ProductInstall  1: uid (string), 2: product code (string: ``wow``, ``wow_classic``, ``wowt``…),
                    3: UserSettings
    UserSettings    1: install path (string, the base folder: ``C:/Program Files (x86)/World of Warcraft``),
                    13: the flavor folder (string: ``_retail_``)

Sources: ``Nutzzz/GameFinder`` ``src/GameCollector.StoreHandlers.BattleNet/ProductDb.cs`` (from
``dafzor/bnetlauncher`` ``Utils/ProductDb.cs``: ``BnetDatabase.productInstall = 1``,
``BnetProductInstall{uid = 1, productCode = 2, settings = 3}``, ``BnetUserSettings.installPath = 1``);
``WowUp/WowUp`` ``wowup-electron/src/common/wowup/product-db.ts`` (``Product{name = 1, alias = 2,
client = 3}``, ``Client{location = 1, name = 13}``); ``Phrasing/addon_updater`` ``src/products.cc``
(keeps product codes containing ``wow``, joins ``install_path`` with unknown settings field 13, the flavor
folder). Every other field is skipped by its wire type, so launcher versions that add fields still read.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ProductDbError", "ProductInstall", "read_product_db", "wow_installs"]

_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5


class ProductDbError(ValueError):
    """The bytes are not a protobuf message of the shape product.db has."""


@dataclass(frozen=True)
class ProductInstall:
    """One product the launcher installed. ``install_path`` is as the launcher wrote it (forward slashes)."""

    uid: str
    product_code: str
    install_path: str
    flavor_folder: str  # "" when the launcher did not record it


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ProductDbError("a number runs past the end of the data")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise ProductDbError("a number is longer than ten bytes")


def fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """The (field number, wire type, value) triples of one message; LEN values stay raw bytes."""
    out: list[tuple[int, int, int | bytes]] = []
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProductDbError("field number 0")
        value: int | bytes
        if wire == _VARINT:
            value, pos = _varint(data, pos)
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            if pos + size > end:
                raise ProductDbError("a fixed-size field runs past the end of the data")
            value, pos = int.from_bytes(data[pos : pos + size], "little"), pos + size
        elif wire == _LEN:
            size, pos = _varint(data, pos)
            if pos + size > end:
                raise ProductDbError("a field runs past the end of the data")
            value, pos = data[pos : pos + size], pos + size
        else:  # 3/4 are the long-deprecated groups; 6/7 do not exist
            raise ProductDbError(f"wire type {wire} in field {number}")
        out.append((number, wire, value))
    return out


def _string(value: int | bytes, what: str) -> str:
    if not isinstance(value, bytes):
        raise ProductDbError(f"{what} is not a string")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProductDbError(f"{what} is not UTF-8") from exc


def _message(value: int | bytes, what: str) -> list[tuple[int, int, int | bytes]]:
    if not isinstance(value, bytes):
        raise ProductDbError(f"{what} is not a message")
    return fields(value)


def _install(raw: int | bytes) -> ProductInstall:
    uid = code = path = folder = ""
    for number, _wire, value in _message(raw, "a product install"):
        if number == 1:
            uid = _string(value, "a product's uid")
        elif number == 2:
            code = _string(value, "a product code")
        elif number == 3:
            for inner, _w, setting in _message(value, "a product's settings"):
                if inner == 1:
                    path = _string(setting, "an install path")
                elif inner == 13 and isinstance(setting, bytes):
                    folder = setting.decode("utf-8", "replace")
    return ProductInstall(uid, code, path, folder)


def read_product_db(data: bytes) -> list[ProductInstall]:
    """Every product install listed in ``data`` (ProductDbError when it is not a product.db)."""
    if not data:
        raise ProductDbError("the file is empty")
    return [_install(value) for number, _wire, value in fields(data) if number == 1]


def wow_installs(data: bytes) -> list[ProductInstall]:
    """The World of Warcraft installs (product codes ``wow…``) with an install path, in file order."""
    return [p for p in read_product_db(data) if p.product_code.lower().startswith("wow") and p.install_path]

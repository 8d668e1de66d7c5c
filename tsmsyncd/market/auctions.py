"""The per-auction index a snapshot leaves for the next sales estimate, and its stored form.

``AuctionIndex`` holds one snapshot's auctions as equal-length numpy columns: what ``market.sales`` needs to tell
a sale from an expiry, a cancel or a relist, and nothing more (it is stored once per source and snapshot).

Stored form (``pack``/``unpack``), documented here because it outlives any one version of the code:

* **version 1**: one byte ``0x01``, then a zstd frame holding an uncompressed ``.npz`` (numpy's zip of ``.npy``
  arrays, read with ``allow_pickle=False``) of the seven columns ``auction_id`` int64, ``item`` int64,
  ``quantity`` int64, ``short`` bool, ``price`` int64, ``variant`` uint32, ``deadline`` int16, plus ``history``,
  one uint16 (the index's ``history``). ``pack`` writes the rows in auction-id order. A 700,000-row commodity
  index is about 5 MB.
* **version 0** (before this module): a bare ``np.savez_compressed`` zip of ``auction_id``, ``item``,
  ``quantity``, ``short``, recognised by the zip magic ``PK``. It is refused like a damaged one: without prices,
  variants and deadlines the estimate would be the old one, off by half and more (bench/sales.py "current"),
  so after an upgrade the first hour has no estimate and the next one is right.

Anything but version 1 is refused with ``ValueError``: a damaged or outdated stored index means "no estimate for
this hour", never a guess.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import numpy as np
import zstandard

__all__ = ["BUCKET_MINUTES", "MAX_HISTORY", "UNKNOWN_DEADLINE", "AuctionIndex", "int_column"]

# The most time an auction can have left in each time_left bucket, in minutes (SHORT < 30 min, MEDIUM 30 min-2 h,
# LONG 2-12 h, VERY_LONG > 12 h, and no listing runs over 48 h: docs/reference/blizzard-api.md §2).
BUCKET_MINUTES = {"SHORT": 30, "MEDIUM": 120, "LONG": 720, "VERY_LONG": 2880}
UNKNOWN_DEADLINE = 2880  # no bound beyond the longest listing
MAX_HISTORY = 1000  # history is counted up to this (any number past a few means "warm")

_FORMAT_V1 = b"\x01"
_ZIP_MAGIC = b"PK"  # version 0 was a bare npz (a zip file), written before the version byte existed
_COLUMNS = ("auction_id", "item", "quantity", "short", "price", "variant", "deadline")


def int_column(name: str, values: np.ndarray, dtype: type = np.int64) -> np.ndarray:
    """A 1-D integer column of ``dtype`` (a copy-free view where it already is one); refuses floats so truncation
    never happens silently. Also the check of ``market.metrics``' columns."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got {array.dtype}")
    return array.astype(dtype, copy=False)


@dataclass(frozen=True)
class AuctionIndex:
    """One snapshot's auctions as equal-length columns; ``auction_id`` must be unique within the snapshot.

    The first four columns are all an index had before ``market.sales.estimate_sales``; the others are optional
    and default to "unknown": ``price`` -1 (0 = bid only), ``variant`` 0, ``deadline`` from ``short`` (30 minutes,
    else ``UNKNOWN_DEADLINE``). ``history`` counts the earlier snapshots whose ``time_left`` narrowed the
    deadlines (0 for a freshly ingested index; each estimate's carried index has one more, up to ``MAX_HISTORY``).
    """

    auction_id: np.ndarray  # int64
    item: np.ndarray  # int codes, coded the same way in the snapshots being compared
    quantity: np.ndarray  # int64 units
    short: np.ndarray  # bool: time_left was SHORT (under 30 minutes left)
    # The optional columns are given as None for "unknown" and always hold an array once built (__post_init__).
    price: np.ndarray = None  # type: ignore[assignment]  # int64 copper per unit; 0 = bid only, -1 = not recorded
    variant: np.ndarray = None  # type: ignore[assignment]  # uint32: 0, or a hash telling listings of an item apart
    deadline: np.ndarray = None  # type: ignore[assignment]  # int16 minutes from this snapshot to the latest end
    history: int = 0

    def __post_init__(self) -> None:
        short = np.asarray(self.short)
        if short.size and short.dtype != np.bool_:
            raise TypeError(f"short must hold booleans, got {short.dtype}")
        short = short.astype(bool, copy=False).reshape(-1)
        n = len(short)
        columns = {
            "auction_id": int_column("auction_id", self.auction_id),
            "item": int_column("item", self.item),
            "quantity": int_column("quantity", self.quantity),
            "short": short,
            "price": np.full(n, -1, np.int64) if self.price is None else int_column("price", self.price),
            "variant": (np.zeros(n, np.uint32) if self.variant is None
                        else int_column("variant", self.variant, np.uint32)),
            "deadline": (np.where(short, BUCKET_MINUTES["SHORT"], UNKNOWN_DEADLINE).astype(np.int16)
                         if self.deadline is None else int_column("deadline", self.deadline, np.int16)),
        }
        if len({len(c) for c in columns.values()}) > 1:
            sizes = ", ".join(f"{name}={len(c)}" for name, c in columns.items())
            raise ValueError(f"columns must have equal length: {sizes}")
        if not 0 <= self.history <= MAX_HISTORY:
            raise ValueError(f"history must be 0..{MAX_HISTORY}, got {self.history}")
        for name, column in columns.items():
            object.__setattr__(self, name, column)  # frozen: store the normalised columns once

    def __len__(self) -> int:
        return len(self.auction_id)

    def pack(self) -> bytes:
        """The stored form, version 1 (see the module docstring)."""
        index = self.by_id()
        buffer = io.BytesIO()
        columns = {name: getattr(index, name) for name in _COLUMNS}
        np.savez(buffer, history=np.array([self.history], np.uint16), **columns)
        return _FORMAT_V1 + zstandard.ZstdCompressor(level=3).compress(buffer.getvalue())

    @classmethod
    def unpack(cls, data: bytes) -> AuctionIndex:
        """Read a stored index of version 1; refuse anything else with ``ValueError`` (see the module docstring)."""
        if data[:2] == _ZIP_MAGIC:
            raise ValueError("stored auction index is of version 0 (no prices or deadlines): it is no baseline")
        if data[:1] != _FORMAT_V1:
            raise ValueError(f"stored auction index has unknown format byte {data[:1]!r}")
        try:
            raw = zstandard.ZstdDecompressor().decompress(data[1:])
        except zstandard.ZstdError as exc:
            raise ValueError(f"stored auction index is damaged: {exc}") from exc
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
                return cls(**{name: arrays[name] for name in _COLUMNS}, history=int(arrays["history"][0]))
        except (OSError, EOFError, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:  # broken, partial
            raise ValueError(f"stored auction index is damaged: {exc}") from exc

    def by_id(self) -> AuctionIndex:
        """The same auctions in auction-id order (itself when already so), refusing duplicate ids."""
        ids = self.auction_id
        if ids.size < 2 or bool((ids[1:] > ids[:-1]).all()):
            return self
        order = np.argsort(ids, kind="stable")
        if (ids[order][1:] == ids[order][:-1]).any():
            raise ValueError("auction ids must be unique within a snapshot")
        return self.take(order)

    def take(self, rows: np.ndarray) -> AuctionIndex:
        """The auctions at ``rows`` (positions or a mask), in that order."""
        return AuctionIndex(self.auction_id[rows], self.item[rows], self.quantity[rows], self.short[rows],
                            self.price[rows], self.variant[rows], self.deadline[rows], self.history)

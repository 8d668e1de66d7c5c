"""The auction index: its columns and defaults, its id order, and its stored form (version 1; version 0, as
written before versioning, is refused like a damaged one)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tsmsyncd.market.auctions import UNKNOWN_DEADLINE, AuctionIndex


def sample() -> AuctionIndex:
    return AuctionIndex(
        auction_id=np.array([30, 10, 20], dtype=np.int64),
        item=np.array([2447, -194, 82265], dtype=np.int64),
        quantity=np.array([200, 1, 1], dtype=np.int64),
        short=np.array([False, True, False]),
        price=np.array([1200, 0, 4_000_000_000], dtype=np.int64),
        variant=np.array([0, 77, 4_000_000_000], dtype=np.uint32),
        deadline=np.array([2880, 30, 120], dtype=np.int16),
        history=7,
    )


def columns(index: AuctionIndex) -> dict[str, list]:
    names = ("auction_id", "item", "quantity", "short", "price", "variant", "deadline")
    return {name: getattr(index, name).tolist() for name in names}


def test_pack_and_unpack_keep_every_column_in_id_order() -> None:
    index = sample()
    data = index.pack()
    assert data[:1] == b"\x01"
    back = AuctionIndex.unpack(data)
    assert columns(back) == columns(index.by_id())
    assert back.auction_id.tolist() == [10, 20, 30] and back.history == 7
    assert (back.price.dtype, back.variant.dtype, back.deadline.dtype) == (np.int64, np.uint32, np.int16)


def test_an_index_stored_before_versioning_is_no_baseline() -> None:
    """Version 0 is what the database wrote before: a bare compressed npz of four columns, without the prices and
    deadlines the estimator needs. It is refused (the caller then has no baseline for one hour)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, auction_id=np.array([1, 2]), item=np.array([2447, 2447]), quantity=np.array([5, 9]),
                        short=np.array([True, False]))
    with pytest.raises(ValueError, match="version 0"):
        AuctionIndex.unpack(buffer.getvalue())


@pytest.mark.parametrize(("data", "message"), [
    (b"\x01not zstd at all", "damaged"),
    (b"PK\x03\x04 a zip cut short", "version 0"),
    (b"\x07" + b"\x00" * 10, "unknown format byte"),
    (b"", "unknown format byte"),
])
def test_a_damaged_stored_index_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AuctionIndex.unpack(data)


def test_a_stored_index_missing_a_column_is_refused() -> None:
    import zstandard

    buffer = io.BytesIO()
    np.savez(buffer, auction_id=np.array([1]), item=np.array([2]), quantity=np.array([3]), short=np.array([False]))
    with pytest.raises(ValueError, match="damaged"):
        AuctionIndex.unpack(b"\x01" + zstandard.ZstdCompressor().compress(buffer.getvalue()))


def test_defaults_say_unknown() -> None:
    index = AuctionIndex(np.array([1, 2]), np.array([5, 5]), np.array([1, 1]), np.array([True, False]))
    assert index.deadline.tolist() == [30, UNKNOWN_DEADLINE]
    assert index.price.tolist() == [-1, -1] and index.variant.tolist() == [0, 0] and len(index) == 2


def test_by_id_sorts_only_when_needed_and_refuses_duplicates() -> None:
    index = sample()
    ordered = index.by_id()
    assert ordered.auction_id.tolist() == [10, 20, 30] and ordered.item.tolist() == [-194, 82265, 2447]
    assert ordered.by_id() is ordered
    twice = AuctionIndex(np.array([2, 1, 2]), np.array([1, 1, 1]), np.array([1, 1, 1]), np.zeros(3, dtype=bool))
    with pytest.raises(ValueError, match="unique"):
        twice.by_id()


def test_columns_must_be_integers_of_equal_length() -> None:
    with pytest.raises(ValueError, match="equal length"):
        AuctionIndex(np.array([1, 2]), np.array([3]), np.array([1, 1]), np.array([False, False]))
    with pytest.raises(TypeError, match="price must hold integers"):
        AuctionIndex(np.array([1]), np.array([3]), np.array([1]), np.array([False]), price=np.array([1.5]))
    with pytest.raises(TypeError, match="short must hold booleans"):
        AuctionIndex(np.array([1]), np.array([3]), np.array([1]), np.array([1]))

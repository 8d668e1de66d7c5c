"""The watch checker's snapshot cache: fresh for its TTL on an injected clock, bounded by bytes, least
recently used out first."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tsmsyncd.market.listings import decode_listings
from tsmsyncd.watch.checker import Cached, SnapshotCache


def entry(auctions: int) -> Cached:
    rows = [{"id": n, "item": {"id": 2447}, "quantity": 1, "unit_price": n + 1, "time_left": "LONG"}
            for n in range(auctions)]
    return Cached(decode_listings(json.dumps({"auctions": rows}).encode()), "Mon, 01 Dec 2026 12:00:00 GMT", 0.0,
                  datetime(2026, 12, 1, tzinfo=UTC))


def test_an_entry_is_fresh_for_the_ttl_only() -> None:
    now = [0.0]
    cache = SnapshotCache(ttl=1800, clock=lambda: now[0])
    cache.put(("us", 4), entry(10))
    cached = cache.get(("us", 4))
    assert cached is not None and cache.fresh(cached)
    now[0] = 1799.0
    assert cache.fresh(cached)
    now[0] = 1800.0
    assert not cache.fresh(cached)


def test_the_least_recently_used_go_first_when_the_bytes_run_out() -> None:
    size = entry(1000).listings.nbytes
    cache = SnapshotCache(max_bytes=int(size * 2.5))
    for realm in (4, 5):
        cache.put(("us", realm), entry(1000))
    cache.get(("us", 4))  # used: 5 is now the oldest
    cache.put(("us", 9), entry(1000))
    assert cache.get(("us", 5)) is None and cache.get(("us", 4)) is not None and cache.get(("us", 9)) is not None
    assert cache.nbytes <= cache.max_bytes

"""Benchmark: ingest a 700,000-row region commodities snapshot served by the fake Blizzard server.

Prints, measured in this run on the same bytes:
  * parse    — the JSON alone: orjson.loads (a generic parse, the issue's baseline) and msgspec's typed
               decode (the fast parse ingest itself uses);
  * ingest   — body → per-item statistics (min buyout, TSM market value, quantity, auctions) + auction index;
  * memory   — peak traced memory during ingest, the body included, against the JSON's size;
  * stored   — the auction index as the database stores it (``AuctionIndex.pack``, inside the snapshot's
               transaction): time and size, beside the four-column ``np.savez_compressed`` stored before issue 14.
Targets (DESIGN.md): ingest <= 2x the parse alone, peak memory <= 4x the JSON size. This prints; it does
not assert.

Usage: python bench/ingest.py [--rows 700000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import orjson

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.market.ingest import _DECODER, ingest_snapshot


def best_of(runs: int, work: Callable[[], object]) -> float:
    samples = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = work()
        samples.append(time.perf_counter() - started)
        del result
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=700_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    body = FakeBlizzard(commodity_rows=args.rows).commodities_body("us")
    size = len(body)
    print(f"snapshot: {args.rows:,} commodity auctions, {size / 1e6:.1f} MB of JSON")
    orjson_parse = best_of(args.runs, lambda: orjson.loads(body))
    msgspec_parse = best_of(args.runs, lambda: _DECODER.decode(body))
    ingest = best_of(args.runs, lambda: ingest_snapshot(body, "commodities"))
    gc.collect()
    tracemalloc.start()
    snapshot = ingest_snapshot(body, "commodities")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"parse alone, orjson.loads:   {orjson_parse:.3f} s")
    print(f"parse alone, msgspec decode: {msgspec_parse:.3f} s")
    print(f"ingest:                      {ingest:.3f} s = {ingest / orjson_parse:.2f}x orjson.loads (target <= 2x), "
          f"{ingest / msgspec_parse:.2f}x the msgspec decode")
    print(f"items: {len(snapshot.items):,}")
    print(f"peak memory during ingest:   {(peak + size) / 1e6:.0f} MB with the body = {(peak + size) / size:.2f}x "
          f"the JSON (target <= 4x)")
    index = snapshot.index
    packed = index.pack()
    pack = best_of(args.runs, index.pack)

    def old_format() -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, auction_id=index.auction_id, item=index.item, quantity=index.quantity,
                            short=index.short)
        return buffer.getvalue()

    old = best_of(args.runs, old_format)
    print(f"stored index:                {pack:.3f} s, {len(packed) / 1e6:.1f} MB (AuctionIndex.pack: 7 columns, zstd);"
          f" before: {old:.3f} s, {len(old_format()) / 1e6:.1f} MB (np.savez_compressed of 4 columns)")


if __name__ == "__main__":
    main()

"""Benchmark: is polling for running WoW clients cheap enough to do every few seconds?

Prints the mean time of ``running_games()`` against a bare ``psutil.process_iter(["name"])`` pass over the
same process table in the same run. This prints; it does not assert.
"""

from __future__ import annotations

import time

import psutil

from tsmsyncd.wow.process import running_games

CALLS = 200


def mean_ms(fn) -> float:
    started = time.perf_counter()
    for _ in range(CALLS):
        fn()
    return (time.perf_counter() - started) / CALLS * 1000


def main() -> None:
    bare = mean_ms(lambda: list(psutil.process_iter(["name"])))
    ours = mean_ms(running_games)
    print(f"processes: {len(psutil.pids())}")
    print(f"bare process_iter(['name']): {bare:.2f} ms/call")
    print(f"running_games():             {ours:.2f} ms/call = {ours / bare:.2f}x bare")
    print(f"polling every 5 s costs {ours / 5000:.3%} of one core")


if __name__ == "__main__":
    main()

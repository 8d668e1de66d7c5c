"""Benchmark: is polling for running WoW clients cheap enough to do every few seconds?

Times ``running_games()`` against a bare ``list(psutil.process_iter(["name"]))`` over the same process table
in the same run, plus ``process_iter(["name", "exe"])`` to show what the extra field costs. Prints; no asserts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psutil

from tsmsyncd.wow.process import running_games

CALLS = 200
POLL_SECONDS = 5


def mean_ms(fn: Callable[[], object]) -> float:
    fn()  # warm-up: psutil caches Process objects between process_iter calls, as a polling daemon would
    started = time.perf_counter()
    for _ in range(CALLS):
        fn()
    return (time.perf_counter() - started) / CALLS * 1000


def main() -> None:
    bare = mean_ms(lambda: list(psutil.process_iter(["name"])))
    with_exe = mean_ms(lambda: list(psutil.process_iter(["name", "exe"])))
    ours = mean_ms(running_games)
    print(f"processes: {len(psutil.pids())}, {CALLS} calls each")
    print(f"bare process_iter(['name']):        {bare:.3f} ms/call")
    print(f"bare process_iter(['name', 'exe']): {with_exe:.3f} ms/call = {with_exe / bare:.2f}x bare")
    print(f"running_games():                    {ours:.3f} ms/call = {ours / bare:.2f}x bare")
    print(f"polling every {POLL_SECONDS} s costs {ours / (POLL_SECONDS * 1000):.4%} of one core")


if __name__ == "__main__":
    main()

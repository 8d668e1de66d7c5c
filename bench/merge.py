"""Benchmark: merge a GroupSet into a ~50 MB accounting-heavy TradeSkillMaster.lua.

Prints, measured in this run on the same file:
  * apply  — the whole merge: game check, read, Lua load, plan, splice, backup, write, fsync, verify;
  * parse  — one real Lua 5.1 load of the file (the floor any correct reader pays);
  * slpp   — decode + encode of the file's TradeSkillMasterDB table with slpp (what naive tools do).
Targets (DESIGN.md): apply <= 3x parse, and slpp >= 10x apply. This prints; it does not assert.

Usage: python bench/merge.py [--mb 50] [--groups 3000] [--runs 3] [--skip-slpp]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sv_factory import accounting_heavy  # noqa: E402

from tsmsyncd.groups.groupset import GroupSet  # noqa: E402
from tsmsyncd.sync.apply import Merger  # noqa: E402
from tsmsyncd.sync.backups import BackupStore  # noqa: E402
from tsmsyncd.tsm.luasandbox import LuaSandbox  # noqa: E402


def groupset(seed: int) -> GroupSet:
    """2,000 items in 40 groups under 4 parents, two operations; ``seed`` shifts the items so every run
    really changes the file."""
    return GroupSet.from_dict({
        "format": "tsmsyncd.groupset/1",
        "root": "TSM Sync",
        "groups": [
            {"path": [f"Rule {g // 10}", f"Group {g}"],
             "items": [f"i:{300000 + seed * 10000 + g * 50 + i}" for i in range(50)],
             "operations": {"Shopping": ["TSM Sync Buy"]} if g % 2 else {"Auctioning": ["TSM Sync Post"]}}
            for g in range(40)
        ],
        "operations": {
            "Shopping": {"TSM Sync Buy": {"maxPrice": f"dbmarket * 0.{80 + seed}"}},
            "Auctioning": {"TSM Sync Post": {"minPrice": "dbmarket * 0.9", "postCap": "3"}},
        },
    })


def time_parse(data: bytes, runs: int) -> float:
    samples = []
    for _ in range(runs):
        sandbox = LuaSandbox()
        started = time.perf_counter()
        sandbox.load(data, "TradeSkillMaster.lua")
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def time_apply(data: bytes, runs: int, workdir: Path) -> tuple[float, dict[str, float]]:
    samples, laps = [], []
    for i in range(runs):
        live = workdir / f"run{i}" / "TradeSkillMaster.lua"
        live.parent.mkdir()
        with live.open("wb") as f:  # written and flushed, as the game's file is by the time the player quit
            f.write(data)
            os.fsync(f.fileno())
        merger = Merger(BackupStore(workdir / f"backups{i}"))
        started = time.perf_counter()
        outcome = merger.merge(live, groupset(i))
        samples.append(time.perf_counter() - started)
        assert outcome.status == "applied"
        time.sleep(0.5)  # let the merge's Lua states be freed in the background before the next run
        laps.append(outcome.timings)
        shutil.rmtree(live.parent)
    return statistics.median(samples), laps[len(laps) // 2]


def time_slpp(data: bytes) -> float:
    from slpp import slpp as lua  # only the benchmark uses slpp; it must never touch a player's file

    text = data.decode("utf-8", "surrogateescape")
    body = text.split("TradeSkillMasterDB = ", 1)[1].split("\nTSMItemInfoDB = ", 1)[0]
    started = time.perf_counter()
    table = lua.decode(body)
    lua.encode(table)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--groups", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-slpp", action="store_true")
    args = parser.parse_args()

    data = accounting_heavy(int(args.mb * 1_000_000), groups=args.groups)
    lines = data.count(b"\n")
    print(f"file: {len(data) / 1e6:.1f} MB, {lines:,} lines, {args.groups:,} player groups")
    parse = time_parse(data, args.runs)
    with tempfile.TemporaryDirectory(prefix="tsmsyncd-bench-") as tmp:
        apply, laps = time_apply(data, args.runs, Path(tmp))
    print(f"parse (one Lua 5.1 load): {parse:.3f} s")
    print(f"apply (whole merge):      {apply:.3f} s  = {apply / parse:.2f}x parse   (target <= 3x)")
    print("  apply steps: " + ", ".join(f"{k} {v:.3f}" for k, v in laps.items()))
    if not args.skip_slpp:
        slpp = time_slpp(data)
        print(f"slpp decode+encode:       {slpp:.3f} s  = {slpp / apply:.1f}x apply    (target >= 10x)")


if __name__ == "__main__":
    main()

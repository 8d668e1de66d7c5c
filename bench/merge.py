"""Benchmark: merge a GroupSet into a ~50 MB accounting-heavy TradeSkillMaster.lua.

Prints, measured in this run on the same file:
  * apply  — the whole merge: game check, read, Lua load, plan, splice, backup, write, fsync, verify;
  * parse  — one real Lua 5.1 load of the file (the floor any correct reader pays);
  * slpp   — decode + encode of the file's TradeSkillMasterDB table with slpp (what naive tools do).
  * process — the whole `tsmsyncd merge` command, from starting the process to its exit.
Targets (DESIGN.md, issue 11): apply <= 3x parse, process <= 3.5x parse, and slpp >= 10x apply. This
prints; it does not assert.

Usage: python bench/merge.py [--mb 50] [--groups 3000] [--runs 5] [--skip-slpp]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sv_factory import accounting_heavy  # noqa: E402

from tsmsyncd.store.backups import BackupStore  # noqa: E402
from tsmsyncd.sync.apply import Merger  # noqa: E402
from tsmsyncd.tsm.groupset import GroupSet  # noqa: E402
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


def time_parse(data: bytes) -> float:
    sandbox = LuaSandbox()
    started = time.perf_counter()
    sandbox.load(data, "TradeSkillMaster.lua")
    return time.perf_counter() - started


@dataclass
class Run:
    parse: float  # one Lua 5.1 load of the file, measured right next to this merge
    apply: float  # the merge, from the game check to the confirmed replace
    laps: dict[str, float]  # its steps
    compact: float  # compressing the hard-linked backup afterwards (the CLI does it after its report)

    @property
    def ratio(self) -> float:
        return self.apply / self.parse


def one_run(data: bytes, i: int, workdir: Path, store_root: Path) -> Run:
    """One merge of ``data`` and one parse beside it (their order alternates, so neither always runs on a
    warmer machine); backups go under ``store_root``: on the file's volume they are hard links,
    compressed afterwards; on another volume they are compressed during the merge."""
    live = workdir / f"run{i}" / "TradeSkillMaster.lua"
    live.parent.mkdir()
    with live.open("wb") as f:  # written and flushed, as the game's file is by the time the player quit
        f.write(data)
        os.fsync(f.fileno())
    store = BackupStore(store_root / f"backups{i}")
    parse = time_parse(data) if i % 2 else 0.0
    time.sleep(0.3)  # let that parse's Lua state go
    started = time.perf_counter()
    outcome = Merger(store).merge(live, groupset(i))
    apply = time.perf_counter() - started
    assert outcome.status == "applied"
    time.sleep(0.5)  # let the merge's Lua states be freed in the background (off its path) first
    started = time.perf_counter()
    store.compact(live)
    compact = time.perf_counter() - started
    parse = parse or time_parse(data)
    shutil.rmtree(live.parent)
    shutil.rmtree(store_root / f"backups{i}")
    return Run(parse, apply, outcome.timings, compact)


def one_process(data: bytes, i: int, workdir: Path) -> tuple[float, float]:
    """(the whole ``tsmsyncd merge`` process, from start to exit; one parse beside it)."""
    live = workdir / f"proc{i}" / "TradeSkillMaster.lua"
    live.parent.mkdir()
    with live.open("wb") as f:
        f.write(data)
        os.fsync(f.fileno())
    groups = live.parent / "groups.json"
    groups.write_text(json.dumps(groupset(i).to_dict()))
    script = Path(sys.executable).with_name("tsmsyncd")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tsmsyncd"]
    parse = time_parse(data) if i % 2 else 0.0
    time.sleep(0.3)
    started = time.perf_counter()
    subprocess.run([*command, "merge", str(live), "--groups", str(groups), "--backup-dir", str(live.parent / "b")],
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ, "TSMSYNCD_HOME": str(live.parent)})
    whole = time.perf_counter() - started
    parse = parse or time_parse(data)
    shutil.rmtree(live.parent)
    return whole, parse


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.ratio)[len(runs) // 2]


def other_volume(workdir: Path) -> Path | None:
    """A folder on another filesystem than ``workdir`` (RAM-backed /dev/shm), if this machine has one."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shm.stat().st_dev != workdir.stat().st_dev:
        return Path(tempfile.mkdtemp(prefix="tsmsyncd-bench-", dir=shm))
    return None


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
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-slpp", action="store_true")
    args = parser.parse_args()

    data = accounting_heavy(int(args.mb * 1_000_000), groups=args.groups)
    lines = data.count(b"\n")
    print(f"file: {len(data) / 1e6:.1f} MB, {lines:,} lines, {args.groups:,} player groups")
    with tempfile.TemporaryDirectory(prefix="tsmsyncd-bench-") as tmp:
        work = Path(tmp)
        elsewhere = other_volume(work)
        linked, copied = [], []
        for i in range(args.runs):
            linked.append(one_run(data, 2 * i, work, work))
            if elsewhere:
                copied.append(one_run(data, 2 * i + 1, work, elsewhere))
        processes = [one_process(data, i, work) for i in range(args.runs)]
        if elsewhere:
            shutil.rmtree(elsewhere)
    mid = median_run(linked)
    parse = statistics.median(r.parse for r in linked)
    apply = statistics.median(r.apply for r in linked)
    print(f"parse (one Lua 5.1 load): {parse:.3f} s   (median of {len(linked)}, each measured beside a merge)")
    print(f"apply (whole merge):      {apply:.3f} s  = {mid.ratio:.2f}x parse   (target <= 3x;"
          f" median of per-run ratios, all: {', '.join(f'{r.ratio:.2f}' for r in linked)})")
    print("  apply steps: " + ", ".join(f"{k} {v:.3f}" for k, v in mid.laps.items()))
    print(f"  then, after the report: the linked backup compressed in {mid.compact:.3f} s")
    ratios = sorted(w / p for w, p in processes)
    print(f"`tsmsyncd merge` process:  {statistics.median(w for w, _ in processes):.3f} s  = "
          f"{ratios[len(ratios) // 2]:.2f}x parse   (target <= 3.5x; start to exit, all: "
          f"{', '.join(f'{r:.2f}' for r in ratios)})")
    if copied:
        other = median_run(copied)
        print(f"apply with backups on another volume (compressed during the merge):"
              f" {statistics.median(r.apply for r in copied):.3f} s = {other.ratio:.2f}x parse")
    if not args.skip_slpp:
        slpp = time_slpp(data)
        print(f"slpp decode+encode:       {slpp:.3f} s  = {slpp / apply:.1f}x apply    (target >= 10x)")


if __name__ == "__main__":
    main()

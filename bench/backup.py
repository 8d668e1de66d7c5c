"""Benchmark: back up and restore a ~50 MB TradeSkillMaster.lua, against a plain file copy.

Prints, measured in this run on the same file:
  * copy    — shutil.copyfile + fsync (what a naive tool does, with no checksum and no compression);
  * backup  — BackupStore.create: sha256, zstd level 1, fsynced copy, manifest written atomically;
  * restore — Restorer.restore: read + checksum + Lua 5.1 check of the backup, a before-restore backup of
              the current file, atomic replace, read back + checksum + Lua check;
and the compressed size against the original. This prints; it does not assert.

Usage: python bench/backup.py [--mb 50] [--runs 3]
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

from tsmsyncd.store.backups import BackupStore  # noqa: E402
from tsmsyncd.sync.restore import Restorer  # noqa: E402


def no_games(path: Path) -> list:
    return []


def plain_copy(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    with open(dst, "rb") as f:
        os.fsync(f.fileno())


def timed(fn, runs: int) -> float:
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = accounting_heavy(int(args.mb * 1_000_000))
    with tempfile.TemporaryDirectory(prefix="tsmsyncd-bench-") as tmp:
        work = Path(tmp)
        live = work / "wow" / "TradeSkillMaster.lua"
        live.parent.mkdir()
        live.write_bytes(data)
        store = BackupStore(work / "backups")
        copy = timed(lambda i: plain_copy(live, work / f"copy{i}.lua"), args.runs)
        made = []
        backup = timed(lambda i: made.append(store.create(live, live.read_bytes(), "manual")), args.runs)
        target = made[0]
        live.write_bytes(data + b"-- changed\r\n")  # so every restore really writes

        def restore(i: int) -> None:
            Restorer(store, games=no_games).restore(live, target.id)
            live.write_bytes(data + b"-- changed again\r\n")

        restored = timed(restore, args.runs)
        size = (store.folder_for(live) / target.file).stat().st_size
    print(f"file: {len(data) / 1e6:.1f} MB")
    print(f"plain copy + fsync:  {copy:.3f} s")
    print(f"backup:              {backup:.3f} s  = {backup / copy:.2f}x copy")
    print(f"restore (verified):  {restored:.3f} s  = {restored / copy:.2f}x copy")
    print(f"backup + restore:    {backup + restored:.3f} s  = {(backup + restored) / copy:.2f}x copy")
    print(f"compressed size:     {size / 1e6:.1f} MB  = {size / len(data):.1%} of the original (copy: 100%)")


if __name__ == "__main__":
    main()

"""Kill a merge at random moments: the file is always exactly the old bytes or exactly the new bytes."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sv_factory import accounting_heavy

from tsmsyncd.tsm.savedvars import parse_savedvars

KILLS = 36


def test_a_killed_merge_leaves_old_or_new_bytes_never_a_mix(tmp_path: Path) -> None:
    original = accounting_heavy(6_000_000, groups=600)
    groups = {
        "format": "tsmsyncd.groupset/1",
        "root": "TSM Sync",
        "groups": [{"path": ["Bulk", str(g)], "items": [f"i:{200000 + g * 50 + i}" for i in range(50)],
                    "operations": {}} for g in range(40)],
        "operations": {},
    }
    groups_file = tmp_path / "groups.json"
    groups_file.write_text(json.dumps(groups))
    live = tmp_path / "wow" / "TradeSkillMaster.lua"
    live.parent.mkdir()

    def start() -> subprocess.Popen:
        live.write_bytes(original)
        return subprocess.Popen(
            [sys.executable, "-m", "tsmsyncd", "merge", str(live), "--groups", str(groups_file),
             "--backup-dir", str(tmp_path / "backups")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    began = time.monotonic()
    assert start().wait(timeout=120) == 0
    full_run = time.monotonic() - began
    merged = live.read_bytes()
    assert merged != original

    rng = random.Random(20261125)
    seen = {"old": 0, "new": 0}
    # Spread the kills over the whole run (and a little past it), with jitter. On a loaded machine a run
    # takes longer than the first one did, so if no kill came late enough to find the new bytes, more
    # kills follow at growing delays (each still asserts old-or-new).
    delays = [(i + rng.random()) / KILLS * full_run * 1.15 for i in range(KILLS)]
    delays += [full_run * (1.5 + k) for k in range(8)]
    for i, delay in enumerate(delays):
        if i >= KILLS and seen["new"]:
            break
        proc = start()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        now = live.read_bytes()
        assert now in (original, merged), f"kill after {delay:.3f}s left a file that is neither old nor new"
        seen["old" if now == original else "new"] += 1
        parse_savedvars(now, live.name)  # and it loads
        for leftover in live.parent.glob("*.tsmsyncd-tmp"):  # a kill can leave our temp file beside it
            os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    assert seen["old"] and seen["new"], seen
    # The next merge clears what killed ones left behind.
    assert start().wait(timeout=120) == 0
    assert sorted(p.name for p in live.parent.iterdir()) == [live.name, "TradeSkillMaster.tsmsyncd.json"]
    # ... and killed merges leave no backup file the manifest does not list (issue 10, class 3).
    (folder,) = [f for f in (tmp_path / "backups").iterdir() if not f.name.startswith(".")]
    listed = {entry["file"] for entry in json.loads((folder / "manifest.json").read_bytes())}
    present = {p.name for p in folder.iterdir()} - {"manifest.json", "roots.json"}
    assert present <= listed, sorted(present - listed)
    assert all((folder / name).exists() for name in listed)
    shutil.rmtree(tmp_path / "backups", ignore_errors=True)

"""``tsmsyncd demo --once``: the whole product with no credentials and no game (CI runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_once_refreshes_goes_pending_applies_and_backs_up(tmp_path: Path) -> None:
    env = {**os.environ, "TSMSYNCD_HOME": str(tmp_path)}
    env.pop("TSMSYNCD_WOW_ROOTS", None)
    done = subprocess.run([sys.executable, "-m", "tsmsyncd", "demo", "--once"], env=env, capture_output=True,
                          text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "refresh (us): 4 auction houses — 4 updated" in out and "new groups for " in out
    assert "DEMOACCOUNT1 · Default (retail): pending — World of Warcraft is running" in out
    assert "DEMOACCOUNT1 · Default (retail): applied (+" in out
    assert "fake game started: Wow.exe is running in the retail install" in out
    assert "3 target(s) pending while the game runs" in out
    assert "4 target(s) applied" in out
    assert out.count("backup of ") == 3 and "newest 2" in out  # a backup id, not "none"
    assert "demo cycle done" in out
    # It kept to its own data folder: the player's (TSMSYNCD_HOME itself) holds only the demo's.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    assert not (tmp_path / "demo" / "daemon.json").exists()  # it stopped cleanly

"""The outcome and the exit code always agree (issue 10, class 2): a merge that wrote the file exits 0 even
when the console cannot show what it prints (a cp1252 redirect on Windows), and a reader that stops early
(``| head``) never turns finished work into "internal error"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sv_factory import render, tsm_db

GROUPSET = {"format": "tsmsyncd.groupset/1", "root": "TSM Sync",
            "groups": [{"path": ["Flips"], "items": ["i:2447", "i:765"]}]}


def tsmsyncd(*args: object, env: dict[str, str], stdout: int = subprocess.PIPE) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tsmsyncd", *map(str, args)], stdout=stdout,
                            stderr=subprocess.PIPE, env={**os.environ, **env})


def test_a_merge_printed_to_a_cp1252_console_still_exits_0(tmp_path: Path) -> None:
    """The player keeps i:765 in a group with a Chinese name; the report names it, cp1252 cannot."""
    sv = tmp_path / "TradeSkillMaster.lua"
    sv.write_bytes(render(tsm_db(player_groups=("草药",), player_items={"i:765": "草药"})))
    before = sv.read_bytes()
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps(GROUPSET))
    proc = tsmsyncd("merge", sv, "--groups", groups, env={"PYTHONIOENCODING": "cp1252",
                                                           "TSMSYNCD_HOME": str(tmp_path / "home")})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode("cp1252", "replace")
    assert sv.read_bytes() != before
    assert b"skipped i:765: you keep it in your group '??'" in out
    assert err == b""


def test_a_reader_that_stops_early_is_not_an_internal_error(tmp_path: Path) -> None:
    items = [f"i:{n}" for n in range(1, 20001)]
    doc = {**GROUPSET, "groups": [{"path": [f"G{g}"], "items": items[g * 4000:(g + 1) * 4000]} for g in range(5)]}
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps(doc))
    for _ in range(3):  # 160 kB: more than a pipe holds, so the writer meets the closed end
        head = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        proc = tsmsyncd("export-string", groups, "--format", "list", env={}, stdout=head.stdin)  # type: ignore[arg-type]
        assert head.stdin is not None
        head.stdin.close()
        _, err = proc.communicate(timeout=60)
        head.wait(timeout=10)
        assert proc.returncode == 0, err
        assert b"internal error" not in err and b"Traceback" not in err

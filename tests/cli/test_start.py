"""A fast CLI (issue 11): building the parser imports only the module of the command being run, and
``merge`` / ``export-string`` never import pandas, numpy or aiohttp. (How fast is bench/cli_start.py's
business; this checks what is imported, which does not depend on the machine's speed.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sv_factory import render, tsm_db

HEAVY = ("pandas", "numpy", "aiohttp", "lupa", "sqlite3", "zstandard", "psutil", "cryptography")


SCRIPT = """
import json, sys
from tsmsyncd.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
open(sys.argv[1], "w").write(json.dumps(sorted(sys.modules)))
"""


def imported(*args: str, home: Path) -> set[str]:
    """The modules a real ``tsmsyncd`` process has loaded after running ``args``."""
    out = home.parent / "modules.json"
    subprocess.run([sys.executable, "-c", SCRIPT, str(out), *args], capture_output=True, timeout=60,
                   env={**os.environ, "TSMSYNCD_HOME": str(home)}, check=True)
    return set(json.loads(out.read_text()))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["merge", "--help"], ["export-string", "--help"],
                                  ["groups", "--help"], ["refresh", "--help"], ["update", "--help"]])
def test_starting_a_command_imports_nothing_heavy_and_no_other_command(args: list[str], tmp_path: Path) -> None:
    modules = imported(*args, home=tmp_path)
    assert "tsmsyncd.cli" in modules
    assert not {m for m in modules if m.split(".")[0] in HEAVY}
    loaded = {m for m in modules if m.startswith("tsmsyncd.cli.")} - {"tsmsyncd.cli.commands", "tsmsyncd.cli.output",
                                                                      "tsmsyncd.cli.args"}
    expected = {"merge": {"tsmsyncd.cli.merge"}, "export-string": {"tsmsyncd.cli.merge"},
                "groups": {"tsmsyncd.cli.groups"}, "refresh": {"tsmsyncd.cli.market"},
                "update": {"tsmsyncd.cli.update"}}.get(args[0], set())
    assert loaded == expected


def test_a_real_merge_and_export_never_import_pandas_numpy_or_aiohttp(tmp_path: Path) -> None:
    sv = tmp_path / "TradeSkillMaster.lua"
    sv.write_bytes(render(tsm_db()))
    groups = tmp_path / "groups.json"
    groups.write_text(json.dumps({"format": "tsmsyncd.groupset/1", "root": "TSM Sync",
                                  "groups": [{"path": ["Flips"], "items": ["i:2447"]}]}))
    for args in (["merge", str(sv), "--groups", str(groups)], ["export-string", str(groups)]):
        modules = imported(*args, home=tmp_path / "home")
        assert "tsmsyncd.tsm.groupset" in modules
        assert not {m for m in modules if m.split(".")[0] in ("pandas", "numpy", "aiohttp")}

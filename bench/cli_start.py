"""How fast the `tsmsyncd` command starts, against a bare interpreter start measured in the same run.

Prints the median (and best) wall time of `python -c pass`, `tsmsyncd --version`, `tsmsyncd --help` and
`tsmsyncd merge --help` over alternating runs, the ratios (target ≤ 2x), and the modules a real `merge`
imports (it must never import pandas, numpy or aiohttp).

    python bench/cli_start.py [--runs 40]
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sv_factory import render, tsm_db  # noqa: E402

HEAVY = ("pandas", "numpy", "aiohttp")


def command() -> list[str]:
    script = Path(sys.executable).with_name("tsmsyncd")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tsmsyncd"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - started


def merge_imports(env: dict[str, str]) -> list[str]:
    """Every module a real merge of a small file has loaded when it is done (``sys.modules``)."""
    with tempfile.TemporaryDirectory(prefix="tsmsyncd-bench-") as tmp:
        sv = Path(tmp) / "TradeSkillMaster.lua"
        sv.write_bytes(render(tsm_db()))
        groups = Path(tmp) / "groups.json"
        groups.write_text(json.dumps({"format": "tsmsyncd.groupset/1", "root": "TSM Sync",
                                      "groups": [{"path": ["Flips"], "items": ["i:2447"]}]}))
        out = Path(tmp) / "modules.json"
        script = ("import json, sys\nfrom tsmsyncd.cli import main\nmain(sys.argv[2:])\n"
                  "open(sys.argv[1], 'w').write(json.dumps(sorted(sys.modules)))\n")
        subprocess.run([sys.executable, "-c", script, str(out), "merge", str(sv), "--groups", str(groups),
                        "--backup-dir", str(Path(tmp) / "backups")], capture_output=True, text=True,
                       env={**env, "TSMSYNCD_HOME": tmp}, check=True)
        return list(json.loads(out.read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    env = {**os.environ, "TSMSYNCD_HOME": tempfile.mkdtemp(prefix="tsmsyncd-bench-home-")}
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "tsmsyncd --version": [*command(), "--version"],
        "tsmsyncd --help": [*command(), "--help"],
        "tsmsyncd merge --help": [*command(), "merge", "--help"],
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(3):  # warm the page cache
        for argv in cases.values():
            timed(argv, env)
    for _ in range(args.runs):  # alternate, so drift in the machine's speed hits every case alike
        for name, argv in cases.items():
            samples[name].append(timed(argv, env))
    base = statistics.median(samples["python -c pass"])
    print(f"start-up over {args.runs} alternating runs (median / best), {command()[0]}")
    for name, times in samples.items():
        ratio = statistics.median(times) / base
        mark = "" if name == "python -c pass" else f"   {ratio:.2f}x  {'ok' if ratio <= 2 else 'OVER 2x'}"
        print(f"  {name:<24} {statistics.median(times) * 1000:6.1f} ms / {min(times) * 1000:5.1f} ms{mark}")
    modules = merge_imports(env)
    ours = sorted({m for m in modules if m.startswith("tsmsyncd")})
    heavy = sorted({m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY})
    third = sorted({m.split(".")[0] for m in modules} - set(sys.stdlib_module_names) - {"tsmsyncd", "_distutils_hack"}
                   - {m for m in (m.split(".")[0] for m in modules) if m.startswith("_")})
    print(f"`tsmsyncd merge` imports {len(modules)} modules; heavy ones: {', '.join(heavy) or 'none'}")
    print(f"  third-party: {', '.join(third)}")
    print(f"  tsmsyncd: {', '.join(m.removeprefix('tsmsyncd.') for m in ours)}")
    shutil.rmtree(env["TSMSYNCD_HOME"], ignore_errors=True)


if __name__ == "__main__":
    main()

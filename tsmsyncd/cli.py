"""The ``tsmsyncd`` command: a thin layer that parses arguments, calls one service and prints.

Exit codes are a contract (DESIGN.md): 0 done (or nothing to do), 1 refused or failed with the player's
file untouched, 3 a game client is running (file untouched), 2 bad command-line usage (argparse).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from tsmsyncd import __version__
from tsmsyncd.config import data_dir
from tsmsyncd.errors import TsmSyncError
from tsmsyncd.groups.groupset import GroupSet
from tsmsyncd.sync.apply import MergeOutcome, Merger
from tsmsyncd.sync.backups import BackupStore, default_backup_root

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tsmsyncd",
        description="Keeps TradeSkillMaster groups in sync with the auction house, safely.",
    )
    parser.add_argument("--version", action="version", version=f"tsmsyncd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    merge = commands.add_parser(
        "merge",
        help="merge a GroupSet into a TradeSkillMaster.lua",
        description="Merge a GroupSet into a TradeSkillMaster.lua while the game is closed: backup first, "
        "atomic replace, verify with Lua 5.1 after. Example: tsmsyncd merge "
        "'WTF/Account/NAME/SavedVariables/TradeSkillMaster.lua' --groups groups.json --dry-run",
    )
    merge.add_argument("savedvars", type=Path, metavar="SAVEDVARS", help="path to TradeSkillMaster.lua")
    merge.add_argument("--groups", type=Path, required=True, metavar="GROUPSET.json", help="the GroupSet to merge")
    merge.add_argument("--profile", action="append", default=[], metavar="NAME",
                       help="TSM profile to merge into (repeatable; default: the profiles your characters use)")
    merge.add_argument("--backup-dir", type=Path, metavar="DIR", help="where backups go (default: the app's data dir)")
    merge.add_argument("--dry-run", action="store_true", help="plan and report, write nothing")
    merge.add_argument("--json", action="store_true", help="print the plan and result as JSON")
    merge.set_defaults(run=run_merge)
    return parser


def run_merge(args: argparse.Namespace) -> int:
    groupset = GroupSet.load(args.groups)
    store = BackupStore(args.backup_dir or default_backup_root(data_dir()))
    outcome = Merger(store).merge(args.savedvars, groupset, args.profile, dry_run=args.dry_run)
    if args.json:
        print(json.dumps(outcome_json(outcome), indent=2, ensure_ascii=False))
    else:
        print(outcome_text(outcome, store))
    return 0


def outcome_json(outcome: MergeOutcome) -> dict:
    report = outcome.plan.report
    return {
        "status": outcome.status,
        "file": str(outcome.path),
        "profiles": list(outcome.profiles),
        "changed_keys": sorted(outcome.plan.changes),
        "report": asdict(report) if report else None,
        "backup": asdict(outcome.backup) if outcome.backup else None,
        "timings": {k: round(v, 4) for k, v in outcome.timings.items()},
    }


def outcome_text(outcome: MergeOutcome, store: BackupStore) -> str:
    report = outcome.plan.report
    assert report is not None
    head = {
        "applied": f"Merged '{report.root}' into {outcome.path}",
        "unchanged": f"Nothing to do: {outcome.path} already holds this GroupSet",
        "dry-run": f"Dry run: this is what merging '{report.root}' into {outcome.path} would change",
    }[outcome.status]
    lines = [head]
    for p in report.profiles:
        lines.append(
            f"  profile {p.profile}: groups +{len(p.groups_added)} -{len(p.groups_removed)} "
            f"={len(p.groups_kept)}; items +{len(p.items_added)} moved {len(p.items_moved)} "
            f"-{len(p.items_removed)}, {len(p.items_skipped)} skipped"
        )
        for item, group in p.items_skipped[:10]:
            lines.append(f"    skipped {item}: you keep it in your group '{group}'")
        if len(p.items_skipped) > 10:
            lines.append(f"    … and {len(p.items_skipped) - 10} more skipped")
    lines.append(
        f"  operations ({report.operations_scope}): {len(report.operations_created)} created, "
        f"{len(report.operations_updated)} updated"
    )
    if outcome.backup:
        lines.append(f"  backup: {outcome.backup.id} ({store.folder_for(outcome.path) / outcome.backup.file})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except TsmSyncError as exc:
        return _fail(args, str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail(args, "interrupted; the file is either untouched or fully written", 1)
    except Exception as exc:  # a bug: still one line, still exit 1; the write path is atomic
        if os.environ.get("TSMSYNCD_DEBUG"):
            raise
        return _fail(args, f"internal error ({type(exc).__name__}: {exc}); set TSMSYNCD_DEBUG=1 for details", 1)


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    message = " ".join(message.split())  # always one line
    if getattr(args, "json", False):
        print(json.dumps({"status": "error", "error": message, "exit_code": code}, ensure_ascii=False))
    print(f"tsmsyncd: {message}", file=sys.stderr)
    return code

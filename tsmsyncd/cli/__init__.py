"""The ``tsmsyncd`` command: a thin layer that parses arguments, calls one service and prints.

Exit codes are a contract (DESIGN.md): 0 done (or nothing to do), 1 refused or failed with the player's
file untouched, 3 a game client is running (file untouched), 2 bad command-line usage (argparse).
Commands: ``merge``, ``export-string``, ``backups list|create|restore|pin|unpin|prune`` here; ``realms list``,
``refresh --once`` and ``market show`` in ``cli/market.py``; ``groups ...`` in ``cli/groups.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from tsmsyncd import __version__
from tsmsyncd.cli.args import FLAVOR_HELP, flavor
from tsmsyncd.cli.autostart import add_autostart_commands
from tsmsyncd.cli.groups import add_group_commands
from tsmsyncd.cli.installs import add_installs_commands
from tsmsyncd.cli.market import add_market_commands
from tsmsyncd.cli.output import prepare_streams, say
from tsmsyncd.config import data_dir
from tsmsyncd.errors import TsmSyncError
from tsmsyncd.groups.groupset import GroupSet
from tsmsyncd.sync.apply import MergeOutcome, Merger
from tsmsyncd.sync.backups import Backup, BackupStore, default_backup_root
from tsmsyncd.sync.playerfile import PlayerFile
from tsmsyncd.sync.restore import Restorer
from tsmsyncd.tsm.importstring import list_string, tsm_string
from tsmsyncd.wow.flavor import Flavor

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
    merge.add_argument("--adopt-root", action="store_true",
                       help="let tsmsyncd take over the GroupSet's root group although it did not create it: "
                       "the groups and items under it are replaced (the report lists them)")
    merge.add_argument("--json", action="store_true", help="print the plan and result as JSON")
    merge.set_defaults(run=run_merge)
    export = commands.add_parser(
        "export-string",
        help="print a TSM import string for a GroupSet (paste it into TSM's importer)",
        description="Print a string to paste into TSM's own importer (TSM > Groups > Import), for players who "
        "would rather not let any program write their SavedVariables. Example: tsmsyncd export-string groups.json",
    )
    export.add_argument("groupset", type=Path, metavar="GROUPSET.json", help="the GroupSet to export")
    export.add_argument("--format", choices=("tsm", "list"), default="tsm",
                        help="tsm: TSM4's export format with operations (default); list: groups and items only")
    export.add_argument("--flavor", type=flavor, default=Flavor.RETAIL, metavar="FLAVOR",
                        help=f"which client the operations are for: {FLAVOR_HELP} (default: retail)")
    export.set_defaults(run=run_export_string)
    add_backup_commands(commands)
    add_market_commands(commands)
    add_group_commands(commands)
    add_installs_commands(commands)
    add_autostart_commands(commands)
    return parser


def run_export_string(args: argparse.Namespace) -> int:
    groupset = GroupSet.load(args.groupset)
    say(tsm_string(groupset, args.flavor) if args.format == "tsm" else list_string(groupset))
    return 0


def add_backup_commands(commands: argparse._SubParsersAction) -> None:
    backups = commands.add_parser("backups", help="list, create, restore, pin and prune backups of a file",
                                  description="Backups of one SavedVariables file, kept by tsmsyncd.")
    actions = backups.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str, run: object, backup_id: bool = False) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("savedvars", type=Path, metavar="SAVEDVARS", help="path to the SavedVariables file")
        if backup_id:
            sub.add_argument("backup_id", metavar="BACKUP_ID", help="a backup id, as `backups list` shows it")
        sub.add_argument("--backup-dir", type=Path, metavar="DIR", help="where backups live (default: the app's)")
        sub.add_argument("--json", action="store_true", help="print the result as JSON")
        sub.set_defaults(run=run)
        return sub

    action("list", "list the backups of a file, oldest first", run_backups_list)
    action("create", "take a backup now", run_backups_create).add_argument(
        "--note", metavar="TEXT", help="a note to remember it by")
    action("restore", "put a backup back (the current file is backed up first)", run_backups_restore, True)
    action("pin", "keep a backup forever", run_backups_pin, True)
    action("unpin", "let the retention policy remove a backup again", run_backups_pin, True)
    action("prune", "remove what the retention policy lets go", run_backups_prune).add_argument(
        "--dry-run", action="store_true", help="show what would be removed")


def _store(args: argparse.Namespace) -> BackupStore:
    return BackupStore(args.backup_dir or default_backup_root(data_dir()))


def _print(args: argparse.Namespace, payload: object, text: str, store: BackupStore | None = None) -> None:
    say(json.dumps(payload, indent=2, ensure_ascii=False) if args.json else text)
    for notice in store.notices if store else ():
        say(f"tsmsyncd: note: {notice}", err=True)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.1f} KB"


def _line(b: Backup, missing: bool = False) -> str:
    flags = (" pinned" if b.pinned else "") + ("  MISSING: its file is gone" if missing else "")
    note = f"  {b.note}" if b.note else ""
    return f"  {b.id}  {b.created[:19].replace('T', ' ')}  {b.reason:<14} {_size(b.size):>9}{flags}{note}"


def run_backups_list(args: argparse.Namespace) -> int:
    store = _store(args)
    found = store.backups_of(args.savedvars)
    missing = {b.id for b in found if not store.exists(args.savedvars, b)}
    text = "\n".join([f"{len(found)} backup(s) of {args.savedvars} in {store.folder_for(args.savedvars)}",
                      *(_line(b, b.id in missing) for b in found)])
    _print(args, [{**asdict(b), "missing": b.id in missing} for b in found], text, store)
    return 0


def run_backups_create(args: argparse.Namespace) -> int:
    store = _store(args)
    data = PlayerFile.read(args.savedvars).data
    made = store.create(args.savedvars, data, "manual", note=args.note)
    _print(args, asdict(made), f"Backed up {args.savedvars}\n{_line(made)}", store)
    return 0


def run_backups_restore(args: argparse.Namespace) -> int:
    store = _store(args)
    outcome = Restorer(store).restore(args.savedvars, args.backup_id)
    if outcome.status == "unchanged":
        text = f"Nothing to do: {args.savedvars} already holds backup {outcome.restored.id}"
    else:
        undo = f"; to undo: {shell_command('backups', 'restore', args.savedvars, outcome.undo.id)}" \
            if outcome.undo else ""
        text = f"Restored {outcome.restored.id} to {args.savedvars}{undo}"
    payload = {"status": outcome.status, "restored": asdict(outcome.restored),
               "undo": asdict(outcome.undo) if outcome.undo else None}
    _print(args, payload, text, store)
    return 0


def run_backups_pin(args: argparse.Namespace) -> int:
    pinned = args.action == "pin"
    backup = _store(args).set_pinned(args.savedvars, args.backup_id, pinned)
    _print(args, asdict(backup), f"{'Pinned' if pinned else 'Unpinned'} {backup.id}")
    return 0


def run_backups_prune(args: argparse.Namespace) -> int:
    gone = _store(args).prune(args.savedvars, dry_run=args.dry_run)
    verb = "Would remove" if args.dry_run else "Removed"
    text = "\n".join([f"{verb} {len(gone)} backup(s)", *(_line(b) for b in gone)])
    _print(args, {"dry_run": args.dry_run, "removed": [asdict(b) for b in gone]}, text)
    return 0


def run_merge(args: argparse.Namespace) -> int:
    groupset = GroupSet.load(args.groups)
    store = BackupStore(args.backup_dir or default_backup_root(data_dir()))
    outcome = Merger(store).merge(args.savedvars, groupset, args.profile, dry_run=args.dry_run,
                                  adopt_root=args.adopt_root)
    if args.json:
        say(json.dumps(outcome_json(outcome), indent=2, ensure_ascii=False))
    else:
        say(outcome_text(outcome, store))
    for notice in store.notices:
        say(f"tsmsyncd: note: {notice}", err=True)
    if outcome.backup is not None:
        # Older merge backups are compressed now; this one stays where the report says it is.
        store.compact(args.savedvars, keep_newest=1)
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
        if p.root == "adopted":
            lines.append(f"    adopted '{report.root}': its {len(p.groups_removed) + len(p.groups_kept)} group(s) "
                         f"and their items were yours and are now tsmsyncd's (replaced as listed above)")
        for item, group in p.items_skipped[:10]:
            lines.append(f"    skipped {item}: you keep it in your group '{group}'")
        if len(p.items_skipped) > 10:
            lines.append(f"    … and {len(p.items_skipped) - 10} more skipped")
    lines.append(
        f"  operations ({report.operations_scope}): {len(report.operations_created)} created, "
        f"{len(report.operations_updated)} updated"
    )
    if outcome.backup:
        lines.append(f"  backup: {outcome.backup.id} ({store.path_of(outcome.path, outcome.backup)})")
    return "\n".join(lines)


def shell_command(*args: object) -> str:
    """A ``tsmsyncd`` command line a player can paste into their shell as it is."""
    words = ["tsmsyncd", *(str(a) for a in args)]
    return subprocess.list2cmdline(words) if os.name == "nt" else shlex.join(words)


def main(argv: Sequence[str] | None = None) -> int:
    prepare_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except BrokenPipeError:  # `tsmsyncd --help | head -1`
        return 0
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
        say(json.dumps({"status": "error", "error": message, "exit_code": code}, ensure_ascii=False))
    say(f"tsmsyncd: {message}", err=True)
    return code

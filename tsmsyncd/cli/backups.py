"""``tsmsyncd backups list|create|restore|pin|unpin|prune|compact``: the backups of one SavedVariables file."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tsmsyncd.cli.commands import help_of
from tsmsyncd.cli.output import say, say_json

TYPE_CHECKING = False  # typing is imported only when a type checker runs: start-up stays fast
if TYPE_CHECKING:
    from tsmsyncd.app import Services
    from tsmsyncd.store.backups import Backup

__all__ = ["add_commands", "shell_command"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backups = commands.add_parser("backups", help=help_of("backups"),
                                  description="Backups of one SavedVariables file, kept by tsmsyncd.")
    actions = backups.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str, backup_id: bool = False) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("savedvars", type=Path, metavar="SAVEDVARS", help="path to the SavedVariables file")
        if backup_id:
            sub.add_argument("backup_id", metavar="BACKUP_ID", help="a backup id, as `backups list` shows it")
        sub.add_argument("--backup-dir", type=Path, metavar="DIR", help="where backups live (default: the app's)")
        sub.add_argument("--json", action="store_true", help="print the result as JSON")
        sub.set_defaults(run=run_backups)
        return sub

    action("list", "list the backups of a file, oldest first")
    action("create", "take a backup now").add_argument("--note", metavar="TEXT", help="a note to remember it by")
    action("restore", "put a backup back (the current file is backed up first)", True)
    action("pin", "keep a backup forever", True)
    action("unpin", "let the retention policy remove a backup again", True)
    action("prune", "remove what the retention policy lets go").add_argument(
        "--dry-run", action="store_true", help="show what would be removed")
    action("compact", "compress the backups still kept uncompressed (merges do this by themselves)").add_argument(
        "--keep-newest", type=int, default=0, metavar="N", help="leave the newest N uncompressed")


def run_backups(args: argparse.Namespace) -> int:
    from tsmsyncd.cli.runtime import run_plain

    def work(services: Services) -> int:
        payload, text = _ACTIONS[args.action](services, args)
        if args.json:
            say_json(payload)
        else:
            say(text)
        return 0

    return run_plain(work, backup_dir=args.backup_dir)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.1f} KB"


def _line(b: Backup, missing: bool = False) -> str:
    flags = (" pinned" if b.pinned else "") + ("  MISSING: its file is gone" if missing else "")
    note = f"  {b.note}" if b.note else ""
    return f"  {b.id}  {b.created[:19].replace('T', ' ')}  {b.reason:<14} {_size(b.size):>9}{flags}{note}"


def _list(s: Services, args: argparse.Namespace) -> tuple[object, str]:
    found = s.backups.backups_of(args.savedvars)
    missing = {b.id for b in found if not s.backups.exists(args.savedvars, b)}
    text = "\n".join([f"{len(found)} backup(s) of {args.savedvars} in {s.backups.folder_for(args.savedvars)}",
                      *(_line(b, b.id in missing) for b in found)])
    return [{**b.as_json(), "missing": b.id in missing} for b in found], text


def _create(s: Services, args: argparse.Namespace) -> tuple[object, str]:
    from tsmsyncd.store.playerfile import PlayerFile

    made = s.backups.create(args.savedvars, PlayerFile.read(args.savedvars).data, "manual", note=args.note)
    return made.as_json(), f"Backed up {args.savedvars}\n{_line(made)}"


def _restore(s: Services, args: argparse.Namespace) -> tuple[object, str]:
    outcome = s.restorer.restore(args.savedvars, args.backup_id)
    if outcome.status == "unchanged":
        text = f"Nothing to do: {args.savedvars} already holds backup {outcome.restored.id}"
    else:
        undo = shell_command("backups", "restore", args.savedvars, outcome.undo.id) if outcome.undo else None
        text = f"Restored {outcome.restored.id} to {args.savedvars}" + (f"; to undo: {undo}" if undo else "")
    return outcome.as_json(), text


def _pin(s: Services, args: argparse.Namespace) -> tuple[object, str]:
    pinned = args.action == "pin"
    backup = s.backups.set_pinned(args.savedvars, args.backup_id, pinned)
    return backup.as_json(), f"{'Pinned' if pinned else 'Unpinned'} {backup.id}"


def _prune(s: Services, args: argparse.Namespace) -> tuple[object, str]:
    gone = s.backups.prune(args.savedvars, dry_run=args.dry_run)
    verb = "Would remove" if args.dry_run else "Removed"
    text = "\n".join([f"{verb} {len(gone)} backup(s)", *(_line(b) for b in gone)])
    return {"dry_run": args.dry_run, "removed": [b.as_json() for b in gone]}, text


def _compact(s: Services, args: argparse.Namespace) -> tuple[object, str]:
    done = s.backups.compact(args.savedvars, keep_newest=max(args.keep_newest, 0))
    return {"compacted": done}, f"Compressed {done} backup(s)"


_ACTIONS = {"list": _list, "create": _create, "restore": _restore, "pin": _pin, "unpin": _pin, "prune": _prune,
            "compact": _compact}


def shell_command(*args: object) -> str:
    """A ``tsmsyncd`` command line a player can paste into their shell as it is."""
    import shlex
    import subprocess

    words = ["tsmsyncd", *(str(a) for a in args)]
    return subprocess.list2cmdline(words) if os.name == "nt" else shlex.join(words)

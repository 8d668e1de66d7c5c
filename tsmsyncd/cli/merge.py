"""``tsmsyncd merge`` and ``tsmsyncd export-string``: a GroupSet into a TradeSkillMaster.lua, or into a
string to paste into TSM's importer. Neither imports pandas, numpy or aiohttp."""

from __future__ import annotations

import argparse
from pathlib import Path

from tsmsyncd.cli.args import FLAVOR_HELP, flavor
from tsmsyncd.cli.commands import help_of
from tsmsyncd.cli.output import say, say_json

TYPE_CHECKING = False  # typing is imported only when a type checker runs: start-up stays fast
if TYPE_CHECKING:
    from tsmsyncd.app import Services
    from tsmsyncd.store.backups import BackupStore
    from tsmsyncd.sync.apply import MergeOutcome

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    merge = commands.add_parser(
        "merge",
        help=help_of("merge"),
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
        help=help_of("export-string"),
        description="Print a string to paste into TSM's own importer (TSM > Groups > Import), for players who "
        "would rather not let any program write their SavedVariables. Example: tsmsyncd export-string groups.json",
    )
    export.add_argument("groupset", type=Path, metavar="GROUPSET.json", help="the GroupSet to export")
    export.add_argument("--format", choices=("tsm", "list"), default="tsm",
                        help="tsm: TSM4's export format with operations (default); list: groups and items only")
    export.add_argument("--flavor", type=flavor, default="retail", metavar="FLAVOR",
                        help=f"which client the operations are for: {FLAVOR_HELP} (default: retail)")
    export.set_defaults(run=run_export_string)


def run_export_string(args: argparse.Namespace) -> int:
    from tsmsyncd.tsm.groupset import GroupSet
    from tsmsyncd.tsm.importstring import list_string, tsm_string

    groupset = GroupSet.load(args.groupset)
    say(tsm_string(groupset, args.flavor) if args.format == "tsm" else list_string(groupset))
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from tsmsyncd.cli.runtime import run_plain
    from tsmsyncd.tsm.groupset import GroupSet

    groupset = GroupSet.load(args.groups)

    def work(services: Services) -> int:
        outcome = services.merger.merge(args.savedvars, groupset, args.profile, dry_run=args.dry_run,
                                        adopt_root=args.adopt_root)
        if args.json:
            say_json(outcome.as_json())
        else:
            say(outcome_text(outcome, services.backups))
        return 0

    return run_plain(work, backup_dir=args.backup_dir)


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

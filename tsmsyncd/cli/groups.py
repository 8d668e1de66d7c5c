"""``tsmsyncd groups preview|generate|diff`` and ``tsmsyncd groups rules list|show|add|remove|enable|disable``.

Everything runs on stored market data (``tsmsyncd refresh`` fills it); nothing here talks to Blizzard.
pandas and the database are imported only when one of these commands runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tsmsyncd.cli.args import output_path, realm_id
from tsmsyncd.cli.commands import help_of
from tsmsyncd.cli.output import say, say_json
from tsmsyncd.errors import InputError

TYPE_CHECKING = False  # typing, datetime and the rest are imported when a command runs: start-up stays fast
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime
    from typing import TypeVar

    from tsmsyncd.app import Services
    from tsmsyncd.groups.generate import Generated
    from tsmsyncd.market.sources import RealmKey
    from tsmsyncd.sync.groups import GroupService

__all__ = ["add_commands"]

if TYPE_CHECKING:
    T = TypeVar("T")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    groups = commands.add_parser("groups", help=help_of("groups"),
                                 description="Groups made from your rules and the stored market data.")
    actions = groups.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, help_text, run in (
        ("preview", "the GroupSet the rules would make now, with counts and reasons (nothing is stored)", run_preview),
        ("generate", "make the GroupSet and keep it as a new version if it changed", run_generate),
        ("diff", "what generating now would change against the newest stored version", run_diff),
    ):
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--realm", type=realm_id, required=True, metavar="ID", help="connected realm id")
        sub.add_argument("--region", help="us, eu, kr or tw (default: from settings)")
        sub.add_argument("--json", action="store_true", help="print JSON")
        if name == "generate":
            sub.add_argument("--out", type=Path, metavar="GROUPSET.json", help="also write the GroupSet here")
        sub.set_defaults(run=run)
    rules = actions.add_parser("rules", help="list, show, add, remove, enable or disable rules",
                               description="The rules groups are made from (the shipped templates included).")
    rule_actions = rules.add_subparsers(dest="rule_action", required=True, metavar="ACTION")
    listing = rule_actions.add_parser("list", help="list the rules in order")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_rules_list)
    for name, help_text, arg, metavar in (("show", "print one rule as JSON", "name", "NAME"),
                                          ("add", "add a rule from a JSON file (replaces one of the same name)",
                                           "file", "FILE"),
                                          ("remove", "remove a rule", "name", "NAME"),
                                          ("enable", "use a rule again", "name", "NAME"),
                                          ("disable", "keep a rule but stop using it", "name", "NAME")):
        sub = rule_actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(arg, type=Path if arg == "file" else str, metavar=metavar)
        sub.set_defaults(run=run_rule_action)


def _service_call(args: argparse.Namespace, work: Callable[[GroupService, datetime], Awaitable[T]]) -> T:
    from datetime import UTC, datetime

    from tsmsyncd.cli.runtime import run_services

    async def call(services: Services) -> T:
        return await work(services.groups, datetime.now(UTC))

    return run_services(call)


def _realm(args: argparse.Namespace) -> RealmKey:
    from tsmsyncd.config import load_settings
    from tsmsyncd.market.sources import RealmKey

    return RealmKey(getattr(args, "region", None) or load_settings().region, args.realm)


def _report_text(generated: Generated) -> str:
    lines = []
    for g in generated.groups:
        label = "`".join(g.path)
        why = f"where {g.where}" if g.where else "every candidate"
        extra = [f"{g.sticky} kept by hysteresis" if g.sticky else "", f"{g.cut_by_limit} over the limit"
                 if g.cut_by_limit else "", f"{g.to_subgroups} went to subgroups" if g.to_subgroups else "",
                 f"{g.capped} dropped by the item cap" if g.capped else ""]
        details = "; ".join(e for e in extra if e)
        lines.append(f"{label:<32} {g.items:>5} items  ({g.matched} matched {why}{'; ' + details if details else ''})")
    total = sum(g.items for g in generated.groups)
    lines.append(f"{total:,} items in {len(generated.groups)} groups; hash {generated.content_hash[:12]}")
    if generated.capped:
        lines.append(f"the rules asked for {generated.asked:,} items; the cap of {generated.cap:,} kept the first "
                     f"{generated.cap:,} in rule order (raise limits less, or disable a rule)")
    if generated.overlaps:
        lines.append(f"{generated.overlaps:,} matches were already in an earlier rule's group (one group per item)")
    return "\n".join(lines)


def run_preview(args: argparse.Namespace) -> int:
    realm = _realm(args)
    generated = _service_call(args, lambda s, now: s.preview(realm, now))
    if args.json:
        say_json({"groupset": generated.groupset.to_dict(), "report": generated.as_json()}, indent=1)
    else:
        say(_report_text(generated))
    return 0


def run_generate(args: argparse.Namespace) -> int:
    from tsmsyncd.store.atomic import write_atomic

    realm = _realm(args)
    if args.out:
        output_path(args.out)  # a bad --out is refused before anything is generated or stored
    stored = _service_call(args, lambda s, now: s.generate(realm, now))
    if args.out:
        try:
            write_atomic(args.out, stored.generated.groupset.to_json().encode("utf-8"))
        except OSError as exc:
            raise InputError(f"--out {args.out}: cannot write it ({exc.strerror or exc})") from exc
    if args.json:
        say_json(stored.as_json(), indent=1)
    else:
        say(_report_text(stored.generated))
        state = "new version" if stored.new else "unchanged; still version"
        say(f"{state} {stored.version}" + (f"; written to {args.out}" if args.out else ""))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    realm = _realm(args)
    version, changes = _service_call(args, lambda s, now: s.diff(realm, now))
    if args.json:
        say_json({"against_version": version, "changes": changes}, indent=1)
        return 0
    say(f"against version {version}" if version else "nothing stored yet: everything would be new")
    for change in changes:
        label = "`".join(change["path"])
        say(f"{label}: {change['status']}, +{len(change['added'])} -{len(change['removed'])}")
        for sign, key in (("+", "added"), ("-", "removed")):
            for item in change[key][:10]:
                say(f"    {sign} {item}")
            if len(change[key]) > 10:
                say(f"    … and {len(change[key]) - 10:,} more {key}")
    if not changes:
        say("no changes")
    return 0


def run_rules_list(args: argparse.Namespace) -> int:
    import shlex

    from tsmsyncd.sync.groups import BrokenRule

    rules = _service_call(args, lambda s, now: s.rule_rows(now))
    if args.json:
        say_json([r.as_json() if isinstance(r, BrokenRule) else r.to_dict() for r in rules], indent=1)
        return 0
    for rule in rules:
        if isinstance(rule, BrokenRule):
            say(f"BROKEN {rule.name:<22} {rule.reason} (remove it with `tsmsyncd groups rules remove "
                f"{shlex.quote(rule.name)}`)")
            continue
        where = rule.config.criteria.where.text if rule.config.criteria.where else "(every item)"
        subs = f" +{len(rule.config.subgroups)} subgroup(s)" if rule.config.subgroups else ""
        say(f"{'on ' if rule.enabled else 'off'}  {rule.name:<22} {where}{subs}")
    return 0


def run_rule_action(args: argparse.Namespace) -> int:
    action = args.rule_action
    if action == "show":
        say(_service_call(args, lambda s, now: s.rule(args.name)).to_json())
    elif action == "add":
        try:
            text = args.file.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
        rule = _service_call(args, lambda s, now: s.add(text, args.file.name, now))
        say(f"rule {rule.name!r} saved ({'enabled' if rule.enabled else 'disabled'})")
    elif action == "remove":
        say(f"rule {_service_call(args, lambda s, now: s.remove(args.name))!r} removed")
    else:
        rule = _service_call(args, lambda s, now: s.set_enabled(args.name, action == "enable", now))
        say(f"rule {rule.name!r} {action}d")
    return 0

"""``tsmsyncd installs [--json]``: what install discovery found on this machine, and why.

Prints each install with the source that found it, its flavors, their accounts, whether each account has a
TradeSkillMaster.lua, and that file's profiles with the characters using them; then every folder that gave
no install, with the reason. Discovery's inputs are the machine's (registry, launcher files, usual folders)
plus ``settings.json`` ``wow_roots``; ``TSMSYNCD_WOW_ROOTS`` replaces them. Imports stay inside the run
function so ``tsmsyncd --help`` does not pay for them.
"""

from __future__ import annotations

import argparse
import os

from tsmsyncd.cli.commands import help_of

TYPE_CHECKING = False  # typing is imported only when a type checker runs: start-up stays fast
if TYPE_CHECKING:
    from collections.abc import Mapping

    from tsmsyncd.tsm.profiles import AccountProfiles
    from tsmsyncd.wow.installs import Discovery, DiscoveryEnv

__all__ = ["add_commands", "run_installs", "settings_wow_roots"]

Profiles = dict[str, "AccountProfiles | str"]  # TSM file → its profiles, or why they could not be read


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    installs = commands.add_parser(
        "installs", help=help_of("installs"),
        description="Show every World of Warcraft install found (registry, Battle.net's product.db, usual "
        "folders, Wine/Lutris/Proton/Bottles prefixes, settings.json wow_roots; TSMSYNCD_WOW_ROOTS replaces "
        "them), with flavors, accounts and TSM profiles, and every folder that gave none with the reason. "
        "Example: tsmsyncd installs --json")
    installs.add_argument("--json", action="store_true", help="print JSON")
    installs.set_defaults(run=run_installs)


def run_installs(args: argparse.Namespace, env: DiscoveryEnv | None = None,
                 environ: Mapping[str, str] | None = None) -> int:
    """Discover, read each TSM file's profiles, print. ``env`` and ``environ`` default to this machine's."""
    from tsmsyncd.cli.output import say, say_json
    from tsmsyncd.sync.targets import installs_json, read_installs
    from tsmsyncd.wow.installs import DiscoveryEnv

    environ = os.environ if environ is None else environ
    discovery, profiles = read_installs(env or DiscoveryEnv.current(settings_wow_roots(environ), environ))
    if getattr(args, "json", False):
        say_json(installs_json(discovery, profiles))
    else:
        say(installs_text(discovery, profiles))
    return 0


def settings_wow_roots(environ: Mapping[str, str]) -> tuple[str, ...]:
    """``wow_roots`` from the settings (settings.json in the data folder): folders added to discovery."""
    from tsmsyncd.config import load_settings

    return load_settings(environ).wow_roots


def installs_text(discovery: Discovery, profiles: Profiles) -> str:
    lines: list[str] = []
    if discovery.replaced:
        lines.append("TSMSYNCD_WOW_ROOTS is set: only its folders were looked at.")
    if not discovery.installs:
        lines.append("No World of Warcraft install found. Add its folder to settings.json \"wow_roots\", "
                     "or set TSMSYNCD_WOW_ROOTS.")
    else:
        lines.append(f"World of Warcraft installs ({len(discovery.installs)}):")
    for install in discovery.installs:
        lines.append(f"  {install.root}")
        picked = f", picked {install.picked}" if install.picked != install.root else ""
        lines.append(f"    found by {install.source.value}: {install.origin}{picked}")
        for r in (r for r in discovery.rejected if r.same_as == install.root):
            lines.append(f"    also named by {r.source.value}: {r.origin} ({r.path})")
        for flavor in install.flavors:
            label = flavor.flavor.label if flavor.flavor else "unknown flavor"
            note = "" if flavor.live else ", a test client: Blizzard's API has no auction data for it"
            lines.append(f"    {flavor.name} ({label}{note}): {len(flavor.accounts)} account(s)")
            for account in flavor.accounts:
                lines += _account_lines(account.name, account.tsm_file, profiles)
    rejected = [r for r in discovery.rejected if r.same_as is None]
    if rejected:
        lines.append(f"Folders that gave no install ({len(rejected)}):")
        for r in rejected:
            lines.append(f"  {r.path}: {r.message}")
            lines.append(f"    named by {r.source.value}: {r.origin}")
    if discovery.not_found:
        lines.append(f"Also looked in {len(discovery.not_found)} usual folder(s) that do not exist "
                     "(--json lists them).")
    return "\n".join(lines)


def _account_lines(name: str, tsm_file: object, profiles: Profiles) -> list[str]:
    if tsm_file is None:
        return [f"      {name}: no TradeSkillMaster.lua yet (log in once with TSM enabled)"]
    read = profiles.get(str(tsm_file))
    if isinstance(read, str) or read is None:
        return [f"      {name}: TradeSkillMaster.lua cannot be used: {read}"]
    lines = [f"      {name}: TradeSkillMaster.lua, {len(read.profiles)} profile(s)"]
    for use in read.profiles:
        chars = ", ".join(c.key for c in use.characters) or "no characters"
        unlisted = " (not in the file's profile list)" if not use.listed else ""
        lines.append(f"        profile {use.profile}{unlisted}: {chars}")
    if read.unassigned:
        lines.append(f"        no profile yet: {', '.join(c.key for c in read.unassigned)}")
    return lines

"""``tsmsyncd update check|apply|rollback``: signed updates (``sync/updates.py``).

With a daemon running, ``check`` and ``apply`` go through its API (its engine knows whether a merge or a
restore runs, and the tray and the web UI learn the result); without one they run here. ``rollback``
only points ``current`` back at the previous version, which the next start runs.
Exit codes: 0 checked (an update or none) / installed / rolled back; 1 refused or failed, with why.
"""

from __future__ import annotations

import argparse

from tsmsyncd.cli.commands import help_of
from tsmsyncd.cli.output import say, say_json

TYPE_CHECKING = False  # the update flow and its libraries are imported when a command runs
if TYPE_CHECKING:
    from typing import Any

__all__ = ["add_commands"]

APPLY_TIMEOUT = 3600.0  # a daemon's install: the download's own timeout (30 min) and the rest


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private
    update = commands.add_parser("update", help=help_of("update"), description=(
        "Updates are signed: a release manifest is only believed when its Ed25519 signature verifies with the "
        "release key built into tsmsyncd, and never when it offers an older version than one seen before. "
        "Settings: update_check (daily checks; on for the one-folder app), update_channel (stable, beta), "
        "update_url. Example: tsmsyncd update check"))
    actions = update.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="is a newer version available? (verifies the signature)")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(run=run_check)
    apply = actions.add_parser("apply", help="install the newer version for the next start (or show the pip command)",
                               description="Downloads the release, checks its size and sha256 against the signed "
                               "manifest, unpacks it beside this version and switches to it at the next start. "
                               "Example: tsmsyncd update apply")
    apply.add_argument("--json", action="store_true", help="print JSON")
    apply.set_defaults(run=run_apply)
    back = actions.add_parser("rollback", help="start the version before the last update again (once)")
    back.add_argument("--json", action="store_true", help="print JSON")
    back.set_defaults(run=run_rollback)


def _quiet_log() -> None:
    """The command says why it failed, in one line; the flow's log warning is for the daemon's log file."""
    import logging

    logging.getLogger("tsmsyncd").addHandler(logging.NullHandler())


def _daemon_call(method: str, path: str, timeout: float = 60) -> Any:
    from tsmsyncd.cli.daemon import _daemon, api

    info = _daemon()
    return None if info is None else api(info, method, path, timeout=timeout)


def run_check(args: argparse.Namespace) -> int:
    from tsmsyncd.cli.runtime import run_services
    from tsmsyncd.errors import UpdateError

    _quiet_log()
    status = _daemon_call("POST", "/api/v1/update/check")
    if status is None:
        status = run_services(lambda services: services.updates.check())
    if status["state"] == "failed":
        raise UpdateError(status["error"]["reason"], status["error"]["message"])
    if args.json:
        say_json(status)
        return 0
    say(_check_text(status))
    return 0


def _check_text(status: dict[str, Any]) -> str:
    offer = status.get("available")
    if not offer:
        return str(status["message"])
    lines = [f"tsmsyncd {offer['version']} is available (installed: {offer['current']}, {offer['channel']}, "
             f"released {offer['date'][:10]})"]
    lines += [f"  {line}" for line in str(offer["notes"]).splitlines()[:20]]
    how = offer["apply"]
    if how["kind"] == "pip":
        lines.append(f"update with: {how['command']}")
    elif how["kind"] == "bundle":
        lines.append(f"install it with: tsmsyncd update apply ({how['size'] / 2**20:.1f} MB)")
    else:
        lines.append(f"download it from: {how.get('url') or 'the project page'}")
    return "\n".join(lines)


def run_apply(args: argparse.Namespace) -> int:
    from tsmsyncd.cli.runtime import run_services

    _quiet_log()
    result = _daemon_call("POST", "/api/v1/update/apply", timeout=APPLY_TIMEOUT)
    if result is None:
        result = run_services(lambda services: services.updates.apply())
    if args.json:
        say_json(result)
    else:
        say(str(result["message"]))
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from tsmsyncd.cli.runtime import run_services

    async def back(services: Any) -> dict[str, Any]:
        result: dict[str, Any] = services.updates.rollback()
        return result

    result = run_services(back)
    if args.json:
        say_json(result)
    else:
        say(str(result["message"]))
    return 0

"""The ``tsmsyncd`` command: a thin layer that parses arguments, calls one service and prints.

Exit codes are a contract (DESIGN.md): 0 done (or nothing to do), 1 refused or failed with the player's
file untouched, 3 a game client is running (file untouched), 2 bad command-line usage (argparse).
One module per command family: ``merge`` (merge, export-string), ``backups``, ``market`` (realms,
refresh, market show), ``groups``, ``installs``, ``autostart``. Building the parser imports nothing but
argparse and those modules' light headers; each command imports what it needs when it runs, so
``tsmsyncd --version`` and ``--help`` start about as fast as Python itself.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from tsmsyncd import __version__
from tsmsyncd.cli.autostart import add_autostart_commands
from tsmsyncd.cli.backups import add_backup_commands
from tsmsyncd.cli.groups import add_group_commands
from tsmsyncd.cli.installs import add_installs_commands
from tsmsyncd.cli.market import add_market_commands
from tsmsyncd.cli.merge import add_merge_commands
from tsmsyncd.cli.output import prepare_streams, say, say_json
from tsmsyncd.errors import TsmSyncError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tsmsyncd",
        description="Keeps TradeSkillMaster groups in sync with the auction house, safely.",
    )
    parser.add_argument("--version", action="version", version=f"tsmsyncd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_merge_commands(commands)
    add_backup_commands(commands)
    add_market_commands(commands)
    add_group_commands(commands)
    add_installs_commands(commands)
    add_autostart_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    prepare_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except BrokenPipeError:  # `tsmsyncd --help | head -1`
        return 0
    try:
        return int(args.run(args))
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
        say_json({"status": "error", "error": message, "exit_code": code}, indent=None)
    say(f"tsmsyncd: {message}", err=True)
    return code

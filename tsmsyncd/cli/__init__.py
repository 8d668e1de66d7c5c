"""The ``tsmsyncd`` command: a thin layer that parses arguments, calls one service and prints.

Exit codes are a contract (DESIGN.md): 0 done (or nothing to do), 1 refused or failed with the player's
file untouched, 3 a game client is running (file untouched), 2 bad command-line usage (argparse).
One module per command family (``cli/commands.py`` is the table): ``merge`` (merge, export-string),
``backups``, ``market`` (realms, refresh, market show), ``groups``, ``installs``, ``autostart``. Only the
module of the command being run is imported to build the parser, and each command imports what it needs
when it runs, so ``tsmsyncd --version`` and ``--help`` start about as fast as Python itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tsmsyncd import __version__
from tsmsyncd.cli.commands import COMMANDS
from tsmsyncd.cli.output import prepare_streams, say, say_json
from tsmsyncd.errors import TsmSyncError

__all__ = ["build_parser", "main", "run"]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: every command is listed, but only the module of the one being run is
    imported to define its arguments (the others stand as names with their help)."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="tsmsyncd",
        description="Keeps TradeSkillMaster groups in sync with the auction house, safely.",
    )
    parser.add_argument("--version", action="version", version=f"tsmsyncd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    words = list(sys.argv[1:] if argv is None else argv)
    chosen = next((w for w in words if not w.startswith("-")), None)
    wanted = COMMANDS[chosen][0] if chosen in COMMANDS else None
    built: set[str] = set()
    for name, (module, help_text) in COMMANDS.items():
        if module == wanted:
            if module not in built:
                importlib.import_module(f"tsmsyncd.cli.{module}").add_commands(commands)
                built.add(module)
        else:
            commands.add_parser(name, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["_worker"]:  # the daemon's job processes: JSON in and out, no parser
        from tsmsyncd.cli.worker import run_worker

        return run_worker(serve=words[1:2] == ["--serve"])
    prepare_streams()
    parser = build_parser(argv)
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


def run() -> None:
    """The ``tsmsyncd`` program: ``main``, then exit without tearing the interpreter down. Every file the
    command wrote is already fsynced and closed, and output is flushed here; what is left is freeing the
    merge's Lua states (hundreds of MB) object by object, which the operating system does at once."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    import logging

    logging.shutdown()
    os._exit(code)


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    message = " ".join(message.split())  # always one line
    if getattr(args, "json", False):
        say_json({"status": "error", "error": message, "exit_code": code}, indent=None)
    say(f"tsmsyncd: {message}", err=True)
    return code

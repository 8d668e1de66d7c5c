"""``tsmsyncd demo [--once]``: the whole product on an embedded fake Blizzard and a sandbox install."""

from __future__ import annotations

import argparse

from tsmsyncd.cli.commands import help_of

__all__ = ["add_commands"]


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private
    demo = commands.add_parser("demo", help=help_of("demo"), description=(
        "Run the whole product with no credentials and no game: a fake Blizzard server on loopback, a sandbox "
        "WoW install in its own data folder (<data folder>/demo), a fake game process, and the real daemon. "
        "It prints what happens. Example: tsmsyncd demo --once"))
    demo.add_argument("--once", action="store_true", help="run one full cycle and exit (0 when every step happened)")
    demo.add_argument("--headless", action="store_true", help="no tray icon")
    demo.add_argument("--port", type=int, default=0, metavar="N", help="the API's port (default: any free one)")
    demo.set_defaults(run=run_demo_command)


def run_demo_command(args: argparse.Namespace) -> int:
    import asyncio

    from tsmsyncd.cli.output import say
    from tsmsyncd.config import data_dir
    from tsmsyncd.demo.run import run_demo

    return asyncio.run(run_demo(data_dir() / "demo", once=args.once, port=args.port, say=say))

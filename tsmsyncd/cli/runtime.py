"""Running one command: the settings, the data folder and the services it needs, built through the
composition root (``app.py``) and closed when the command ends; notices (a damaged file set aside and
rebuilt) are printed to stderr whatever happened. Imported only when a command runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from tsmsyncd.app import Services, open_services
from tsmsyncd.cli.output import say
from tsmsyncd.config import Settings, data_dir, load_settings

__all__ = ["run_services"]

T = TypeVar("T")


def run_services(work: Callable[[Services], Awaitable[T]], *, settings: Settings | None = None,
                 backup_dir: Path | None = None, use_settings: bool = True) -> T:
    """Run ``work`` with the data folder's services. ``use_settings=False`` for commands that never need
    them (merge, backups), so a broken settings.json cannot stop a player from restoring a backup."""
    home = data_dir()
    chosen = settings or (load_settings() if use_settings else Settings())

    async def main() -> T:
        async with open_services(chosen, home, backup_root=backup_dir, detached_compaction=True) as services:
            try:
                return await work(services)
            finally:
                for notice in services.notices():
                    say(f"tsmsyncd: note: {notice}", err=True)

    return asyncio.run(main())

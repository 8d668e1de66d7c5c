"""Running one command: the settings, the data folder and the services it needs, built through the
composition root (``app.py``) and closed when the command ends; notices (a damaged file set aside and
rebuilt) are printed to stderr whatever happened. Imported only when a command runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from tsmsyncd.app import Services, open_services, services
from tsmsyncd.cli.output import say
from tsmsyncd.config import Settings, data_dir, load_settings

__all__ = ["run_plain", "run_services"]

T = TypeVar("T")


def run_plain(work: Callable[[Services], T], *, backup_dir: Path | None = None) -> T:
    """Run ``work`` with the data folder's services and no event loop: merge, restore, backups. These
    never read the settings, so a broken settings.json cannot stop a player from restoring a backup."""
    with services(Settings(), data_dir(), backup_root=backup_dir, detached_compaction=True) as built:
        try:
            return work(built)
        finally:
            for notice in built.notices():
                say(f"tsmsyncd: note: {notice}", err=True)


def run_services(work: Callable[[Services], Awaitable[T]], *, settings: Settings | None = None) -> T:
    """Run the coroutine ``work`` with the data folder's services (the commands that talk to Blizzard or
    read the database)."""
    import asyncio

    home = data_dir()
    chosen = settings or load_settings()

    async def main() -> T:
        async with open_services(chosen, home, detached_compaction=True) as built:
            try:
                return await work(built)
            finally:
                for notice in built.notices():
                    say(f"tsmsyncd: note: {notice}", err=True)

    return asyncio.run(main())

"""The one thread that owns the SQLite connection: every read and write runs there, in order (datasette's
write thread, STYLE habit 5). Query functions from ``db/`` take the ``Database`` as their first argument;
``await writer(fn, *args)`` runs one from the event loop and ``writer.run(fn, *args)`` from plain code.

SQLite's own failures are translated once, here: damage (not "locked", not "full") is remembered beside
the file, so the next start sets the database aside and begins a new one (``db/schema.py``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from tsmsyncd.db.schema import Database, mark_damaged
from tsmsyncd.errors import StateError

__all__ = ["DbWriter"]

T = TypeVar("T")


class DbWriter:
    """Owns the ``Database``; ``notices`` says what happened when it was opened (a damaged file set aside)."""

    def __init__(self, path: Path) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
        self.path = path
        try:
            self._db: Database = self._pool.submit(Database, path).result()
        except BaseException:
            self._pool.shutdown()
            raise
        self.notices = self._db.notices

    async def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._call, fn, args, kwargs)

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The same, for code that is not async."""
        return self._pool.submit(self._call, fn, args, kwargs).result()

    def _call(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        try:
            return fn(self._db, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise _state_error(self.path, exc) from exc

    def close(self) -> None:
        self._pool.submit(self._db.close).result()
        self._pool.shutdown()


def _state_error(path: Path, exc: sqlite3.DatabaseError) -> StateError:
    """SQLite's failures in the player's words."""
    if type(exc) is sqlite3.DatabaseError or "malformed" in str(exc):
        mark_damaged(path, str(exc))
        return StateError(f"{path.name} is damaged ({exc}); it is set aside and rebuilt when tsmsyncd next starts "
                          "(market data is fetched again, rules are carried over)")
    return StateError(f"{path.name}: {exc} (the database in {path.parent})")

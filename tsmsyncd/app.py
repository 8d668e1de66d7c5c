"""The composition root: ``open_services(settings, home)`` builds every service once and closes them in
reverse order. The CLI, the daemon and the tests all use it; nothing else constructs a service, and no
module holds one at module level.

Services are built on first use, so a command pays only for what it touches: ``merge`` builds the backup
store and the merger and never imports pandas, numpy or aiohttp; ``refresh`` builds the database writer,
one HTTP session, the Blizzard client and the refresher. Each service gets only what it needs:

    home ─┬─ backups/ ── BackupStore ─┬─ Merger (games, compaction)
          │                           └─ Restorer (games)
          ├─ tsmsyncd.db ── DbWriter ─┬─ GroupService (root, realms)
          │                           ├─ Refresher ── BlizzardClient ── aiohttp.ClientSession
          │                           ├─ RemoteGroups (a group server's GroupSets) ── the same session
          │                           ├─ TokenService (group server mode's tokens, settings)
          │                           └─ TargetService (settings, environ) ─┐
          ├─ WorkerRunner (job processes) ── Engine (db, targets, runner, EventBus, settings, remote, tokens)
          ├─ QueryWorker (one long-lived process for the UI's pandas reads)
          └─ update.json ── UpdateService (session, EventBus, the install's layout, Engine as its guard)

After a merge its backup is compacted off the merge's path: by a short-lived detached process for the
CLI (the command returns at once; the backup it printed stays where it said), by the caller's own
worker for the daemon.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tsmsyncd.config import Settings
from tsmsyncd.errors import SettingsError
from tsmsyncd.store.backups import BackupStore, default_backup_root
from tsmsyncd.wow.process import GameProcess, games_blocking

if TYPE_CHECKING:  # the heavy ones are imported where they are built
    import aiohttp

    from tsmsyncd.blizzard.client import BlizzardClient
    from tsmsyncd.events import EventBus
    from tsmsyncd.store.writer import DbWriter
    from tsmsyncd.sync.apply import Merger
    from tsmsyncd.sync.engine import Engine
    from tsmsyncd.sync.groups import GroupService
    from tsmsyncd.sync.refresh import Refresher
    from tsmsyncd.sync.remote import RemoteGroups
    from tsmsyncd.sync.restore import Restorer
    from tsmsyncd.sync.runner import QueryWorker, WorkerRunner
    from tsmsyncd.sync.server import TokenService
    from tsmsyncd.sync.targets import TargetService
    from tsmsyncd.sync.updates import UpdateService
    from tsmsyncd.watch.checker import Checker
    from tsmsyncd.watch.service import WatchService

__all__ = ["Services", "open_services", "services"]

_T = TypeVar("_T")

Games = Callable[[Path], Sequence[GameProcess]]


class Services:
    """Every service of one data folder, built on first use. Use through ``open_services``."""

    def __init__(self, settings: Settings, home: Path, stack: AsyncExitStack | ExitStack, *,
                 backup_root: Path | None = None,
                 games: Games = games_blocking, detached_compaction: bool = False,
                 environ: dict[str, str] | None = None, quiet_seconds: float = 5.0,
                 daemon: bool = False, update_keys: Sequence[str] | None = None,
                 update_options: dict[str, Any] | None = None) -> None:
        self.settings, self.home = settings, home
        self._daemon = daemon  # the daemon's own services: its engine knows when a merge runs
        self._update_keys = update_keys  # tests only: throwaway release keys (update/keys.py says why)
        self._update_options = dict(update_options or {})
        self._stack = stack
        self._games = games
        self._detached = detached_compaction
        self._environ = dict(os.environ if environ is None else environ)
        self._quiet_seconds = quiet_seconds
        self.backups = BackupStore(backup_root or default_backup_root(home))
        self._built: dict[str, Any] = {}

    @property
    def environ(self) -> dict[str, str]:
        """The environment the services were built for (discovery reads ``TSMSYNCD_WOW_ROOTS`` from it)."""
        return dict(self._environ)

    def notices(self) -> list[str]:
        """What the player should be told though nothing failed (a damaged file set aside and rebuilt)."""
        found = list(self.backups.notices)
        if "db" in self._built:
            found += self._built["db"].notices
        return found

    def _once(self, name: str, build: Callable[[], _T]) -> _T:
        if name not in self._built:
            self._built[name] = build()
        built: _T = self._built[name]  # what build() made under this name
        return built

    @property
    def merger(self) -> Merger:
        from tsmsyncd.sync.apply import Merger

        return self._once("merger", lambda: Merger(self.backups, games=self._games, compact=self._compaction()))

    @property
    def restorer(self) -> Restorer:
        from tsmsyncd.sync.restore import Restorer

        return self._once("restorer", lambda: Restorer(self.backups, games=self._games))

    @property
    def db(self) -> DbWriter:
        from tsmsyncd.store.writer import DbWriter

        def build() -> DbWriter:
            writer = DbWriter(self.home / "tsmsyncd.db")
            self._stack.callback(writer.close)
            return writer

        return self._once("db", build)

    @property
    def groups(self) -> GroupService:
        from tsmsyncd.sync.groups import GroupService

        return self._once("groups", lambda: GroupService(self.db, realms=self.settings.realms))

    @property
    def bus(self) -> EventBus:
        from tsmsyncd.events import EventBus

        return self._once("bus", EventBus)

    @property
    def runner(self) -> WorkerRunner:
        from tsmsyncd.sync.runner import WorkerRunner

        return self._once("runner", lambda: WorkerRunner(self.home, environ=self._environ))

    @property
    def queries(self) -> QueryWorker:
        """The long-lived worker for the UI's reads that need pandas (the daemon itself never imports it)."""
        from tsmsyncd.sync.runner import QueryWorker

        def build() -> QueryWorker:
            if not isinstance(self._stack, AsyncExitStack):
                raise RuntimeError("the query worker needs open_services(), the async composition root")
            worker = QueryWorker(self.home, environ=self._environ)
            self._stack.push_async_callback(worker.close)
            return worker

        return self._once("queries", build)

    @property
    def watcher(self) -> QueryWorker:
        """The watch worker: its own long-lived process, so a cold watch check never holds up the UI's other
        questions; it keeps its snapshot cache while idle for 35 minutes (the cache lives 30)."""
        from tsmsyncd.sync.runner import QueryWorker

        def build() -> QueryWorker:
            if not isinstance(self._stack, AsyncExitStack):
                raise RuntimeError("the watch worker needs open_services(), the async composition root")
            worker = QueryWorker(self.home, environ=self._environ, idle=35 * 60, timeout=300)
            self._stack.push_async_callback(worker.close)
            return worker

        return self._once("watcher", build)

    @property
    def watchlist(self) -> WatchService:
        from tsmsyncd.watch.service import WatchService

        def build() -> WatchService:
            service = WatchService(self.db, self.watcher, self.bus, lambda: self.settings)
            if isinstance(self._stack, AsyncExitStack):
                self._stack.push_async_callback(service.close)
            return service

        return self._once("watchlist", build)

    async def checker(self) -> Checker:
        """The watch checker of a worker process (its snapshot cache lives as long as the process)."""
        if "checker" not in self._built:
            from tsmsyncd.watch.checker import Checker

            self._built["checker"] = Checker(await self.blizzard(), self.db)
        return self._built["checker"]  # type: ignore[no-any-return]  # built just above

    async def replace_settings(self, settings: Settings) -> None:
        """New settings (already saved): the engine and targets read them from here on; the query worker
        starts again with them; the log filter learns a new secret."""
        from tsmsyncd.logs import add_secret

        self.settings = settings
        add_secret(settings.client_secret)
        if settings.group_source is not None:
            add_secret(settings.group_source.token)
        for worker in ("queries", "watcher"):
            if worker in self._built:
                await self._built[worker].restart()

    @property
    def updates(self) -> UpdateService:
        """Update checks and installs. In the daemon the engine guards an install (it knows when a merge or
        restore runs); in a command, the data folder's apply locks do."""
        from tsmsyncd import __file__ as package_file
        from tsmsyncd.store.bundle import detect_install
        from tsmsyncd.sync.updates import UpdateService
        from tsmsyncd.update.keys import RELEASE_KEYS

        def build() -> UpdateService:
            options: dict[str, Any] = {
                "install": detect_install(frozen=bool(getattr(sys, "frozen", False)), executable=Path(sys.executable),
                                          package=Path(package_file).parent),
                "guard": self.engine if self._daemon else None, "history": self._update_history,
                "keys": self._update_keys if self._update_keys is not None else RELEASE_KEYS,
                **self._update_options}  # tests: a bundle's layout, a version, short timeouts
            return UpdateService(self.home, lambda: self.settings, self.session, self.bus, **options)

        return self._once("updates", build)

    async def _update_history(self, message: str) -> None:
        from datetime import UTC, datetime

        from tsmsyncd.db import history as history_db

        await self.db(history_db.record, history_db.Kind.UPDATE, message, datetime.now(UTC))

    @property
    def targets(self) -> TargetService:
        from tsmsyncd.sync.targets import TargetService

        return self._once("targets", lambda: TargetService(self.db, lambda: self.settings, self._environ))

    @property
    def tokens(self) -> TokenService:
        """Group server mode's tokens (``tokens create``, the server's checks, the realms its clients want)."""
        from tsmsyncd.sync.server import TokenService

        return self._once("tokens", lambda: TokenService(self.db, lambda: self.settings))

    @property
    def remote(self) -> RemoteGroups:
        """A client's GroupSets from a group server, over the one HTTP session."""
        from tsmsyncd.sync.remote import RemoteGroups

        return self._once("remote", lambda: RemoteGroups(self.db, self.session, self.bus))

    @property
    def engine(self) -> Engine:
        from tsmsyncd.sync.engine import Engine

        return self._once("engine", lambda: Engine(self.db, self.targets, self.runner, self.bus, lambda: self.settings,
                                                   quiet_seconds=self._quiet_seconds, remote=self.remote,
                                                   tokens=self.tokens))

    async def session(self) -> aiohttp.ClientSession:
        if "session" not in self._built:
            import aiohttp

            if not isinstance(self._stack, AsyncExitStack):
                raise RuntimeError("an HTTP session needs open_services(), the async composition root")
            self._built["session"] = await self._stack.enter_async_context(aiohttp.ClientSession())
        return self._built["session"]  # type: ignore[no-any-return]  # built just above

    async def blizzard(self) -> BlizzardClient:
        if "blizzard" not in self._built:
            from tsmsyncd.blizzard.client import BlizzardClient, Credentials
            from tsmsyncd.logs import setup_file_logging

            settings = self.settings
            if not settings.has_credentials:
                raise SettingsError("client_id", "Blizzard API credentials are not set: set "
                                    "TSMSYNCD_BLIZZARD_CLIENT_ID and TSMSYNCD_BLIZZARD_CLIENT_SECRET "
                                    "(from develop.battle.net)")
            setup_file_logging(self.home / "logs", secrets=[settings.client_secret])
            self._built["blizzard"] = BlizzardClient(
                await self.session(), Credentials(settings.client_id, settings.client_secret),
                api_url=settings.api_url, oauth_url=settings.oauth_url)
        return self._built["blizzard"]  # type: ignore[no-any-return]  # built just above

    async def refresher(self) -> Refresher:
        if "refresher" not in self._built:
            from tsmsyncd.sync.refresh import Refresher

            self._built["refresher"] = Refresher(await self.blizzard(), self.db)
        return self._built["refresher"]  # type: ignore[no-any-return]  # built just above

    def _compaction(self) -> Callable[[Path], None]:
        """What a merge does with its backup afterwards: compress the older uncompressed ones."""
        store = self.backups
        if self._detached:
            return lambda path: compact_detached(store, store.root, path)

        def in_process(path: Path) -> None:
            store.compact(path, keep_newest=1)

        return in_process


def compact_detached(store: BackupStore, root: Path, path: Path) -> None:
    """Start ``tsmsyncd backups compact`` in its own process, when there is something to compress, and
    return at once: the command that merged does not wait for zstd."""
    if not store.uncompressed(path, keep_newest=1):
        return
    command = [sys.executable, "-m", "tsmsyncd", "backups", "compact", str(path), "--backup-dir", str(root),
               "--keep-newest", "1"]
    options: dict[str, Any] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                               "stderr": subprocess.DEVNULL, "close_fds": True}
    if sys.platform == "win32":  # os.name == "nt", spelled so the type checker knows the flags exist
        options["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    try:
        child = subprocess.Popen(command, **options)  # our own interpreter and module, no shell
    except OSError:
        return  # compaction is housekeeping: the next merge, or the daemon's daily job, does it
    # Nobody waits for it, on purpose: tell Popen so, or it warns "still running" when collected.
    child.returncode = 0


@asynccontextmanager
async def open_services(settings: Settings, home: Path, **options: Any) -> AsyncIterator[Services]:
    """Every service of the data folder ``home``; whatever was built is closed on exit, newest first."""
    async with AsyncExitStack() as stack:
        yield Services(settings, home, stack, **options)


@contextmanager
def services(settings: Settings, home: Path, **options: Any) -> Iterator[Services]:
    """The same for plain code that needs no event loop (merge, restore, backups): no asyncio to import,
    and the services that need one (the HTTP session) refuse to be built."""
    with ExitStack() as stack:
        yield Services(settings, home, stack, **options)

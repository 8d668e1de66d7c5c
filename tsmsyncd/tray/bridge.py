"""The tray's side on the event loop: it follows the event bus, turns the engine's state into the menu
(``menu.tray_view``) and events into notifications (``sync/notices.py``), and runs what the player picks.

Threads (DESIGN.md "Threading"): the menu's callbacks run on pystray's thread and only hand a command to
the loop (``asyncio.run_coroutine_threadsafe``), never waiting for it; the loop computes views and hands
them to the tray (``show``), which applies them off the loop. Nothing here blocks the loop: the clipboard,
the browser, the file manager and building an import string run in worker threads.
"""

from __future__ import annotations

import asyncio
import logging
import webbrowser
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tsmsyncd.app import Services
from tsmsyncd.errors import TsmSyncError
from tsmsyncd.events import Event, EventType, Subscription
from tsmsyncd.http.launch import Logins, login_path, open_browser, write_redirect_file
from tsmsyncd.sync.notices import Notice, NoticePolicy, summarize
from tsmsyncd.tray.desktop import ClipboardUnavailable, copy_text, open_folder
from tsmsyncd.tray.menu import Command, IconState, Kind, TrayView, target_label, tray_view

TYPE_CHECKING = False  # the schedule is the daemon's; the tray only calls what it is handed
if TYPE_CHECKING:
    from tsmsyncd.scheduler import Schedule

__all__ = ["Bridge", "TrayContext"]

log = logging.getLogger(__name__)
BUSY_EVERY = 2.0  # seconds between looks at the state while a refresh runs (its end is not an event of its own)
IDLE_EVERY = 30.0
Tell = Callable[[str, str], None]  # (title, message): a notification


@dataclass(frozen=True)
class TrayContext:
    """What the daemon hands the tray once the API listens (no module-level singletons: the web app's own
    one-time login store, so the tray's Open logs the browser in the same way ``tsmsyncd open`` does)."""

    services: Services
    schedule: Schedule
    logins: Logins
    url: str
    home: Path
    stop: Callable[[], None]


class Bridge:
    def __init__(self, show: Callable[[TrayView], None], tell: Tell,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 opener: Callable[[str], object] = webbrowser.open) -> None:
        self._show, self._tell, self._opener = show, tell, opener
        self._policy = NoticePolicy(clock)
        self._ctx: TrayContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._sub: Subscription | None = None
        self._names: dict[str, str] = {}
        self.view: TrayView | None = None
        self._pending: set[Future[None]] = set()

    # -- lifecycle (on the loop) -----------------------------------------------------------------------

    async def attach(self, ctx: TrayContext) -> None:
        self._ctx, self._loop = ctx, asyncio.get_running_loop()
        await self.refresh_view()
        self._task = self._loop.create_task(self._follow())

    async def detach(self) -> None:
        """Before the services close: stop following and drop commands still queued. The follower is
        told by its subscription closing, not only by a cancel: Python 3.11's ``wait_for`` can swallow a
        cancel that meets an arriving event (cpython #86296), and the daemon's stop would wait forever."""
        self._ctx = None
        if self._sub is not None:
            self._sub.close()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for future in list(self._pending):
            future.cancel()

    # -- commands (from any thread) --------------------------------------------------------------------

    def do(self, command: Command, stop: Callable[[], None]) -> None:
        """Run ``command`` on the loop without waiting. Before the daemon listens only Quit does anything
        (``stop`` is the daemon's thread-safe stop)."""
        log.info("tray: %s", command.kind)
        if command.kind is Kind.QUIT:
            stop()
            return
        loop = self._loop
        if loop is None or self._ctx is None or loop.is_closed():
            log.info("tray: %s ignored, the daemon is not ready", command.kind)
            return
        future = asyncio.run_coroutine_threadsafe(self._run(command), loop)
        self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        self._pending.discard(future)
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.error("tray: a command failed", exc_info=error)

    async def _run(self, command: Command) -> None:
        ctx = self._ctx
        if ctx is None:
            return
        try:
            await self._command(ctx, command)
        except TsmSyncError as exc:
            self._tell(f"Could not {_verb(command.kind)}", str(exc))
        await self.refresh_view()

    async def _command(self, ctx: TrayContext, command: Command) -> None:
        engine, kind = ctx.services.engine, command.kind
        if kind is Kind.OPEN:
            await asyncio.to_thread(open_browser, ctx.url, ctx.logins, ctx.home, self._opener)
        elif kind is Kind.REFRESH:
            await ctx.schedule.refresh_now()
        elif kind is Kind.APPLY:
            for target_id in command.args:
                await engine.apply_soon(target_id)
        elif kind is Kind.COPY:
            await self._copy(ctx, *command.args)
        elif kind is Kind.UNDO:
            await engine.undo(command.args[0])
            self._tell("Last apply undone", f"{self._names.get(command.args[0], 'the profile')}: the file is "
                       "back as it was before; turn merging off for it if it should stay that way")
        elif kind in (Kind.PAUSE, Kind.RESUME):
            await self._pause(ctx, kind is Kind.PAUSE)
        elif kind is Kind.BACKUPS:
            await asyncio.to_thread(open_folder, ctx.services.backups.root, ctx.services.environ)

    async def _pause(self, ctx: TrayContext, paused: bool) -> None:
        """As ``POST /api/v1/pause`` does: the web UI hears of it through the same status event."""
        from tsmsyncd.http.views.context import ApiContext
        from tsmsyncd.http.views.status import status_payload

        ctx.services.engine.pause(paused)
        ctx.services.bus.publish(EventType.STATUS, await status_payload(ApiContext(ctx.services, ctx.schedule,
                                                                                    ctx.stop)))
        if not paused:
            ctx.services.engine.kick()  # what waited while paused is applied now

    async def _copy(self, ctx: TrayContext, key: str, kind: str, name: str) -> None:
        from tsmsyncd.db import groups as groups_db
        from tsmsyncd.market.sources import RealmKey

        realm = RealmKey.parse(key)
        found = await ctx.services.db(groups_db.groupset, realm)
        what = "TSM import string" if kind == "tsm" else "item list"
        if found is None:
            self._tell("No groups yet", f"{name}: groups are made with the first refresh of its auction house")
            return
        version, doc, _ = found
        text = await asyncio.to_thread(import_text, doc, realm, kind)
        try:
            await asyncio.to_thread(copy_text, text)
        except ClipboardUnavailable as exc:
            page = f"#/groups?realm={realm.region}/{realm.flavor}/{realm.connected_realm_id}"
            await asyncio.to_thread(self._open_page, ctx, page)
            self._tell("Opened the Groups page instead", f"{exc}; copy the {what} for {name} there")
            return
        self._tell(f"Copied the {what}", f"{name}, groups version {version}: paste it into TSM's "
                   + ("Import Groups window" if kind == "tsm" else "group import box"))

    def _open_page(self, ctx: TrayContext, fragment: str) -> None:
        """A page of the web UI, logged in through the one-time redirect (the login keeps the fragment)."""
        url = ctx.url.rstrip("/") + login_path(ctx.logins.issue()) + fragment
        self._opener(write_redirect_file(ctx.home, url).as_uri())

    # -- following the state (on the loop) -------------------------------------------------------------

    async def refresh_view(self) -> None:
        ctx = self._ctx
        if ctx is None:
            return
        status = await ctx.services.engine.status()
        targets = await ctx.services.engine.targets_json()
        self._names = {str(t["id"]): target_label(t) for t in targets}
        view = tray_view(status, targets)
        if view != self.view:
            self.view = view
            self._show(view)

    async def _follow(self) -> None:
        assert self._ctx is not None
        bus = self._ctx.services.bus
        self._sub = bus.subscribe()
        try:
            while self._ctx is not None:
                busy = self.view is not None and self.view.state is IconState.REFRESHING
                first: Event | None = None
                try:
                    async with asyncio.timeout(BUSY_EVERY if busy else IDLE_EVERY):
                        first = await self._sub.get()
                except TimeoutError:
                    pass  # nothing happened: look at the state anyway (a refresh's end is no event)
                if self._ctx is None:
                    return  # detached while we waited
                if first is None and self._sub.dropped:
                    self._sub = bus.subscribe()  # fell behind: the view is computed afresh below anyway
                events = [first] if first is not None else []
                while not self._sub.queue.empty():
                    events.append(self._sub.queue.get_nowait())
                self._notify(events)
                if not events or any(e.type is not EventType.PROGRESS for e in events):
                    await self.refresh_view()
        finally:
            self._sub.close()

    def _notify(self, events: list[Event]) -> None:
        ctx = self._ctx
        if ctx is None:
            return
        notices: list[Notice] = []
        for event in events:
            notices += self._policy.feed(event, ctx.services.settings, self._names)
        for notice in summarize(notices):
            self._tell(notice.title, notice.message)


def import_text(doc: str, realm: Any, kind: str) -> str:
    """The import string (``tsm``) or plain list (``list``) of a stored GroupSet document."""
    from tsmsyncd.tsm.groupset import GroupSet
    from tsmsyncd.tsm.importstring import list_string, tsm_string

    groupset = GroupSet.from_json(doc)
    return tsm_string(groupset, realm.flavor) if kind == "tsm" else list_string(groupset)


def _verb(kind: Kind) -> str:
    return {Kind.OPEN: "open tsmsyncd", Kind.REFRESH: "refresh", Kind.APPLY: "apply the groups",
            Kind.COPY: "copy the import string", Kind.UNDO: "undo the last apply", Kind.PAUSE: "pause",
            Kind.RESUME: "resume", Kind.BACKUPS: "open the backups folder"}.get(kind, str(kind))

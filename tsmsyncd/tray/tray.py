"""The pystray adapter: the icon on the main thread, its menu built from ``menu.TrayView``, and updates and
notifications delivered without ever blocking the event loop.

``load_backend`` says whether a tray can work here at all (a display, a backend that imports, on X11 a
program that owns the system tray) and why not, so ``run`` can fall back to headless with one log line:
``import pystray`` raises at import time without a display (Xlib's DisplayNameError, pystray #121) and a
broken backend raises other errors than ImportError (email-oauth2-proxy #204), so every exception counts.

Threads: ``Tray.run`` blocks the main thread in pystray's loop (macOS demands it). The event loop hands
views to ``show`` and never waits: one thread of the tray's own ("tsmsyncd-tray") makes every change to
the icon (shows it, applies the newest view, notifies, and finally stops pystray's loop), since pystray's
X11 backend runs each call on its loop thread and answers all callers through one queue (two callers at
once can take each other's answers and hang). On macOS all of that goes to the main thread instead
(``AppHelper.callAfter``: AppKit kills a process that changes its status item from another thread,
serena #2038). Menu callbacks run on pystray's thread and only hand the command to the loop
(``Bridge.do``). ``stop`` works from any thread, even before pystray's loop has started (pystray's own
``stop`` does nothing then, so ``run`` would never return).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from tsmsyncd.tray import icons
from tsmsyncd.tray.bridge import Bridge, TrayContext
from tsmsyncd.tray.desktop import notify_send
from tsmsyncd.tray.menu import Command, MenuItem, Separator, TrayView, starting_view
from tsmsyncd.tray.xorg import X11Calls

__all__ = ["Tray", "load_backend"]

log = logging.getLogger(__name__)
NAME = "tsmsyncd"
TRAY_WAIT = 15.0  # seconds to wait for an X11 system tray to appear (autostart may beat the panel)


def load_backend(environ: Mapping[str, str], platform: str = sys.platform,
                 wait: float = TRAY_WAIT) -> ModuleType | str:
    """pystray, ready to use, or why there can be no tray here (one line)."""
    if platform not in ("win32", "darwin") and not environ.get("DISPLAY"):
        if environ.get("WAYLAND_DISPLAY"):
            return "Wayland without X11 (DISPLAY is not set) and pystray needs X11 or AppIndicator here"
        return "no display (DISPLAY is not set)"
    try:
        import pystray
    except Exception as exc:  # noqa: BLE001  # any error from a backend's import means "no tray"
        return f"the tray backend did not load ({_one_line(exc)})"
    backend = _backend(pystray)
    if backend == "dummy":
        return "pystray's dummy backend was chosen (PYSTRAY_BACKEND=dummy)"
    if backend == "xorg":
        try:
            owned = _x11_tray_owner(environ, wait)
        except Exception as exc:  # noqa: BLE001  # a display we cannot ask has no tray for us either
            return f"could not ask display {environ.get('DISPLAY')} for a system tray ({_one_line(exc)})"
        if not owned:
            return (f"no system tray on display {environ.get('DISPLAY')} (no program owns _NET_SYSTEM_TRAY_S0 "
                    f"after {wait:g} s)")
    module: ModuleType = pystray
    return module


def _backend(pystray: ModuleType) -> str:
    """The backend pystray chose: ``xorg``, ``gtk``, ``appindicator``, ``win32``, ``darwin``, ``dummy``."""
    return str(getattr(pystray.Icon, "__module__", "")).rsplit(".", 1)[-1].lstrip("_")


def _one_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"


def _x11_tray_owner(environ: Mapping[str, str], wait: float) -> bool:
    """Whether a program owns the X11 system tray selection, waiting up to ``wait`` seconds for one."""
    import Xlib.X

    display = _connect(environ.get("DISPLAY"))
    try:
        atom = display.intern_atom(f"_NET_SYSTEM_TRAY_S{display.get_default_screen()}")
        deadline = time.monotonic() + wait
        while True:
            if display.get_selection_owner(atom) != Xlib.X.NONE:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)
    finally:
        display.close()


def _connect(name: str | None, attempts: int = 3) -> Any:
    """A connection to display ``name``. An X server with no client left resets itself, and pystray's import
    has just opened and closed one: on a display nothing else uses (a bare Xvfb) our connection may meet
    that reset (4 starts in 15 here). The reset takes milliseconds, so try again; a display that still
    refuses raises."""
    import Xlib.display
    import Xlib.error

    for _ in range(attempts - 1):
        try:
            return Xlib.display.Display(name)
        except Xlib.error.ConnectionClosedError:
            time.sleep(0.2)
    return Xlib.display.Display(name)


class Tray:
    """The icon. ``stop_daemon`` is the daemon's thread-safe stop (what Quit calls)."""

    def __init__(self, pystray: ModuleType, stop_daemon: Callable[[], None], *,
                 environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> None:
        self._pystray, self._stop_daemon, self._platform = pystray, stop_daemon, platform
        self._environ = dict(os.environ if environ is None else environ)
        self.bridge = Bridge(self.show, self.tell)
        self._images: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._ready = False  # pystray's loop runs (its setup callback came)
        self._quit = False
        self._icon: Any = None
        self._next: TrayView | None = None
        self._notices: list[tuple[str, str]] = []
        self._x11: X11Calls | None = None
        self.view = starting_view()

    # -- the daemon's side -----------------------------------------------------------------------------

    async def attach(self, ctx: TrayContext) -> None:
        await self.bridge.attach(ctx)

    async def detach(self) -> None:
        await self.bridge.detach()

    # -- the main thread -------------------------------------------------------------------------------

    def run(self) -> None:
        """pystray's loop, until ``stop``. Raises what pystray raised if the icon could not start."""
        view = self.view
        self._icon = self._pystray.Icon(NAME, self._image(view), self._title(view), menu=self._menu(view))
        if _backend(self._pystray) == "xorg":
            self._x11 = X11Calls.install(self._icon, self._environ.get("DISPLAY"))
        if self._platform != "darwin":
            threading.Thread(target=self._work, name="tsmsyncd-tray", daemon=True).start()
        self._icon.run(setup=self._setup)

    def _setup(self, icon: Any) -> None:
        """pystray's setup thread, once its loop runs: it hands over and returns at once (``stop`` joins it)."""
        with self._lock:
            self._ready = True
            quit_now = self._quit
            self._wake.notify_all()
        if self._platform == "darwin":
            from PyObjCTools import AppHelper  # pystray's macOS backend needs PyObjC: it is there

            AppHelper.callAfter(icon.stop if quit_now else self._show_icon)

    def stop(self) -> None:
        """Leave pystray's loop (from any thread); ``run`` returns. Before the loop runs, it stops as soon as
        it does (pystray's own ``stop`` does nothing then, so ``run`` would never return)."""
        with self._lock:
            self._quit = True
            ready = self._ready
            self._wake.notify_all()
        if self._platform == "darwin" and ready:
            from PyObjCTools import AppHelper

            AppHelper.callAfter(self._icon.stop)

    # -- the tray's thread (every change to the icon, off macOS) ---------------------------------------

    def _work(self) -> None:
        """Shows the icon, applies the newest view, shows notices, and at last stops pystray's loop, in this
        order, from this one thread: on X11 every change is run on pystray's loop thread (``xorg.py``)."""
        shown = False
        while True:
            with self._lock:
                while not self._ready or not (self._quit or not shown or self._next is not None or self._notices):
                    self._wake.wait()
                quit_now, view, notices = self._quit, self._next, self._notices
                self._next, self._notices = None, []
            if quit_now:
                self._call(self._icon.stop)
                if self._x11 is not None:
                    self._x11.close()
                return
            if not shown:
                shown = True
                self._call(self._show_icon)
            if view is not None:
                self._call(functools.partial(self._apply, view))
            for title, message in notices:
                self._call(functools.partial(self._icon.notify, message, title))

    def _call(self, job: Callable[[], None]) -> None:
        if self._x11 is not None:
            self._x11.soon(job)
            return
        try:
            job()
        except Exception:  # the icon went away under us (a panel restart): the next view tries again
            log.exception("tray: changing the icon failed")

    def _show_icon(self) -> None:
        self._icon.visible = True
        log.info("tray icon shown (%s)", _backend(self._pystray))

    # -- views -----------------------------------------------------------------------------------------

    def show(self, view: TrayView) -> None:
        """The newest view; applied off the caller's thread (the loop must never wait for the tray)."""
        if self._platform == "darwin":
            from PyObjCTools import AppHelper

            AppHelper.callAfter(self._apply, view)
            return
        with self._lock:
            self._next = view
            self._wake.notify_all()

    def _apply(self, view: TrayView) -> None:
        icon = self._icon
        if icon is None:
            return
        previous, self.view = self.view, view
        if view.state != previous.state:
            icon.icon = self._image(view)
        icon.title = self._title(view)
        icon.menu = self._menu(view)  # pystray updates the platform menu from it

    def _title(self, view: TrayView) -> str:
        """The tooltip; X11 window names are Latin-1 (python-xlib refuses anything else)."""
        if _backend(self._pystray) != "xorg":
            return view.tooltip
        return view.tooltip.replace("…", "...").replace("−", "-").encode("latin-1", "replace").decode("latin-1")

    def _image(self, view: TrayView) -> Any:
        state = str(view.state)
        if state not in self._images:
            self._images[state] = icons.tray_image(view.state)
        return self._images[state]

    def _menu(self, view: TrayView) -> Any:
        return self._pystray.Menu(*(self._entry(e) for e in view.items))

    def _entry(self, entry: MenuItem | Separator) -> Any:
        p = self._pystray
        if isinstance(entry, Separator):
            return p.Menu.SEPARATOR
        if entry.children:
            return p.MenuItem(entry.label, p.Menu(*(self._entry(c) for c in entry.children)), enabled=entry.enabled)
        command = entry.command
        action = self._action(command) if command is not None else None
        return p.MenuItem(entry.label, action, enabled=entry.enabled and command is not None, default=entry.default)

    def _action(self, command: Command) -> Callable[[Any, Any], None]:
        def act(icon: Any, item: Any) -> None:  # pystray's thread: hand over, never wait
            self.bridge.do(command, self._stop_daemon)

        return act

    # -- notifications ---------------------------------------------------------------------------------

    def tell(self, title: str, message: str) -> None:
        """A notification: pystray's own where the backend has one, else notify-send, else the log only."""
        log.info("notice: %s: %s", title, message)
        icon = self._icon
        if icon is None or not getattr(icon, "HAS_NOTIFICATION", False):
            threading.Thread(target=notify_send, args=(title, message, self._environ), daemon=True).start()
        elif self._platform == "darwin":
            from PyObjCTools import AppHelper

            AppHelper.callAfter(icon.notify, message, title)
        else:
            with self._lock:
                self._notices.append((title, message))
                self._wake.notify_all()

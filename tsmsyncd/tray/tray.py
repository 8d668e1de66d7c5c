"""The pystray adapter: the icon on the main thread, its menu built from ``menu.TrayView``, and updates and
notifications delivered without ever blocking the event loop.

``load_backend`` says whether a tray can work here at all (a display, a backend that imports, on X11 a
program that owns the system tray) and why not, so ``run`` can fall back to headless with one log line:
``import pystray`` raises at import time without a display (Xlib's DisplayNameError, pystray #121) and a
broken backend raises other errors than ImportError (email-oauth2-proxy #204), so every exception counts.

Threads: ``Tray.run`` blocks the main thread in pystray's loop (macOS demands it). The loop thread hands
views to ``show``: an updater thread applies them, since pystray's X11 backend runs each update on its own
loop thread and waits for it; on macOS they go to the main thread (``AppHelper.callAfter``: AppKit kills a
process that changes its status item from another thread, serena #2038). Menu callbacks run on pystray's
thread and only hand the command to the loop (``Bridge.do``). ``stop`` works from any thread, even before
pystray's loop has started (pystray's own ``stop`` does nothing then, so ``run`` would never return).
"""

from __future__ import annotations

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
        return f"the tray backend did not load ({type(exc).__name__}: {' '.join(str(exc).split())[:160]})"
    backend = str(getattr(pystray.Icon, "__module__", ""))  # pystray._xorg, ._win32, ...
    if backend.endswith("_dummy"):
        return "pystray's dummy backend was chosen (PYSTRAY_BACKEND=dummy)"
    if backend.endswith("_xorg") and not _x11_tray_owner(environ, wait):
        return (f"no system tray on display {environ.get('DISPLAY')} (no program owns _NET_SYSTEM_TRAY_S0 "
                f"after {wait:.0f} s)")
    module: ModuleType = pystray
    return module


def _x11_tray_owner(environ: Mapping[str, str], wait: float) -> bool:
    """Whether a program owns the X11 system tray selection, waiting up to ``wait`` seconds for one."""
    import Xlib.display
    import Xlib.X

    display = Xlib.display.Display(environ.get("DISPLAY"))
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


class Tray:
    """The icon. ``stop_daemon`` is the daemon's thread-safe stop (what Quit calls)."""

    def __init__(self, pystray: ModuleType, stop_daemon: Callable[[], None], *,
                 environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> None:
        self._pystray, self._stop_daemon, self._platform = pystray, stop_daemon, platform
        self._environ = dict(os.environ if environ is None else environ)
        self.bridge = Bridge(self.show, self.tell)
        self._images: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._ready = False
        self._quit = False
        self._icon: Any = None
        self._next: TrayView | None = starting_view()
        self._wake = threading.Condition(self._lock)
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
        if self._platform != "darwin":
            threading.Thread(target=self._updates, name="tsmsyncd-tray-updates", daemon=True).start()
        self._icon.run(setup=self._setup)

    def _setup(self, icon: Any) -> None:  # pystray's setup thread, once its loop runs; must return
        with self._lock:
            self._ready = True
            quit_now = self._quit
            self._wake.notify_all()
        if quit_now:
            icon.stop()
            return
        icon.visible = True
        log.info("tray icon shown (%s)", type(icon).__module__.rsplit(".", 1)[-1].lstrip("_"))

    def stop(self) -> None:
        """Leave pystray's loop (any thread); ``run`` returns."""
        with self._lock:
            self._quit = True
            ready = self._ready
            self._wake.notify_all()
        if ready and self._icon is not None:
            self._icon.stop()

    # -- views -----------------------------------------------------------------------------------------

    def show(self, view: TrayView) -> None:
        """The newest view; applied off the caller's thread (the loop must never wait for the tray)."""
        if self._platform == "darwin":
            from PyObjCTools import AppHelper  # pystray's macOS backend needs PyObjC: it is there

            AppHelper.callAfter(self._apply, view)
            return
        with self._lock:
            self._next = view
            self._wake.notify_all()

    def _updates(self) -> None:
        while True:
            with self._lock:
                while not self._quit and (self._next is None or not self._ready):
                    self._wake.wait()
                if self._quit:
                    return
                view, self._next = self._next, None
            assert view is not None
            try:
                self._apply(view)
            except Exception:  # the icon went away under us (a panel restart): the next view tries again
                log.exception("tray: updating the icon failed")

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
        if not str(getattr(self._pystray.Icon, "__module__", "")).endswith("_xorg"):
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
        if icon is not None and self._ready and getattr(icon, "HAS_NOTIFICATION", False):
            threading.Thread(target=self._notify_icon, args=(icon, title, message), daemon=True).start()
            return
        threading.Thread(target=notify_send, args=(title, message, self._environ), daemon=True).start()

    def _notify_icon(self, icon: Any, title: str, message: str) -> None:
        try:
            if self._platform == "darwin":
                from PyObjCTools import AppHelper

                AppHelper.callAfter(icon.notify, message, title)
            else:
                icon.notify(message, title)
        except Exception:  # a notification is never worth a crash
            log.exception("tray: the notification failed")

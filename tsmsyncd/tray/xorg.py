"""Running code on pystray's X11 loop thread, so that only that thread ever uses pystray's X connection.

pystray's X11 backend lets other threads change the icon by sending a message to its own window over its
one python-xlib connection and waiting for the loop thread's answer. python-xlib's threaded mode
deadlocks when that send meets the loop thread's own round trip (an Expose handler asking the window's
geometry): measured here, a thread that shows the icon, changes it and stops it hung 3 runs in 40 under
Xvfb, and the daemon's Quit with it. So ``X11Calls.soon`` queues the job and wakes the loop thread with a
client message sent over a connection of its own; the loop thread runs the jobs (pystray then calls its
methods directly, being on its own thread). 0 hangs in 100 runs of the same test.

It uses three private attributes of pystray 0.19's X11 ``Icon`` (``_display``, ``_window``,
``_message_handlers``; pyproject pins pystray below 0.20); ``install`` answers None when they are not
there, and the caller then calls pystray as documented.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["X11Calls"]

log = logging.getLogger(__name__)
WAKE_ATOM = "_TSMSYNCD_TRAY_RUN"
Job = Callable[[], None]


class X11Calls:
    """Jobs for pystray's X11 loop thread. ``soon`` may be called from one thread at a time (the tray's)."""

    def __init__(self, icon: Any, display_name: str | None, atom: int) -> None:
        self._icon, self._display_name, self._atom = icon, display_name, atom
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._poke: Any = None  # the sending side's own connection, opened by the first ``soon``
        self._lock = threading.Lock()

    @classmethod
    def install(cls, icon: Any, display_name: str | None) -> X11Calls | None:
        """Hook into ``icon`` (before ``icon.run``); None if this pystray is not the one we know."""
        try:
            from Xlib import X

            handlers: dict[int, Callable[[Any], None]] = icon._message_handlers
            atom = int(icon._display.intern_atom(WAKE_ATOM))
            pystrays_own = handlers[X.ClientMessage]
        except (AttributeError, KeyError, ImportError) as exc:
            log.info("tray: pystray's X11 internals are not as expected (%s); calling it from our thread", exc)
            return None
        calls = cls(icon, display_name, atom)

        def on_message(event: Any) -> None:  # pystray's loop thread
            if getattr(event, "client_type", None) == atom:
                calls.run_jobs()
            else:
                pystrays_own(event)

        handlers[X.ClientMessage] = on_message
        return calls

    def soon(self, job: Job) -> None:
        """Run ``job`` on pystray's loop thread; returns at once."""
        from Xlib import X, display
        from Xlib.protocol import event

        self._jobs.put(job)
        with self._lock:
            if self._poke is None:
                self._poke = display.Display(self._display_name)
                self._poke.set_error_handler(lambda *_: None)  # the icon's window already gone: nothing to do
            window = self._poke.create_resource_object("window", self._icon._window.id)
            wake = event.ClientMessage(window=window, client_type=self._atom, data=(32, [0, 0, 0, 0, 0]))
            window.send_event(wake, event_mask=X.NoEventMask)  # no mask: to the window's creator, pystray
            self._poke.flush()

    def run_jobs(self) -> None:
        """Every job queued so far (on pystray's loop thread). A job's error is logged: one that escaped
        would end pystray's loop, and with it the icon."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            try:
                job()
            except Exception:
                log.exception("tray: changing the icon failed")

    def close(self) -> None:
        """Close the sending connection, once the server has handled what it sent: a connection closed
        right after a send lost that message in 1 run of 5 here (the last one, Quit's stop)."""
        with self._lock:
            poke, self._poke = self._poke, None
        if poke is not None:
            try:
                poke.sync()
            finally:
                poke.close()

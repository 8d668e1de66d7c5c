"""``python xembed_tray.py DISPLAY``: a minimal system tray host, for the tray tests, in python-xlib (which
pystray brings), so no panel program has to be installed.

It does what a panel's tray does by the freedesktop System Tray Protocol 0.3 and XEmbed: it owns the
selection ``_NET_SYSTEM_TRAY_S<screen>`` with a window of its own (class ``tsmsyncdTestTray``), announces
itself with a ``MANAGER`` client message on the root window, and for every ``_NET_SYSTEM_TRAY_OPCODE``
``SYSTEM_TRAY_REQUEST_DOCK`` it reparents the icon's window into its own, gives it a 24 px slot, maps it
and tells it ``XEMBED_EMBEDDED_NOTIFY``. A repeated request for a window already docked keeps its slot.

It prints one line per step, flushed, for the test to wait on: ``ready <tray window>`` once it owns the
selection, ``docked <icon window>`` per dock request (a repeat prints again), ``gone <icon window>`` when
a docked window is destroyed. It runs until killed.
"""

from __future__ import annotations

import sys

from Xlib import X, display
from Xlib.protocol import event

SLOT = 24
REQUEST_DOCK = 0  # _NET_SYSTEM_TRAY_OPCODE's first message
EMBEDDED_NOTIFY = 0  # XEMBED's first message
WM_CLASS = ("tsmsyncd-test-tray", "tsmsyncdTestTray")


def say(*words: object) -> None:
    print(*words, flush=True)


def main(name: str) -> None:
    d = display.Display(name)
    d.set_error_handler(lambda *_: None)  # an icon window that went away while we worked on it
    screen = d.screen()
    tray = screen.root.create_window(0, 0, 8 * SLOT, SLOT, 0, screen.root_depth, X.InputOutput,
                                     background_pixel=screen.white_pixel,
                                     event_mask=X.StructureNotifyMask | X.SubstructureNotifyMask)
    tray.set_wm_class(*WM_CLASS)
    tray.set_wm_name("test tray")
    tray.map()
    selection = d.intern_atom(f"_NET_SYSTEM_TRAY_S{d.get_default_screen()}")
    opcode, xembed = d.intern_atom("_NET_SYSTEM_TRAY_OPCODE"), d.intern_atom("_XEMBED")
    tray.set_selection_owner(selection, X.CurrentTime)
    d.sync()
    if d.get_selection_owner(selection) != tray:
        sys.exit(f"another program owns _NET_SYSTEM_TRAY_S{d.get_default_screen()} on {name}")
    announce = event.ClientMessage(window=screen.root, client_type=d.intern_atom("MANAGER"),
                                   data=(32, [X.CurrentTime, selection, tray.id, 0, 0]))
    screen.root.send_event(announce, event_mask=X.StructureNotifyMask)
    d.sync()
    say("ready", tray.id)
    slots: dict[int, int] = {}  # icon window id -> its slot
    while True:
        e = d.next_event()
        if e.type == X.ClientMessage and e.client_type == opcode and e.data[1][1] == REQUEST_DOCK:
            icon = d.create_resource_object("window", e.data[1][2])
            slot = slots.setdefault(icon.id, len(slots))
            icon.reparent(tray, slot * SLOT, 0)
            icon.configure(width=SLOT, height=SLOT)
            icon.map()
            notify = event.ClientMessage(window=icon, client_type=xembed,
                                         data=(32, [X.CurrentTime, EMBEDDED_NOTIFY, 0, tray.id, 0]))
            icon.send_event(notify, event_mask=X.NoEventMask)
            d.sync()
            say("docked", icon.id)
        elif e.type == X.DestroyNotify and e.window.id in slots:
            say("gone", e.window.id)


if __name__ == "__main__":
    main(sys.argv[1])

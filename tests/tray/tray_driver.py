"""``python tray_driver.py run ...``: the real ``tsmsyncd`` command line in this process, plus a way for the
test to press the tray's menu items.

pystray's X11 backend shows no menu (only a click: the default item), so the test cannot pick "Refresh now"
with a pointer. Instead this wraps pystray's ``Icon`` class (a subclass that only remembers its instances)
and reads labels on stdin, one per line: for each it finds that item in the icon's own menu, the one
tsmsyncd built, and calls it as pystray does when the player clicks it (``item(icon)``: the same callback,
disabled items refused). It answers ``ok <label>`` or ``missing <label>`` on stdout.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import pystray

icons: list[Any] = []
_Real = pystray.Icon


class RecordingIcon(_Real):  # type: ignore[misc,valid-type]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        icons.append(self)


RecordingIcon.__module__ = _Real.__module__  # tsmsyncd checks the backend by the class's module
pystray.Icon = RecordingIcon


def find(menu: Any, label: str) -> Any:
    for item in menu.items if menu else ():
        if item.text.startswith(label):
            return item
        found = find(item.submenu, label) if item.submenu else None
        if found is not None:
            return found
    return None


def drive() -> None:
    for line in sys.stdin:
        label = line.strip()
        icon = icons[-1] if icons else None
        item = find(icon.menu, label) if icon is not None else None
        if item is None or not item.enabled:
            print(f"missing {label}", flush=True)
            continue
        item(icon)
        print(f"ok {label}", flush=True)


if __name__ == "__main__":
    threading.Thread(target=drive, daemon=True).start()
    from tsmsyncd.cli import main

    sys.exit(main(sys.argv[1:]))

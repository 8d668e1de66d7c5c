"""Looking at an X display from the outside, as a panel would (python-xlib, which pystray brings): which
windows are docked in the tray and what they are called, what one shows, and a click sent to one; ``xvfb``,
a fresh X server; and ``TrayHost``, the test's system tray (``xembed_tray.py`` in a process of its own) with
what it reported. Used by the tray tests and the bundle's (``tests/installers``)."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from Xlib import X, display
from Xlib.protocol import event

from tsmsyncd.tray.icons import tray_image
from tsmsyncd.tray.menu import IconState

HOST = Path(__file__).resolve().parent / "xembed_tray.py"


def need(program: str, package: str) -> str:
    """The program's path; without it the test skips saying what to install, or fails under TSMSYNCD_CI=1
    (CI must have installed it: .ci/run)."""
    path = shutil.which(program)
    if path:
        return path
    message = f"{program} is not installed (Debian: apt-get install -y {package})"
    if os.environ.get("TSMSYNCD_CI") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """A fresh Xvfb on a display number it picks itself (``-displayfd``), e.g. ``:5``."""
    program = need("Xvfb", "xvfb")
    read, write = os.pipe()
    proc = subprocess.Popen([program, "-displayfd", str(write), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    try:
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read], [], [], 30)
            chunk = os.read(read, 16) if ready else b""
            if not chunk:
                raise AssertionError("Xvfb did not start (no display number within 30 s)")
            number += chunk
        yield f":{int(number)}"
    finally:
        os.close(read)
        proc.terminate()
        proc.wait(10)


@dataclass(frozen=True)
class Docked:
    window: int
    title: str  # the icon's tooltip: pystray's X11 backend keeps it as the window's name
    in_tray: bool  # a child of the tray host's window, not of the root: really docked


def icon_windows(name: str, tray: int, wm_class: str = "tsmsyncdSystemTrayIcon") -> list[Docked]:
    """Every window of that class on display ``name`` and whether it sits inside the window ``tray`` (the
    tray host's), as the X server itself reports the window tree."""
    d = display.Display(name)
    found: list[Docked] = []
    try:
        root = d.screen().root

        def walk(window: object, inside: bool) -> None:
            try:
                children = window.query_tree().children  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001  # a window that went away while we looked
                return
            for child in children:
                try:
                    classes = child.get_wm_class() or ()
                    title = child.get_wm_name() or ""
                except Exception:  # noqa: BLE001  # the same
                    continue
                if wm_class in classes:
                    found.append(Docked(child.id, str(title), inside))
                walk(child, inside or child.id == tray)

        walk(root, False)
    finally:
        d.close()
    return found


def pixels(name: str, window: int) -> Image.Image:
    """What ``window`` shows now, as an RGB picture (read back from the X server)."""
    d = display.Display(name)
    try:
        target = d.create_resource_object("window", window)
        size = target.get_geometry()
        raw = target.get_image(0, 0, size.width, size.height, X.ZPixmap, 0xFFFFFFFF)
        return Image.frombytes("RGB", (size.width, size.height), raw.data, "raw", "BGRX")
    finally:
        d.close()


def shown_state(picture: Image.Image) -> tuple[IconState, float]:
    """The state whose icon ``picture`` is closest to, and how far (mean difference per channel, 0-255).
    pystray's X11 backend scales our image to the window and pastes it on black (X11 icons have no alpha):
    the same is done here to each state's icon."""
    distances = {}
    for state in IconState:
        expected = Image.new("RGB", picture.size)
        expected.paste(tray_image(state).resize(picture.size, Image.Resampling.LANCZOS))
        distances[state] = sum(ImageStat.Stat(ImageChops.difference(picture, expected)).mean) / 3
    best = min(distances, key=lambda s: distances[s])
    return best, distances[best]


def click(name: str, window: int) -> None:
    """A left click on ``window``, sent to the program that made it (XSendEvent with no mask goes to the
    window's creator): what pystray's X11 backend takes as activating the icon. It returns once the server
    has handled the send (``sync``, a round trip): closed right after the send, the connection lost the click
    in 3 runs of 14 under a CPU hog (the one traced came 65 ms after an icon change, while pystray may hold a
    server grab to find the tray); 0 lost in 16 with the sync. tsmsyncd's own sender (``tray/xorg.py``)
    closes the same way."""
    d = display.Display(name)
    try:
        target = d.create_resource_object("window", window)
        press = event.ButtonPress(time=X.CurrentTime, root=d.screen().root, window=target, same_screen=1,
                                  child=X.NONE, root_x=1, root_y=1, event_x=1, event_y=1, state=0, detail=1)
        target.send_event(press, event_mask=0)
        d.sync()
    finally:
        d.close()


class TrayHost:
    """``xembed_tray.py`` on a display: the system tray tsmsyncd's icon docks in, and what it reported."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.proc = subprocess.Popen([sys.executable, str(HOST), display], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self._partial = b""
        deadline = time.monotonic() + 30
        while not any(line.startswith("ready ") for line in self.lines):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                assert self.proc.stderr is not None
                raise AssertionError(f"the test tray did not start: {self.proc.stderr.read().decode(errors='replace')}")
            self.read(1.0)
        self.window = int(self.lines[0].split()[1])

    def read(self, wait: float = 0.0) -> list[str]:
        """Every line the host printed so far (waiting up to ``wait`` seconds for more)."""
        assert self.proc.stdout is not None
        out = self.proc.stdout.fileno()
        while select.select([out], [], [], wait)[0]:
            chunk = os.read(out, 4096)
            if not chunk:
                break
            self._partial += chunk
            *done, self._partial = self._partial.split(b"\n")
            self.lines += [line.decode() for line in done]
            wait = 0.0
        return self.lines

    def docked(self) -> list[int]:
        """The windows that asked to dock, in order (a repeated request counts again)."""
        return [int(line.split()[1]) for line in self.read() if line.startswith("docked ")]

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

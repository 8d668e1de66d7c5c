"""A real X server (Xvfb) and a system tray on it (``xembed_tray.py``, written for the tests in python-xlib),
for the tray tests. Without Xvfb they skip with one line saying what to install, except under
TSMSYNCD_CI=1, where CI must have installed it (.ci/run) and its absence fails."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.append(str(Path(__file__).resolve().parent))  # xwindows, for the tests and the fixture below
if TYPE_CHECKING:
    from xwindows import TrayHost


def need(program: str, package: str) -> str:
    path = shutil.which(program)
    if path:
        return path
    message = f"{program} is not installed (Debian: apt-get install -y {package})"
    if os.environ.get("TSMSYNCD_CI") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def xdisplay() -> Iterator[str]:
    """A fresh Xvfb on a display number it picks itself (``-displayfd``), e.g. ``:5``."""
    xvfb = need("Xvfb", "xvfb")
    read, write = os.pipe()
    proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    try:
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read], [], [], 30)
            chunk = os.read(read, 16) if ready else b""
            if not chunk:
                pytest.fail("Xvfb did not start (no display number within 30 s)")
            number += chunk
        yield f":{int(number)}"
    finally:
        os.close(read)
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def tray_host(xdisplay: str) -> Iterator[TrayHost]:
    """A system tray on that display (``xembed_tray.py``), once it owns the tray selection."""
    from xwindows import TrayHost

    host = TrayHost(xdisplay)
    try:
        yield host
    finally:
        host.close()

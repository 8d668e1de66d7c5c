"""A real X server (Xvfb) and a system tray on it (``xembed_tray.py``, written for the tests in python-xlib),
for the tray tests. Without Xvfb they skip with one line saying what to install, except under
TSMSYNCD_CI=1, where CI must have installed it (.ci/run) and its absence fails."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parent))  # xwindows, for the tests and the fixtures below

from xwindows import TrayHost, xvfb  # noqa: E402


@pytest.fixture
def xdisplay() -> Iterator[str]:
    with xvfb() as display:
        yield display


@pytest.fixture
def tray_host(xdisplay: str) -> Iterator[TrayHost]:
    """A system tray on that display (``xembed_tray.py``), once it owns the tray selection."""
    host = TrayHost(xdisplay)
    try:
        yield host
    finally:
        host.close()

"""The frozen app's entry point (PyInstaller runs this file as ``__main__``).

Started with no arguments (a Start-menu entry, a double click, the macOS app) it runs ``tsmsyncd run``: the
tray and the browser. Any arguments are the ``tsmsyncd`` command line, so every subcommand works, the
hidden ``_worker`` and ``_worker --serve`` the daemon starts included (``sync/runner.py`` starts
``sys.executable _worker`` when ``sys.frozen`` is set). A leading ``-m tsmsyncd``, which code written for a
Python interpreter passes to ``sys.executable``, is dropped, so such a command means the same here.
"""

import sys


def _arguments(argv: list[str]) -> list[str]:
    words = argv[1:]
    if words[:2] == ["-m", "tsmsyncd"]:
        words = words[2:]
    words = [w for w in words if not w.startswith("-psn_")]  # what older macOS adds when Finder starts an app
    return words or ["run"]


if __name__ == "__main__":
    sys.argv[1:] = _arguments(sys.argv)
    from tsmsyncd.cli import run

    run()

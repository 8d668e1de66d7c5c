"""What the tray asks of the desktop besides the icon: the clipboard, opening a folder, and a notification
when the tray backend cannot show one. Blocking calls, made from worker threads, never from the loop.

    clipboard     pyperclip (Windows through its API, macOS pbcopy, X11 xclip/xsel, Wayland wl-copy);
                  ``ClipboardUnavailable`` when the system has none of them (the tray then opens the
                  Groups page, where the string can be copied by hand, and says so)
    open folder   os.startfile on Windows, ``open`` on macOS, ``xdg-open`` elsewhere
    notify-send   libnotify's tool, for Linux backends without notifications (pystray's X11 backend)
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tsmsyncd.errors import InputError

__all__ = ["ClipboardUnavailable", "copy_text", "notify_send", "open_folder"]

log = logging.getLogger(__name__)
TIMEOUT = 15.0


class ClipboardUnavailable(InputError):
    """This system has no clipboard tsmsyncd can reach (no display, or no xclip/xsel/wl-copy)."""


def copy_text(text: str) -> None:
    """Put ``text`` on the system clipboard, or raise ClipboardUnavailable saying why."""
    try:
        import pyperclip
    except ImportError as exc:  # a build without it: the fallback still works
        raise ClipboardUnavailable("the clipboard module (pyperclip) is not installed") from exc
    try:
        copy, _ = pyperclip.determine_clipboard()  # afresh each time: pyperclip.copy keeps its first answer
        copy(text)
    except pyperclip.PyperclipException as exc:
        reason = " ".join(str(exc).split()) or "no clipboard program"
        raise ClipboardUnavailable(f"no clipboard is available ({reason[:160]})") from exc


def open_folder(folder: Path, environ: Mapping[str, str] | None = None) -> None:
    """Show ``folder`` in the file manager (made first if missing); InputError when nothing can open it."""
    folder.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        os.startfile(folder)  # type: ignore[attr-defined,unused-ignore]  # Windows only
        return
    program = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(program) is None:
        raise InputError(f"cannot open {folder}: {program} is not installed")
    _start([program, str(folder)], environ)


def notify_send(title: str, message: str, environ: Mapping[str, str] | None = None) -> bool:
    """A notification through libnotify's ``notify-send``; False when it is missing or failed."""
    program = shutil.which("notify-send", path=(environ or os.environ).get("PATH"))
    if program is None:
        return False
    try:
        done = subprocess.run([program, "--app-name=tsmsyncd", title, message], env=dict(environ or os.environ),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.info("notify-send failed: %s", exc)
        return False
    if done.returncode != 0:
        log.info("notify-send failed: %s", " ".join(done.stderr.decode(errors="replace").split())[:200])
    return done.returncode == 0


def _start(command: list[str], environ: Mapping[str, str] | None) -> None:
    """Start a helper that may outlive the call (a file manager) and do not wait for it."""
    try:
        child = subprocess.Popen(command, env=dict(environ or os.environ), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise InputError(f"cannot start {command[0]}: {exc.strerror or exc}") from exc
    try:
        child.wait(TIMEOUT)  # xdg-open hands over to the file manager and exits
    except subprocess.TimeoutExpired:
        child.returncode = 0  # still running (a file manager of its own): nobody waits for it, on purpose

"""What every autostart mechanism shares: the command tsmsyncd starts itself with, the status and change
records, the backend interface, the runner for systemctl/launchctl, and the one-file backend."""

from __future__ import annotations

import os
import subprocess
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from tsmsyncd.errors import InputError
from tsmsyncd.store.atomic import fsync_dir, write_atomic

APP_ID = "tsmsyncd"
MARKER_KEY = "X-Tsmsyncd"  # "X-" keys are ignored by desktops (desktop entry spec) and by systemd (systemd.unit(5))
LAUNCH_AGENT_LABEL = "io.github.tsmsyncd"
UNIT_NAME = f"{APP_ID}.service"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
# StartupApproved values are 12 bytes; Task Manager and Settings > Startup apps flip bit 0 of the first byte:
# 0x02 enabled -> 0x03 disabled (bytes 4-11 then hold the FILETIME of the change), 0x06 -> 0x07 likewise; a Run
# value with no StartupApproved value runs. Sources: superuser.com/questions/1766797 (traced Task Manager: enabled
# 02 00.., disabled 03 00 00 00 + timestamp), superuser.com/questions/1098450 (02->03 and 06->07 seen),
# windowsir.blogspot.com/2022/07/startupapprovedrun-pt-ii.html (a Run value without an approval value still ran).
APPROVED_ENABLED = bytes([0x02]) + bytes(11)
LABELS = {"xdg-autostart": "XDG autostart entry", "systemd-user": "systemd user unit",
          "launch-agent": "LaunchAgent", "windows-run": "Run value"}


@dataclass(frozen=True)
class AutostartStatus:
    """What is really there: ``enabled`` means it will start at the next login."""

    enabled: bool
    mechanism: str  # xdg-autostart | systemd-user | launch-agent | windows-run
    location: str  # a file path, or HKCU\...\Run\tsmsyncd
    command: tuple[str, ...] = ()
    detail: str = ""  # why it is off, or what is odd about it ("disabled in Task Manager", a program that is gone)
    present: bool = False  # something is at ``location``
    ours: bool = False  # ...and tsmsyncd wrote it

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "command": list(self.command)}


@dataclass(frozen=True)
class AutostartChange:
    """What ``on``/``off`` did: written, unchanged, removed, absent (nothing was there) or left-alone (not ours)."""

    action: str
    status: AutostartStatus
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"action": self.action, "status": self.status.as_json(), "notes": list(self.notes)}


class Backend(Protocol):
    mechanism: str

    def enable(self) -> AutostartChange: ...
    def disable(self) -> AutostartChange: ...
    def status(self) -> AutostartStatus: ...


@dataclass(frozen=True)
class Ran:
    """A finished helper command. ``returncode`` is None when the program is not installed."""

    returncode: int | None
    output: str = ""


Runner = Callable[[Sequence[str]], Ran]


def subprocess_runner(environ: Mapping[str, str]) -> Runner:
    """Run systemctl/launchctl for real, with ``environ`` (so XDG_CONFIG_HOME and PATH are the injected ones)."""

    def run(args: Sequence[str]) -> Ran:
        try:
            done = subprocess.run(list(args), env=dict(environ), capture_output=True, text=True, errors="replace",
                                  stdin=subprocess.DEVNULL, timeout=30, check=False)
        except FileNotFoundError:
            return Ran(None, f"{args[0]} was not found")
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Ran(-1, str(exc))
        return Ran(done.returncode, " ".join((done.stderr or done.stdout).split()))

    return run


# ---- the command ---------------------------------------------------------------------------------------------


def launch_command(executable: str | None = None, *, frozen: bool | None = None,
                   mode: str = "--minimized") -> list[str]:
    """How to start ourselves at login: ``[python, -m, tsmsyncd, run, --minimized]``, or the frozen app alone
    (PyInstaller sets ``sys.frozen``) followed by ``run --minimized``. ``mode`` is ``--headless`` for systemd."""
    executable = sys.executable if executable is None else executable
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    if not executable:
        raise InputError("cannot tell which program to start at login: Python did not report its path")
    program = os.path.abspath(executable)  # not resolve(): a venv's python is a symlink that must stay in the venv
    if frozen:
        return [_launcher(Path(program)) or program, "run", mode]
    return [program, "-m", APP_ID, "run", mode]


def _launcher(executable: Path) -> str | None:
    """The launcher of an updatable install (``store/bundle.py``): ``versions/<v>/tsmsyncd`` is removed by
    a later update, the launcher beside ``current`` stays and starts whichever version is current."""
    from tsmsyncd.store.bundle import find_bundle

    bundle = find_bundle(executable)
    if bundle is None:
        return None
    names = ("tsmsyncdw.exe", "tsmsyncd.exe") if sys.platform == "win32" else ("tsmsyncd",)
    return next((str(bundle.root / n) for n in names if (bundle.root / n).is_file()), None)


def _check_text(command: Sequence[str]) -> None:
    for arg in command:
        if any(ord(c) < 0x20 or c == "\x7f" for c in arg):
            raise InputError(f"cannot write an autostart entry for {arg!r}: it contains a control character")
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(f"cannot write an autostart entry for {arg!r}: the path is not valid UTF-8") from exc



def _state(command: Sequence[str], expected: Sequence[str], ours: bool, off_reason: str = "") -> tuple[bool, str]:
    """(enabled, detail) for an entry that is present: why it will not start, or what is odd about it."""
    notes = [] if ours else ["not written by tsmsyncd, so tsmsyncd leaves it alone"]
    if off_reason:
        return False, "; ".join([*notes, off_reason])
    if not command:
        return False, "; ".join([*notes, "it has no command to run"])
    if not os.path.exists(command[0]):
        return False, "; ".join([*notes, f"points at a program that no longer exists ({command[0]})"])
    if ours and list(command) != list(expected):
        notes.append(f"starts another copy of tsmsyncd ({command[0]}); `tsmsyncd autostart on` points it at this one")
    return True, "; ".join(notes)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data, mode=0o644)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)
    except OSError as exc:
        raise InputError(f"cannot remove {path}: {exc.strerror or exc}") from exc


def _foreign(status: AutostartStatus) -> InputError:
    why = f"is {status.detail}" if status.detail.startswith("not a valid") else "was not written by tsmsyncd"
    return InputError(f"{status.location} exists and {why}; move it away first, then turn autostart on")


class _FileBackend(ABC):
    """Shared on/off for mechanisms that are one file of ours: write if different, remove only if ours.
    Each mechanism says how it reads its state and renders its file."""

    mechanism = ""
    path: Path
    command: list[str]

    @abstractmethod
    def status(self) -> AutostartStatus: ...

    @abstractmethod
    def render(self) -> bytes: ...

    def after_write(self) -> tuple[str, ...]:
        return ()

    def before_remove(self) -> tuple[str, ...]:
        return ()

    def enable(self) -> AutostartChange:
        before = self.status()
        if before.present and not before.ours:
            raise _foreign(before)
        data = self.render()
        if _read(self.path) == data and before.enabled:
            return AutostartChange("unchanged", before)
        if not os.path.exists(self.command[0]):
            raise InputError(f"cannot turn autostart on: {self.command[0]} does not exist")
        _write(self.path, data)
        notes = self.after_write()
        return AutostartChange("written", self.status(), notes)

    def disable(self) -> AutostartChange:
        before = self.status()
        if not before.present:
            return AutostartChange("absent", before)
        if not before.ours:
            return AutostartChange("left-alone", before, (f"{self.path} was not written by tsmsyncd; not removed",))
        notes = self.before_remove()
        _remove(self.path)
        return AutostartChange("removed", self.status(), notes)



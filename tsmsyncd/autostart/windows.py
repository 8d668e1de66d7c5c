"""Windows: the per-user Run value, read together with Task Manager's StartupApproved state."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from typing import Protocol

from tsmsyncd.autostart.base import (
    APP_ID,
    APPROVED_ENABLED,
    APPROVED_KEY,
    RUN_KEY,
    AutostartChange,
    AutostartStatus,
    _check_text,
    _foreign,
    _state,
)
from tsmsyncd.errors import InputError

# ---- Windows: the per-user Run value -------------------------------------------------------------------------

_CONSOLE_PYTHON = re.compile(r"python(?P<version>[0-9.]*)\.exe", re.IGNORECASE)


def windows_run_value(command: Sequence[str]) -> str:
    """The exact command line written to the Run value: ``pythonw.exe`` for ``python.exe`` (no console window;
    a frozen ``tsmsyncd.exe`` is left as it is), quoted by Windows' rules (``subprocess.list2cmdline``)."""
    _check_text(command)
    program = command[0]
    name = re.split(r"[\\/]", program)[-1]
    match = _CONSOLE_PYTHON.fullmatch(name)
    if match:
        program = program[: len(program) - len(name)] + f"pythonw{match['version']}.exe"
    return subprocess.list2cmdline([program, *command[1:]])


def split_windows(line: str) -> list[str]:
    """Inverse of ``list2cmdline`` (the MS C runtime's rules): 2n backslashes + quote -> n and a quote toggle,
    2n+1 -> n and a literal quote, other backslashes literal."""
    args: list[str] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            j = i
            while j < len(line) and line[j] == "\\":
                j += 1
            if j < len(line) and line[j] == '"':
                current.append("\\" * ((j - i) // 2) + ('"' if (j - i) % 2 else ""))
                i = j + 1 if (j - i) % 2 else j
            else:
                current.append("\\" * (j - i))
                i = j
            started = True
            continue
        if c == '"':
            quoted, started = not quoted, True
        elif c in " \t" and not quoted:
            if started:
                args.append("".join(current))
                current, started = [], False
        else:
            current.append(c)
            started = True
        i += 1
    if started:
        args.append("".join(current))
    return args


class Registry(Protocol):
    """HKEY_CURRENT_USER, by subkey path. ``write`` stores str as REG_SZ and bytes as REG_BINARY."""

    def read(self, key: str, name: str) -> str | bytes | int | None: ...
    def write(self, key: str, name: str, value: str | bytes) -> None: ...
    def delete(self, key: str, name: str) -> None: ...


class WinRegistry:
    """The real HKCU through ``winreg``, imported only when used (it exists only on Windows)."""

    def read(self, key: str, name: str) -> str | bytes | int | None:
        import winreg

        if sys.platform != "win32":  # never true here (the import failed); tells the type checker winreg is whole
            raise ImportError("winreg exists only on Windows")
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                return winreg.QueryValueEx(handle, name)[0]
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InputError(f"cannot read HKCU\\{key}\\{name}: {exc.strerror or exc}") from exc

    def write(self, key: str, name: str, value: str | bytes) -> None:
        import winreg

        if sys.platform != "win32":  # never true here (the import failed); tells the type checker winreg is whole
            raise ImportError("winreg exists only on Windows")
        kind = winreg.REG_BINARY if isinstance(value, bytes) else winreg.REG_SZ
        try:
            with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.SetValueEx(handle, name, 0, kind, value)
        except OSError as exc:
            raise InputError(f"cannot write HKCU\\{key}\\{name}: {exc.strerror or exc}") from exc

    def delete(self, key: str, name: str) -> None:
        import winreg

        if sys.platform != "win32":  # never true here (the import failed); tells the type checker winreg is whole
            raise ImportError("winreg exists only on Windows")
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.DeleteValue(handle, name)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise InputError(f"cannot remove HKCU\\{key}\\{name}: {exc.strerror or exc}") from exc


def _task_manager_disabled(approved: object) -> bool:
    return isinstance(approved, bytes) and len(approved) > 0 and approved[0] & 0x01 == 1


class WindowsRunAutostart:
    """The value ``tsmsyncd`` under HKCU's Run key. Ours if it is text that names tsmsyncd. Turning it on also
    lifts Task Manager's "disabled" (the player asked for it); turning it off removes our approval value too."""

    mechanism = "windows-run"

    def __init__(self, command: Sequence[str], registry: Registry, name: str = APP_ID) -> None:
        self.command = list(command)
        self.registry = registry
        self.name = name
        self.location = f"HKCU\\{RUN_KEY}\\{name}"

    def status(self) -> AutostartStatus:
        value = self.registry.read(RUN_KEY, self.name)
        if value is None:
            return AutostartStatus(False, self.mechanism, self.location)
        if not isinstance(value, str):
            return AutostartStatus(False, self.mechanism, self.location, (), "the value is not text", True)
        ours = APP_ID in value.lower()
        command = tuple(split_windows(value))
        off = ""
        if _task_manager_disabled(self.registry.read(APPROVED_KEY, self.name)):
            off = "disabled in Task Manager (Startup apps); `tsmsyncd autostart on` turns it back on"
        enabled, detail = _state(command, split_windows(windows_run_value(self.command)), ours, off)
        return AutostartStatus(enabled, self.mechanism, self.location, command, detail, True, ours)

    def enable(self) -> AutostartChange:
        before = self.status()
        if before.present and not before.ours:
            raise _foreign(before)
        line = windows_run_value(self.command)
        program = split_windows(line)[0]
        if not os.path.exists(program):
            raise InputError(f"cannot turn autostart on: {program} does not exist")
        notes: tuple[str, ...] = ()
        changed = self.registry.read(RUN_KEY, self.name) != line
        if changed:
            self.registry.write(RUN_KEY, self.name, line)
        if _task_manager_disabled(self.registry.read(APPROVED_KEY, self.name)):
            self.registry.write(APPROVED_KEY, self.name, APPROVED_ENABLED)
            changed, notes = True, ("it had been disabled in Task Manager; it is enabled again",)
        return AutostartChange("written" if changed else "unchanged", self.status(), notes)

    def disable(self) -> AutostartChange:
        before = self.status()
        if before.present and not before.ours:
            return AutostartChange("left-alone", before, (f"{self.location} was not written by tsmsyncd; not removed",))
        self.registry.delete(APPROVED_KEY, self.name)  # ours by name; Task Manager leaves it behind otherwise
        if not before.present:
            return AutostartChange("absent", before)
        self.registry.delete(RUN_KEY, self.name)
        return AutostartChange("removed", self.status())



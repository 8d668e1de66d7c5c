"""Starting tsmsyncd at login: the command it runs, one small backend per mechanism, and the real state of each.

Owns the command autostart runs (``tsmsyncd run --minimized``: the tray, no browser; absolute paths only), the
files that hold it and the reading back of what is really there:

    Linux    ``$XDG_CONFIG_HOME/autostart/tsmsyncd.desktop`` (freedesktop autostart spec), or with ``--systemd`` a
             user unit ``$XDG_CONFIG_HOME/systemd/user/tsmsyncd.service`` enabled with ``systemctl --user``
    macOS    ``~/Library/LaunchAgents/<label>.plist``, then ``launchctl bootstrap gui/<uid>`` (best effort)
    Windows  the value ``tsmsyncd`` under ``HKCU\\...\\CurrentVersion\\Run``, read together with Task Manager's
             ``...\\Explorer\\StartupApproved\\Run``

Builders are pure (command in, text or bytes out). Backends get everything they touch injected (home, environ,
a runner for systemctl/launchctl, a registry accessor), so tests run every format in a temp home on any OS.
A file or value at our path that tsmsyncd did not write (no ``X-Tsmsyncd=1`` marker, another ``Label``) is
reported and never overwritten or removed. Autostart stays off until the player turns it on (prior-art.md §7).
"""

from __future__ import annotations

import os
import plistlib
import re
import subprocess
import sys
import xml.parsers.expat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from tsmsyncd.errors import InputError
from tsmsyncd.store.atomic import fsync_dir, write_atomic  # the one import of the atomic writer (may move to store/)

__all__ = [
    "APPROVED_KEY", "Autostart", "AutostartChange", "AutostartStatus", "Backend", "LABELS", "LAUNCH_AGENT_LABEL",
    "LaunchAgentAutostart", "MARKER_KEY", "RUN_KEY", "Ran", "Registry", "Runner", "SystemdAutostart", "WinRegistry",
    "WindowsRunAutostart", "XdgAutostart", "desktop_entry", "exec_value", "for_platform", "launch_agent_plist",
    "launch_command", "parse_exec", "parse_unit_exec", "split_windows", "subprocess_runner", "systemd_unit",
    "unit_exec_value", "windows_run_value", "xdg_config_home",
]

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

    def as_json(self) -> dict:
        return {**asdict(self), "command": list(self.command)}


@dataclass(frozen=True)
class AutostartChange:
    """What ``on``/``off`` did: written, unchanged, removed, absent (nothing was there) or left-alone (not ours)."""

    action: str
    status: AutostartStatus
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict:
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
    return [program, "run", mode] if frozen else [program, "-m", APP_ID, "run", mode]


def _check_text(command: Sequence[str]) -> None:
    for arg in command:
        if any(ord(c) < 0x20 or c == "\x7f" for c in arg):
            raise InputError(f"cannot write an autostart entry for {arg!r}: it contains a control character")
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(f"cannot write an autostart entry for {arg!r}: the path is not valid UTF-8") from exc


# ---- Linux: XDG autostart .desktop ---------------------------------------------------------------------------

_EXEC_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")  # desktop entry spec, "The Exec key"


def _exec_arg(arg: str) -> str:
    arg = arg.replace("%", "%%")
    if arg and not _EXEC_RESERVED.intersection(arg):
        return arg
    return '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'


def exec_value(command: Sequence[str]) -> str:
    """The ``Exec=`` value as written in the file: quoting rule first, then the string escape of ``\\``."""
    _check_text(command)
    return " ".join(_exec_arg(a) for a in command).replace("\\", "\\\\")


BACKSLASH = "\\"
_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def parse_exec(value: str) -> list[str]:
    """Inverse of :func:`exec_value` (and a fair reader of other Exec lines: field codes like ``%U`` dropped)."""
    text = re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m[1], m[0]), value)
    raw: list[str] = []
    current: list[str] = []
    quoted = started = False
    i = 0
    while i < len(text):
        c = text[i]
        if quoted and c == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            i += 1
        elif c == '"':
            quoted, started = not quoted, True
        elif c in " \t" and not quoted:
            if started:
                raw.append("".join(current))
                current, started = [], False
        else:
            current.append(c)
            started = True
        i += 1
    if started:
        raw.append("".join(current))
    return [re.sub(r"%(.)", lambda m: "%" if m[1] == "%" else "", a) for a in raw if not re.fullmatch(r"%[A-Za-z]", a)]


def desktop_entry(command: Sequence[str]) -> str:
    """Our XDG autostart entry. ``TryExec`` makes desktops skip it quietly if the program is gone."""
    return "\n".join([
        "# Written by `tsmsyncd autostart on`; remove it with `tsmsyncd autostart off`.",
        "[Desktop Entry]",
        "Type=Application",
        "Name=tsmsyncd",
        "GenericName=TradeSkillMaster group sync",
        "Comment=Keeps TradeSkillMaster groups in sync with the auction house; starts in the tray",
        f"Exec={exec_value(command)}",
        f"TryExec={command[0].replace(BACKSLASH, BACKSLASH * 2)}",  # a string value: only "\\" needs escaping
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
        f"{MARKER_KEY}=1",
        "",
    ])


def _sections(data: bytes) -> dict[str, dict[str, str]]:
    """``[group]`` + ``key=value`` files (desktop entries, systemd units). ValueError says what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("it is not UTF-8 text") from exc
    sections: dict[str, dict[str, str]] = {}
    group: dict[str, str] | None = None
    for number, line in enumerate(text.split("\n"), 1):  # "\n" only: a path may hold U+2028 or U+0085
        line = line.strip(" \t\r")
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            group = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        if not sep or group is None:
            raise ValueError(f"line {number} is neither a [group] nor a key=value line")
        group[key.strip(" \t")] = value.strip(" \t")
    return sections


def xdg_config_home(home: Path, environ: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME`` if it is absolute (the base-dir spec says to ignore relative ones), else ``~/.config``."""
    value = environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if value and os.path.isabs(value) else home / ".config"


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


class _FileBackend:
    """Shared on/off for mechanisms that are one file of ours: write if different, remove only if ours."""

    mechanism = ""
    path: Path
    command: list[str]

    def status(self) -> AutostartStatus:
        raise NotImplementedError

    def render(self) -> bytes:
        raise NotImplementedError

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


class XdgAutostart(_FileBackend):
    """``$XDG_CONFIG_HOME/autostart/tsmsyncd.desktop``. Read like a desktop does: ``Hidden=true`` means the entry
    is to be ignored (autostart spec), ``X-GNOME-Autostart-enabled=false`` is GNOME's "off" switch."""

    mechanism = "xdg-autostart"

    def __init__(self, config_home: Path, command: Sequence[str]) -> None:
        self.path = config_home / "autostart" / f"{APP_ID}.desktop"
        self.command = list(command)

    def render(self) -> bytes:
        return desktop_entry(self.command).encode("utf-8")

    def status(self) -> AutostartStatus:
        data = _read(self.path)
        if data is None:
            return AutostartStatus(False, self.mechanism, str(self.path))
        try:
            entry = _sections(data).get("Desktop Entry")
            if entry is None:
                raise ValueError("it has no [Desktop Entry] group")
        except ValueError as exc:
            return AutostartStatus(False, self.mechanism, str(self.path), (), f"not a valid desktop entry: {exc}",
                                   present=True)
        command = tuple(parse_exec(entry.get("Exec", "")))
        ours = entry.get(MARKER_KEY) == "1"
        off = ""
        if entry.get("Hidden", "").lower() == "true":
            off = "hidden (Hidden=true): desktops ignore it"
        elif entry.get("X-GNOME-Autostart-enabled", "true").lower() == "false":
            off = "switched off in the desktop's startup settings (X-GNOME-Autostart-enabled=false)"
        enabled, detail = _state(command, self.command, ours, off)
        return AutostartStatus(enabled, self.mechanism, str(self.path), command, detail, True, ours)


# ---- Linux: systemd user unit --------------------------------------------------------------------------------


def _unit_arg(arg: str, program: bool = False) -> str:
    # % starts a specifier everywhere; $ a variable in arguments only: the program path is taken literally
    # (systemd.service(5) "Command lines"; `systemd-analyze verify` shows a "$$" in the path as it is).
    arg = arg.replace("%", "%%") if program else arg.replace("%", "%%").replace("$", "$$")
    if arg and not re.search(r"[\s\"'\\;]", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unit_exec_value(command: Sequence[str]) -> str:
    _check_text(command)
    return " ".join(_unit_arg(a, program=i == 0) for i, a in enumerate(command))


def parse_unit_exec(value: str) -> list[str]:
    """Inverse of :func:`unit_exec_value`: whitespace-split, double or single quotes, backslash escapes."""
    args: list[str] = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|(\S+)', value):
        quoted = m[1] if m[1] is not None else m[2]
        arg = (re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else m[3]).replace("%%", "%")
        args.append(arg.replace("$$", "$") if args else arg)
    return args


def systemd_unit(command: Sequence[str]) -> str:
    """A user unit for ``tsmsyncd run --headless``. ``Restart=on-abnormal``: restart after a crash or a kill, not
    after exit 1, which means "refused" (another daemon already runs, settings are wrong) and would loop."""
    return "\n".join([
        "# Written by `tsmsyncd autostart on --systemd`; remove it with `tsmsyncd autostart off`.",
        "[Unit]",
        "Description=tsmsyncd: keeps TradeSkillMaster groups in sync with the auction house",
        f"{MARKER_KEY}=1",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={unit_exec_value(command)}",
        "Restart=on-abnormal",
        "RestartSec=30",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ])


class SystemdAutostart(_FileBackend):
    """``$XDG_CONFIG_HOME/systemd/user/tsmsyncd.service``, enabled by ``systemctl --user enable`` (which links it
    into ``default.target.wants/``; status reads that link, so it needs no running systemd)."""

    mechanism = "systemd-user"

    def __init__(self, config_home: Path, command: Sequence[str], runner: Runner) -> None:
        self.path = config_home / "systemd" / "user" / UNIT_NAME
        self.wants = config_home / "systemd" / "user" / "default.target.wants" / UNIT_NAME
        self.command = list(command)
        self.runner = runner

    def render(self) -> bytes:
        return systemd_unit(self.command).encode("utf-8")

    def status(self) -> AutostartStatus:
        data = _read(self.path)
        if data is None:
            return AutostartStatus(False, self.mechanism, str(self.path))
        try:
            sections = _sections(data)
        except ValueError as exc:
            return AutostartStatus(False, self.mechanism, str(self.path), (), f"not a valid unit file: {exc}",
                                   present=True)
        ours = sections.get("Unit", {}).get(MARKER_KEY) == "1"
        command = tuple(parse_unit_exec(sections.get("Service", {}).get("ExecStart", "")))
        off = "" if os.path.lexists(self.wants) else f"installed but not enabled (systemctl --user enable {UNIT_NAME})"
        enabled, detail = _state(command, self.command, ours, off)
        return AutostartStatus(enabled, self.mechanism, str(self.path), command, detail, True, ours)

    def _systemctl(self, *args: str) -> str:
        """'' when it worked, else a one-line note (systemctl missing or failing never fails our command)."""
        ran = self.runner(["systemctl", "--user", *args])
        if ran.returncode is None:
            return f"systemctl was not found: run `systemctl --user {' '.join(args)}` where systemd is installed"
        return "" if ran.returncode == 0 else f"`systemctl --user {' '.join(args)}` failed: {ran.output}"

    def after_write(self) -> tuple[str, ...]:
        failed = self._systemctl("enable", UNIT_NAME)
        if failed:
            return (failed,)
        reload = self._systemctl("daemon-reload")
        start = f"it starts at your next login; to start it now: systemctl --user start {UNIT_NAME}"
        return (start, *([f"systemd was not reloaded ({reload}); it reads the unit at next login"] if reload else []))

    def before_remove(self) -> tuple[str, ...]:
        self._systemctl("disable", UNIT_NAME)
        if os.path.lexists(self.wants):  # systemctl missing or failing: the link is ours, in our config folder
            _remove(self.wants)
        return ()


# ---- macOS: LaunchAgent --------------------------------------------------------------------------------------


def launch_agent_plist(command: Sequence[str], label: str = LAUNCH_AGENT_LABEL) -> bytes:
    """An XML plist: ``RunAtLoad`` starts it at login; ``ProcessType=Interactive`` gives it an app's priority."""
    _check_text(command)
    return plistlib.dumps({"Label": label, "ProgramArguments": list(command), "RunAtLoad": True,
                           "ProcessType": "Interactive"})


class LaunchAgentAutostart(_FileBackend):
    """``~/Library/LaunchAgents/<label>.plist``. launchctl is best effort: the file alone makes launchd start it at
    the next login. Note that ``bootstrap`` starts it now as well (RunAtLoad; a second daemon exits at once on the
    single-instance lock) and ``bootout`` stops a copy that launchd started."""

    mechanism = "launch-agent"

    def __init__(self, home: Path, command: Sequence[str], runner: Runner, uid: int | None = None,
                 label: str = LAUNCH_AGENT_LABEL) -> None:
        self.path = home / "Library" / "LaunchAgents" / f"{label}.plist"
        self.command = list(command)
        self.runner = runner
        self.uid = uid
        self.label = label

    def render(self) -> bytes:
        return launch_agent_plist(self.command, self.label)

    def status(self) -> AutostartStatus:
        data = _read(self.path)
        if data is None:
            return AutostartStatus(False, self.mechanism, str(self.path))
        try:
            agent = plistlib.loads(data)
            if not isinstance(agent, dict):
                raise ValueError("it is not a dictionary")
        except (plistlib.InvalidFileException, ValueError, xml.parsers.expat.ExpatError) as exc:
            return AutostartStatus(False, self.mechanism, str(self.path), (), f"not a valid property list: {exc}",
                                   present=True)
        arguments = agent.get("ProgramArguments")
        command = tuple(str(a) for a in arguments) if isinstance(arguments, list) else ()
        off = "Disabled is true in the plist" if agent.get("Disabled") is True else ""
        if not off and agent.get("RunAtLoad") is not True:
            off = "RunAtLoad is not true, so it does not start at login"
        enabled, detail = _state(command, self.command, agent.get("Label") == self.label, off)
        return AutostartStatus(enabled, self.mechanism, str(self.path), command, detail, True,
                               agent.get("Label") == self.label)

    def _domain(self) -> str:
        uid = self.uid if self.uid is not None else os.getuid()  # only ever called on macOS
        return f"gui/{uid}"

    def after_write(self) -> tuple[str, ...]:
        self.runner(["launchctl", "bootout", f"{self._domain()}/{self.label}"])  # an older copy may be loaded
        ran = self.runner(["launchctl", "bootstrap", self._domain(), str(self.path)])
        if ran.returncode == 0:
            return ()
        why = "launchctl was not found" if ran.returncode is None else f"launchctl bootstrap failed: {ran.output}"
        return (f"{why}; launchd loads the agent at your next login",)

    def before_remove(self) -> tuple[str, ...]:
        self.runner(["launchctl", "bootout", f"{self._domain()}/{self.label}"])  # not loaded is fine too
        return ()


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

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                return winreg.QueryValueEx(handle, name)[0]
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InputError(f"cannot read HKCU\\{key}\\{name}: {exc.strerror or exc}") from exc

    def write(self, key: str, name: str, value: str | bytes) -> None:
        import winreg

        kind = winreg.REG_BINARY if isinstance(value, bytes) else winreg.REG_SZ
        try:
            with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.SetValueEx(handle, name, 0, kind, value)
        except OSError as exc:
            raise InputError(f"cannot write HKCU\\{key}\\{name}: {exc.strerror or exc}") from exc

    def delete(self, key: str, name: str) -> None:
        import winreg

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


# ---- the platform's set of backends --------------------------------------------------------------------------


class Autostart:
    """The backends of one platform, the default first. Only one of ours is ever on, so tsmsyncd starts once."""

    def __init__(self, backends: Sequence[Backend]) -> None:
        self.backends = list(backends)

    def on(self, mechanism: str | None = None) -> AutostartChange:
        chosen = next((b for b in self.backends if mechanism in (None, b.mechanism)), None)
        if chosen is None:
            raise InputError(f"{mechanism} autostart is not available here (systemd user units are for Linux)")
        change = chosen.enable()
        notes = list(change.notes)
        for other in self.backends:
            if other is not chosen and other.status().ours:
                gone = other.disable()
                notes.append(f"removed the {LABELS[other.mechanism]} {gone.status.location} so tsmsyncd starts once")
        return AutostartChange(change.action, change.status, tuple(notes))

    def off(self) -> AutostartChange:
        changes = [b.disable() for b in self.backends]
        main = next((c for c in changes if c.action in ("removed", "left-alone")), changes[0])
        notes = tuple(n for c in changes for n in c.notes)
        removed = [c.status.location for c in changes if c.action == "removed" and c is not main]
        return AutostartChange(main.action, main.status, notes + tuple(f"also removed {r}" for r in removed))

    def status(self) -> AutostartStatus:
        found = [b.status() for b in self.backends]
        main = next((s for s in found if s.enabled), next((s for s in found if s.present), found[0]))
        others = [f"also present: the {LABELS[s.mechanism]} {s.location} ({'on' if s.enabled else 'off'})"
                  for s in found if s.present and s is not main]
        if not others:
            return main
        return AutostartStatus(main.enabled, main.mechanism, main.location, main.command,
                               "; ".join(filter(None, [main.detail, *others])), main.present, main.ours)


def for_platform(platform: str | None = None, *, home: Path | None = None, environ: Mapping[str, str] | None = None,
                 executable: str | None = None, frozen: bool | None = None, runner: Runner | None = None,
                 registry: Registry | None = None, uid: int | None = None) -> Autostart:
    """This machine's autostart (everything defaults to the real one: ``sys.platform``, ``Path.home()``,
    ``os.environ``, subprocesses, ``winreg``)."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    runner = subprocess_runner(environ) if runner is None else runner
    if platform == "win32":
        return Autostart([WindowsRunAutostart(launch_command(executable, frozen=frozen), registry or WinRegistry())])
    if platform == "darwin":
        return Autostart([LaunchAgentAutostart(home, launch_command(executable, frozen=frozen), runner, uid)])
    config = xdg_config_home(home, environ)  # Linux and the BSDs: XDG desktops
    return Autostart([
        XdgAutostart(config, launch_command(executable, frozen=frozen)),
        SystemdAutostart(config, launch_command(executable, frozen=frozen, mode="--headless"), runner),
    ])

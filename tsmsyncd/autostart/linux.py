"""Linux: the XDG autostart ``.desktop`` entry and the systemd user unit."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from tsmsyncd.autostart.base import (
    APP_ID,
    MARKER_KEY,
    UNIT_NAME,
    AutostartStatus,
    Runner,
    _check_text,
    _FileBackend,
    _read,
    _remove,
    _state,
)

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



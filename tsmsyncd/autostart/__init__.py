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
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tsmsyncd.autostart.base import (
    APPROVED_KEY,
    LABELS,
    LAUNCH_AGENT_LABEL,
    MARKER_KEY,
    RUN_KEY,
    AutostartChange,
    AutostartStatus,
    Backend,
    Ran,
    Runner,
    launch_command,
    subprocess_runner,
)
from tsmsyncd.autostart.linux import (
    SystemdAutostart,
    XdgAutostart,
    desktop_entry,
    exec_value,
    parse_exec,
    parse_unit_exec,
    systemd_unit,
    unit_exec_value,
    xdg_config_home,
)
from tsmsyncd.autostart.macos import LaunchAgentAutostart, launch_agent_plist
from tsmsyncd.autostart.windows import Registry, WindowsRunAutostart, WinRegistry, split_windows, windows_run_value
from tsmsyncd.errors import InputError

__all__ = [
    "APPROVED_KEY", "Autostart", "AutostartChange", "AutostartStatus", "Backend", "LABELS", "LAUNCH_AGENT_LABEL",
    "LaunchAgentAutostart", "MARKER_KEY", "RUN_KEY", "Ran", "Registry", "Runner", "SystemdAutostart", "WinRegistry",
    "WindowsRunAutostart", "XdgAutostart", "desktop_entry", "exec_value", "for_platform", "launch_agent_plist",
    "launch_command", "parse_exec", "parse_unit_exec", "split_windows", "subprocess_runner", "systemd_unit",
    "unit_exec_value", "windows_run_value", "xdg_config_home",
]


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

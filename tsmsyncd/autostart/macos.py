"""macOS: a LaunchAgent plist, loaded with ``launchctl`` (best effort)."""

from __future__ import annotations

import os
import plistlib
import xml.parsers.expat
from collections.abc import Sequence
from pathlib import Path

from tsmsyncd.autostart.base import (
    LAUNCH_AGENT_LABEL,
    AutostartStatus,
    Runner,
    _check_text,
    _FileBackend,
    _read,
    _state,
)

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



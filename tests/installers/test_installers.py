"""What the installers ship agrees with what tsmsyncd itself does: the frozen app's command line
(``installers/entry.py``), the macOS LaunchAgent and Info.plist, and the Windows setup script's Run value,
per-user install and uninstall that keeps the player's data. (The Linux launcher and unit are checked with
``desktop-file-validate`` and ``systemd-analyze`` in ``tests/test_autostart.py``; the app itself is built and
run in ``test_bundle.py``.)"""

from __future__ import annotations

import importlib.util
import plistlib
import re
from pathlib import Path
from types import ModuleType

import pytest

from tsmsyncd import __version__
from tsmsyncd.autostart.base import LAUNCH_AGENT_LABEL, launch_command
from tsmsyncd.autostart.macos import launch_agent_plist
from tsmsyncd.autostart.windows import split_windows

INSTALLERS = Path(__file__).resolve().parent.parent.parent / "installers"
APP = "/Applications/tsmsyncd.app/Contents/MacOS/tsmsyncd"


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("argv", "words"), [
    ([], ["run"]),  # a double click, the Start menu, the macOS app: tray and browser
    (["run", "--minimized"], ["run", "--minimized"]),
    (["-m", "tsmsyncd", "_worker"], ["_worker"]),  # what code written for a Python interpreter passes
    (["-psn_0_12345"], ["run"]),  # older macOS Finder's process serial number
    (["--version"], ["--version"]),
])
def test_the_frozen_app_reads_its_command_line_as_tsmsyncd_does(argv: list[str], words: list[str]) -> None:
    entry = load(INSTALLERS / "entry.py")
    assert entry._arguments(["tsmsyncd", *argv]) == words


def test_the_shipped_launch_agent_is_what_autostart_writes_for_the_app() -> None:
    shipped = plistlib.loads((INSTALLERS / "macos" / "io.github.tsmsyncd.plist").read_bytes())
    assert shipped == plistlib.loads(launch_agent_plist(launch_command(APP, frozen=True)))
    assert shipped["Label"] == LAUNCH_AGENT_LABEL and shipped["ProgramArguments"] == [APP, "run", "--minimized"]


def test_the_app_is_a_menu_bar_app_named_like_its_launch_agent() -> None:
    info = load(INSTALLERS / "macos" / "app_info.py").info_plist(__version__)
    assert info["CFBundleIdentifier"] == LAUNCH_AGENT_LABEL and info["LSUIElement"] is True
    assert info["CFBundleShortVersionString"] == __version__
    plistlib.loads(plistlib.dumps(info))  # a valid property list


def iss_sections() -> dict[str, list[str]]:
    """The setup script's lines per ``[Section]`` (comments dropped, ``\\`` continuations joined)."""
    text = (INSTALLERS / "windows" / "tsmsyncd.iss").read_text().replace("\\\n  ", "")
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line.strip())
        if header:
            current = header[1]
            sections[current] = []
        else:
            sections.setdefault(current, []).append(line)
    return sections


def entries(lines: list[str]) -> list[dict[str, str]]:
    """``Name: "x"; Flags: y`` lines as dicts of the values Inno Setup reads (outer quotes off, ``""`` → ``"``)."""
    found = []
    for line in lines:
        parts = re.findall(r'(\w+):\s*("(?:[^"]|"")*"|[^;]+)', line)
        found.append({k: _unquote(v.strip()) for k, v in parts})
    return found


def _unquote(value: str) -> str:
    return value[1:-1].replace('""', '"') if len(value) > 1 and value[0] == value[-1] == '"' else value


def test_windows_setup_installs_for_the_user_alone() -> None:
    setup = dict(line.split("=", 1) for line in iss_sections()["Setup"])
    assert setup["PrivilegesRequired"] == "lowest" and setup["DefaultDirName"].startswith("{localappdata}")


def test_windows_setup_writes_the_run_value_autostart_would_write() -> None:
    sections = iss_sections()
    [task] = entries(sections["Tasks"])
    assert task["Name"] == "autostart" and "unchecked" in task["Flags"]  # off unless the player ticks it
    [run] = entries(sections["Registry"])
    assert run["Root"] == "HKCU" and run["Subkey"] == r"Software\Microsoft\Windows\CurrentVersion\Run"
    assert run["ValueName"] == "tsmsyncd" and run["Tasks"] == "autostart"
    app = r"C:\Users\A Player\AppData\Local\Programs\tsmsyncd"
    value = run["ValueData"].replace("{app}", app)
    program, *arguments = split_windows(value)
    assert program == app + r"\tsmsyncdw.exe"  # the windowed program: no console window at sign-in
    assert arguments == launch_command("/opt/tsmsyncd/tsmsyncd", frozen=True)[1:] == ["run", "--minimized"]


def test_windows_uninstall_keeps_the_players_data_unless_asked() -> None:
    sections = iss_sections()
    assert "UninstallDelete" not in sections
    [off] = entries(sections["UninstallRun"])
    assert off["Parameters"] == "autostart off"  # however autostart was turned on
    code = "\n".join(sections["Code"])
    assert "MB_DEFBUTTON2" in code and "DelTree(DataDir" in code  # "No" is the default answer
    assert code.index("IDYES then") < code.index("DelTree(DataDir")

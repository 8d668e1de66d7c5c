"""Autostart, every OS's format in a temporary home: the Linux entries checked by desktop-file-validate and
systemd-analyze and enabled by the real systemctl, the LaunchAgent parsed back by plistlib, the Windows Run value
as the exact command line, with Task Manager's StartupApproved states in an in-memory registry.

desktop-file-validate (Debian: desktop-file-utils) is required when TSMSYNCD_CI=1 and skipped otherwise;
systemd-analyze and systemctl are used where installed.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsmsyncd.autostart import (
    APPROVED_KEY,
    LAUNCH_AGENT_LABEL,
    RUN_KEY,
    Autostart,
    Ran,
    desktop_entry,
    exec_value,
    for_platform,
    launch_agent_plist,
    launch_command,
    parse_exec,
    parse_unit_exec,
    split_windows,
    subprocess_runner,
    systemd_unit,
    unit_exec_value,
    windows_run_value,
    xdg_config_home,
)
from tsmsyncd.errors import InputError

REPO = Path(__file__).resolve().parent.parent
# Arguments as paths can spell them: anything but control characters (and lone surrogates, which are not text).
ARGS = st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12), min_size=1, max_size=5)


def tool(name: str, package: str, required_in_ci: bool = True) -> str:
    """The tool's path; a missing tool fails under TSMSYNCD_CI=1 (CI must install it) and skips elsewhere."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (Debian: apt-get install -y {package})"
    if required_in_ci and os.environ.get("TSMSYNCD_CI") == "1":
        pytest.fail(message)
    pytest.skip(message)


def assert_valid_desktop_file(path: Path) -> None:
    done = subprocess.run([tool("desktop-file-validate", "desktop-file-utils"), str(path)],
                          capture_output=True, text=True, check=False)
    report = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and not report, report  # no errors, warnings or hints


def assert_valid_user_unit(path: Path, tmp_path: Path) -> None:
    analyze = tool("systemd-analyze", "systemd", required_in_ci=False)
    runtime = tmp_path / "runtime"  # `verify --user` needs a runtime dir, not a running user manager
    runtime.mkdir(mode=0o700, exist_ok=True)
    done = subprocess.run([analyze, "verify", "--user", str(path)], capture_output=True, text=True, check=False,
                          env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)})
    report = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and not report, report


@pytest.fixture
def python(tmp_path: Path) -> Path:
    """A program to start, in a folder whose name needs quoting in every format."""
    path = tmp_path / "My Games $HOME" / "venv" / "bin" / "python"
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def linux(home: Path, python: Path, runner: object = None, **environ: str) -> Autostart:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), **environ}
    return for_platform("linux", home=home, environ=env, executable=str(python), frozen=False,
                        runner=runner or subprocess_runner(env))


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---- the command and the pure builders ------------------------------------------------------------------------


def test_the_command_is_this_python_running_the_package_minimized(python: Path) -> None:
    assert launch_command(str(python), frozen=False) == [str(python), "-m", "tsmsyncd", "run", "--minimized"]
    assert launch_command(str(python), frozen=True) == [str(python), "run", "--minimized"]
    assert launch_command(str(python), frozen=False, mode="--headless")[-1] == "--headless"


def test_an_updatable_install_starts_at_login_through_its_launcher(tmp_path: Path) -> None:
    """``versions/<v>/tsmsyncd`` goes away with a later update; the launcher beside ``current`` stays."""
    program = tmp_path / "versions" / "0.2.0" / "tsmsyncd"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    (tmp_path / "current").write_text("0.2.0\n")
    assert launch_command(str(program), frozen=True)[0] == str(program)  # no launcher: the program itself
    (tmp_path / "tsmsyncd").write_text("#!/bin/sh\n")
    assert launch_command(str(program), frozen=True) == [str(tmp_path / "tsmsyncd"), "run", "--minimized"]


def test_the_command_is_absolute_and_keeps_a_venv_symlink(tmp_path: Path, python: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A venv's python is a symlink to the base interpreter: resolving it would start without the venv."""
    link = tmp_path / "venv-python"
    link.symlink_to(python)
    assert launch_command(str(link), frozen=False)[0] == str(link)
    monkeypatch.chdir(tmp_path)
    assert launch_command("venv-python", frozen=False)[0] == str(link)


def test_without_a_known_interpreter_path_it_refuses() -> None:
    with pytest.raises(InputError, match="which program to start"):
        launch_command("", frozen=False)


def test_the_windows_run_value_is_the_exact_command_line_with_pythonw() -> None:
    python = r"C:\Users\Jo Doe\AppData\Local\Programs\Python\Python311\python.exe"
    assert windows_run_value([python, "-m", "tsmsyncd", "run", "--minimized"]) == (
        r'"C:\Users\Jo Doe\AppData\Local\Programs\Python\Python311\pythonw.exe" -m tsmsyncd run --minimized')
    assert windows_run_value([r"C:\venv\Scripts\Python3.11.exe", "-m", "tsmsyncd"]) == (
        r"C:\venv\Scripts\pythonw3.11.exe -m tsmsyncd")


def test_a_frozen_app_is_written_as_it_is() -> None:
    exe = r"C:\Program Files\tsmsyncd\tsmsyncd.exe"
    assert windows_run_value([exe, "run", "--minimized"]) == r'"C:\Program Files\tsmsyncd\tsmsyncd.exe" run --minimized'


@given(ARGS)
def test_windows_command_lines_split_back_into_the_arguments(args: list[str]) -> None:
    assert split_windows(subprocess.list2cmdline(args)) == args


@given(ARGS)
def test_exec_values_parse_back_into_the_arguments(args: list[str]) -> None:
    assert parse_exec(exec_value(args)) == args


@given(ARGS)
def test_unit_exec_lines_parse_back_into_the_arguments(args: list[str]) -> None:
    assert parse_unit_exec(unit_exec_value(args)) == args


def test_exec_quoting_follows_the_desktop_entry_spec() -> None:
    """Reserved characters are quoted; inside quotes " ` $ \\ get a backslash, then every backslash is doubled
    (the string escape), and % is written %% (field codes)."""
    assert exec_value(["/usr/bin/python3", "-m", "tsmsyncd"]) == "/usr/bin/python3 -m tsmsyncd"
    assert exec_value(["/opt/my games/py"]) == '"/opt/my games/py"'
    assert exec_value(['/a$b"c\\d', "50%"]) == '"/a\\\\$b\\\\"c\\\\\\\\d" 50%%'
    assert parse_exec('/usr/bin/app %U --x "a b"') == ["/usr/bin/app", "--x", "a b"]


def test_control_characters_cannot_be_written() -> None:
    with pytest.raises(InputError, match="control character"):
        desktop_entry(["/opt/a\nb/python"])
    with pytest.raises(InputError, match="control character"):
        systemd_unit(["/opt/a\tb/python"])


def test_the_autostart_entry_passes_desktop_file_validate(tmp_path: Path, python: Path) -> None:
    path = tmp_path / "tsmsyncd.desktop"
    command = [*launch_command(str(python), frozen=False), "100%", 'say "hi"', "back\\slash", "`tick`"]
    path.write_text(desktop_entry(command), encoding="utf-8")
    assert_valid_desktop_file(path)
    assert "X-GNOME-Autostart-enabled=true" in path.read_text() and "X-Tsmsyncd=1" in path.read_text()


def test_a_real_launcher_starts_exactly_this_command(tmp_path: Path) -> None:
    """GLib's own launcher (`gio launch`, what GNOME's autostart uses) gets back every argument as written."""
    gio = tool("gio", "libglib2.0-bin", required_in_ci=False)
    program = tmp_path / "odd $dir 'x'" / "argv"
    program.parent.mkdir()
    program.write_text('#!/bin/sh\nprintf \'%s\\0\' "$0" "$@" > "$ARGV_OUT"\n')
    program.chmod(0o755)
    fifo = tmp_path / "argv.fifo"
    os.mkfifo(fifo)
    command = [str(program), "100%", 'say "hi"', "back\\slash", "`tick`", "it's", "", "%U"]
    entry = tmp_path / "launch.desktop"
    entry.write_text(desktop_entry(command), encoding="utf-8")
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))  # blocks until the program writes
    reader.start()
    subprocess.run([gio, "launch", str(entry)], env={**os.environ, "ARGV_OUT": str(fifo)}, check=True, timeout=30,
                   capture_output=True)
    reader.join(timeout=30)
    if reader.is_alive():  # the program never ran: unblock the reader, then fail
        fifo.write_bytes(b"")
        reader.join()
        pytest.fail("the launched program never wrote its arguments")
    assert received[0].split(b"\0")[:-1] == [a.encode() for a in command]


def test_the_application_launcher_passes_desktop_file_validate() -> None:
    assert_valid_desktop_file(REPO / "installers" / "linux" / "tsmsyncd.desktop")


def test_the_user_unit_passes_systemd_analyze(tmp_path: Path, python: Path) -> None:
    path = tmp_path / "tsmsyncd.service"
    path.write_text(systemd_unit([*launch_command(str(python), frozen=False, mode="--headless"), "50%", "$x"]))
    assert_valid_user_unit(path, tmp_path)


def test_the_unit_template_is_what_the_builder_writes_for_a_packaged_tsmsyncd() -> None:
    def body(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("#")]

    template = (REPO / "installers" / "linux" / "tsmsyncd.service").read_text()
    assert body(template) == body(systemd_unit(["/usr/bin/tsmsyncd", "run", "--headless"]))


def test_the_launch_agent_parses_back_with_plistlib(python: Path) -> None:
    command = launch_command(str(python), frozen=False)
    agent = plistlib.loads(launch_agent_plist(command))
    assert agent == {"Label": LAUNCH_AGENT_LABEL, "ProgramArguments": command, "RunAtLoad": True,
                     "ProcessType": "Interactive"}


def test_xdg_config_home_is_used_only_when_absolute(home: Path) -> None:
    assert xdg_config_home(home, {}) == home / ".config"
    assert xdg_config_home(home, {"XDG_CONFIG_HOME": "relative/dir"}) == home / ".config"
    assert xdg_config_home(home, {"XDG_CONFIG_HOME": str(home / "cfg")}) == home / "cfg"


# ---- Linux: the XDG autostart entry -----------------------------------------------------------------------------


def test_on_status_off_round_trip(home: Path, python: Path) -> None:
    autostart = linux(home, python)
    path = home / ".config" / "autostart" / "tsmsyncd.desktop"
    assert autostart.status().as_json() == {
        "enabled": False, "mechanism": "xdg-autostart", "location": str(path), "command": [], "detail": "",
        "present": False, "ours": False}
    change = autostart.on()
    assert change.action == "written" and path.is_file() and oct(path.stat().st_mode & 0o777) == "0o644"
    status = autostart.status()
    assert status.enabled and status.ours and status.detail == ""
    assert list(status.command) == [str(python), "-m", "tsmsyncd", "run", "--minimized"]
    assert files_under(home) == [".config", ".config/autostart", ".config/autostart/tsmsyncd.desktop"]  # no temps
    assert autostart.off().action == "removed" and not path.exists()
    assert not autostart.status().present


def test_the_file_on_writes_passes_desktop_file_validate(home: Path, python: Path) -> None:
    assert_valid_desktop_file(Path(linux(home, python).on().status.location))


def test_the_entry_goes_under_xdg_config_home(home: Path, python: Path) -> None:
    autostart = linux(home, python, XDG_CONFIG_HOME=str(home / "cfg"))
    assert autostart.on().status.location == str(home / "cfg" / "autostart" / "tsmsyncd.desktop")


def test_on_twice_leaves_the_file_alone(home: Path, python: Path) -> None:
    autostart = linux(home, python)
    first = Path(autostart.on().status.location).stat()
    again = autostart.on()
    assert again.action == "unchanged" and again.status.enabled
    assert Path(again.status.location).stat().st_ino == first.st_ino


def test_off_when_nothing_is_there(home: Path, python: Path) -> None:
    change = linux(home, python).off()
    assert change.action == "absent" and not change.status.enabled and not (home / ".config").exists()


def test_a_foreign_entry_is_reported_and_never_overwritten_or_removed(home: Path, python: Path) -> None:
    path = home / ".config" / "autostart" / "tsmsyncd.desktop"
    path.parent.mkdir(parents=True)
    foreign = b"[Desktop Entry]\nType=Application\nName=mine\nExec=/bin/true\n"
    path.write_bytes(foreign)
    autostart = linux(home, python)
    status = autostart.status()
    assert status.present and not status.ours and status.enabled and "not written by tsmsyncd" in status.detail
    with pytest.raises(InputError, match=f"{path} exists and was not written by tsmsyncd"):
        autostart.on()
    assert autostart.off().action == "left-alone"
    assert path.read_bytes() == foreign


def test_a_broken_file_is_reported_and_kept(home: Path, python: Path) -> None:
    path = home / ".config" / "autostart" / "tsmsyncd.desktop"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe junk")
    autostart = linux(home, python)
    status = autostart.status()
    assert not status.enabled and status.present and status.detail == "not a valid desktop entry: it is not UTF-8 text"
    with pytest.raises(InputError, match=f"{path} exists and is not a valid desktop entry: it is not UTF-8 text; move"):
        autostart.on()
    path.write_bytes(b"junk\n")
    assert "line 1 is neither" in autostart.status().detail
    assert path.read_bytes() == b"junk\n"


def test_hidden_true_means_off_and_on_turns_it_back_on(home: Path, python: Path) -> None:
    autostart = linux(home, python)
    path = Path(autostart.on().status.location)
    path.write_text(path.read_text() + "Hidden=true\n")
    status = autostart.status()
    assert not status.enabled and status.present and "Hidden=true" in status.detail
    assert autostart.on().action == "written" and autostart.status().enabled


def test_gnome_startup_switch_off_is_reported(home: Path, python: Path) -> None:
    autostart = linux(home, python)
    path = Path(autostart.on().status.location)
    path.write_text(path.read_text().replace("X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false"))
    assert not autostart.status().enabled and "X-GNOME-Autostart-enabled=false" in autostart.status().detail


def test_an_entry_whose_program_is_gone_is_off_and_says_so(home: Path, python: Path, tmp_path: Path) -> None:
    old = tmp_path / "old-venv" / "python"
    old.parent.mkdir()
    old.touch()
    linux(home, old).on()
    old.unlink()
    status = linux(home, python).status()
    assert not status.enabled and status.detail == f"points at a program that no longer exists ({old})"
    assert linux(home, python).on().status.enabled


def test_an_entry_for_another_copy_is_on_with_a_note(home: Path, python: Path, tmp_path: Path) -> None:
    other = tmp_path / "other" / "python"
    other.parent.mkdir()
    other.touch()
    linux(home, other).on()
    status = linux(home, python).status()
    assert status.enabled and f"starts another copy of tsmsyncd ({other})" in status.detail


def test_on_refuses_a_program_that_does_not_exist(home: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        linux(home, tmp_path / "nope" / "python").on()
    assert not (home / ".config").exists()


def test_a_folder_that_cannot_be_written_names_the_file(home: Path, python: Path) -> None:
    (home / ".config").write_text("not a folder")
    with pytest.raises(InputError, match=r"cannot (write|read) .*tsmsyncd\.desktop"):
        linux(home, python).on()


# ---- Linux: the systemd user unit --------------------------------------------------------------------------------


def test_systemd_unit_is_written_and_enabled_by_the_real_systemctl(home: Path, python: Path, tmp_path: Path) -> None:
    tool("systemctl", "systemd", required_in_ci=False)
    autostart = linux(home, python)
    change = autostart.on("systemd-user")
    unit = home / ".config" / "systemd" / "user" / "tsmsyncd.service"
    wants = unit.parent / "default.target.wants" / "tsmsyncd.service"
    assert change.action == "written" and change.status.enabled and wants.is_symlink()
    assert change.status.command[-2:] == ("run", "--headless")
    assert any("systemctl --user start tsmsyncd.service" in n for n in change.notes)
    assert_valid_user_unit(unit, tmp_path)
    assert autostart.on("systemd-user").action == "unchanged"
    off = autostart.off()
    assert off.action == "removed" and not unit.exists() and not os.path.lexists(wants)


def test_without_systemctl_the_unit_is_written_and_the_player_told(home: Path, python: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    autostart = linux(home, python, PATH=str(empty))
    change = autostart.on("systemd-user")
    assert not change.status.enabled and change.status.ours
    assert change.notes == ("systemctl was not found: run `systemctl --user enable tsmsyncd.service` where systemd "
                            "is installed",)
    assert "installed but not enabled" in autostart.status().detail
    wants = home / ".config" / "systemd" / "user" / "default.target.wants" / "tsmsyncd.service"
    wants.parent.mkdir()
    wants.symlink_to(change.status.location)  # the player enabled it by hand
    assert autostart.status().enabled
    assert autostart.off().action == "removed" and not os.path.lexists(wants)


def test_only_one_mechanism_is_ever_on(home: Path, python: Path) -> None:
    autostart = linux(home, python, runner=lambda args: Ran(0))
    desktop = Path(autostart.on().status.location)
    change = autostart.on("systemd-user")
    assert not desktop.exists() and any("removed the XDG autostart entry" in n for n in change.notes)
    assert autostart.on().status.mechanism == "xdg-autostart"
    assert not (home / ".config" / "systemd" / "user" / "tsmsyncd.service").exists()


def test_status_names_a_second_entry_and_off_removes_both(home: Path, python: Path) -> None:
    autostart = linux(home, python, runner=lambda args: Ran(0))
    unit = home / ".config" / "systemd" / "user" / "tsmsyncd.service"
    unit.parent.mkdir(parents=True)
    unit.write_text(systemd_unit(launch_command(str(python), frozen=False, mode="--headless")))  # not enabled
    autostart.backends[0].enable()
    status = autostart.status()
    assert status.mechanism == "xdg-autostart" and status.enabled
    assert f"also present: the systemd user unit {unit} (off)" in status.detail
    off = autostart.off()
    assert off.action == "removed" and off.notes == (f"also removed {unit}",) and not unit.exists()


def test_systemd_is_linux_only(home: Path, python: Path) -> None:
    mac = for_platform("darwin", home=home, environ={}, executable=str(python), runner=lambda a: Ran(0), uid=501)
    with pytest.raises(InputError, match="systemd-user autostart is not available here"):
        mac.on("systemd-user")


# ---- macOS: the LaunchAgent -------------------------------------------------------------------------------------


class Launchctl:
    """Stands in for /bin/launchctl: records the calls, answers ``code``."""

    def __init__(self, code: int | None = 0) -> None:
        self.calls: list[list[str]] = []
        self.code = code

    def __call__(self, args: Sequence[str]) -> Ran:
        self.calls.append(list(args))
        return Ran(self.code, "" if self.code == 0 else "Bootstrap failed: 5: Input/output error")


def macos(home: Path, python: Path, launchctl: object) -> Autostart:
    return for_platform("darwin", home=home, environ={}, executable=str(python), frozen=False, runner=launchctl,
                        uid=501)


def test_launch_agent_round_trip(home: Path, python: Path) -> None:
    launchctl = Launchctl()
    autostart = macos(home, python, launchctl)
    path = home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
    change = autostart.on()
    assert change.action == "written" and change.status.enabled and change.notes == ()
    agent = plistlib.loads(path.read_bytes())
    assert agent["ProgramArguments"] == [str(python), "-m", "tsmsyncd", "run", "--minimized"]
    assert agent["RunAtLoad"] is True and agent["Label"] == LAUNCH_AGENT_LABEL
    assert launchctl.calls == [["launchctl", "bootout", f"gui/501/{LAUNCH_AGENT_LABEL}"],
                               ["launchctl", "bootstrap", "gui/501", str(path)]]
    assert autostart.on().action == "unchanged" and len(launchctl.calls) == 2
    assert autostart.off().action == "removed" and not path.exists()
    assert launchctl.calls[-1] == ["launchctl", "bootout", f"gui/501/{LAUNCH_AGENT_LABEL}"]
    assert autostart.off().action == "absent"


def test_a_failing_or_missing_launchctl_never_fails_the_command(home: Path, python: Path, tmp_path: Path) -> None:
    change = macos(home, python, Launchctl(code=5)).on()
    assert change.status.enabled
    assert change.notes == ("launchctl bootstrap failed: Bootstrap failed: 5: Input/output error; launchd loads the "
                            "agent at your next login",)
    (tmp_path / "empty").mkdir()
    missing = subprocess_runner({"PATH": str(tmp_path / "empty")})
    autostart = macos(home, python, missing)
    assert autostart.off().action == "removed"
    assert autostart.on().notes == ("launchctl was not found; launchd loads the agent at your next login",)


def test_a_foreign_or_broken_plist_is_left_alone(home: Path, python: Path) -> None:
    path = home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
    path.parent.mkdir(parents=True)
    foreign = plistlib.dumps({"Label": "com.example.other", "ProgramArguments": ["/bin/true"], "RunAtLoad": True})
    path.write_bytes(foreign)
    autostart = macos(home, python, Launchctl())
    assert not autostart.status().ours and "not written by tsmsyncd" in autostart.status().detail
    with pytest.raises(InputError, match="was not written by tsmsyncd"):
        autostart.on()
    assert autostart.off().action == "left-alone" and path.read_bytes() == foreign
    path.write_bytes(b"<plist><dict><key>Label")
    assert autostart.status().detail.startswith("not a valid property list")


def test_disabled_in_the_plist_is_off(home: Path, python: Path) -> None:
    autostart = macos(home, python, Launchctl())
    path = Path(autostart.on().status.location)
    path.write_bytes(plistlib.dumps({**plistlib.loads(path.read_bytes()), "Disabled": True}))
    assert not autostart.status().enabled and autostart.status().detail == "Disabled is true in the plist"


# ---- Windows: the Run value and Task Manager ---------------------------------------------------------------------


class MemoryRegistry:
    """HKCU in a dict; names and keys are case-insensitive, as in the real one."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str | bytes | int] = {}

    def read(self, key: str, name: str) -> str | bytes | int | None:
        return self.values.get((key.lower(), name.lower()))

    def write(self, key: str, name: str, value: str | bytes) -> None:
        self.values[(key.lower(), name.lower())] = value

    def delete(self, key: str, name: str) -> None:
        self.values.pop((key.lower(), name.lower()), None)


@pytest.fixture
def python_exe(tmp_path: Path) -> Path:
    folder = tmp_path / "Program Files" / "Python311"
    folder.mkdir(parents=True)
    for name in ("python.exe", "pythonw.exe"):
        (folder / name).touch()
    return folder / "python.exe"


def windows(registry: MemoryRegistry, exe: Path, frozen: bool = False) -> Autostart:
    return for_platform("win32", executable=str(exe), frozen=frozen, registry=registry, environ={})


def test_run_value_round_trip(python_exe: Path) -> None:
    registry = MemoryRegistry()
    autostart = windows(registry, python_exe)
    change = autostart.on()
    line = f'"{python_exe.parent / "pythonw.exe"}" -m tsmsyncd run --minimized'
    assert change.action == "written" and registry.read(RUN_KEY, "tsmsyncd") == line
    status = autostart.status()
    assert status.enabled and status.location == f"HKCU\\{RUN_KEY}\\tsmsyncd" and status.detail == ""
    assert status.command == (str(python_exe.parent / "pythonw.exe"), "-m", "tsmsyncd", "run", "--minimized")
    assert autostart.on().action == "unchanged"
    assert autostart.off().action == "removed" and registry.values == {}
    assert autostart.off().action == "absent"


def test_a_frozen_app_starts_itself(tmp_path: Path) -> None:
    exe = tmp_path / "tsmsyncd" / "tsmsyncd.exe"
    exe.parent.mkdir()
    exe.touch()
    registry = MemoryRegistry()
    windows(registry, exe, frozen=True).on()
    assert registry.read(RUN_KEY, "tsmsyncd") == f"{exe} run --minimized"


@pytest.mark.parametrize("first, enabled", [(0x02, True), (0x06, True), (0x03, False), (0x07, False), (0x01, False)])
def test_startup_approved_shows_the_real_state(python_exe: Path, first: int, enabled: bool) -> None:
    """Task Manager keeps the Run value and flips bit 0 of the first StartupApproved byte."""
    registry = MemoryRegistry()
    autostart = windows(registry, python_exe)
    autostart.on()
    registry.write(APPROVED_KEY, "tsmsyncd", bytes([first, 0, 0, 0]) + bytes.fromhex("d40d438dc83bd901"))
    status = autostart.status()
    assert status.enabled is enabled
    assert (status.detail == "") is enabled
    if not enabled:
        assert status.detail.startswith("disabled in Task Manager")


def test_on_lifts_task_managers_disabled_and_off_cleans_up(python_exe: Path) -> None:
    registry = MemoryRegistry()
    autostart = windows(registry, python_exe)
    autostart.on()
    registry.write(APPROVED_KEY, "tsmsyncd", bytes.fromhex("030000001779bd0117d9d101"))
    change = autostart.on()
    assert change.action == "written" and change.status.enabled
    assert change.notes == ("it had been disabled in Task Manager; it is enabled again",)
    assert registry.read(APPROVED_KEY, "tsmsyncd") == bytes([2]) + bytes(11)
    autostart.off()
    assert registry.values == {}


def test_a_foreign_run_value_is_left_alone(python_exe: Path) -> None:
    registry = MemoryRegistry()
    registry.write(RUN_KEY, "tsmsyncd", r'"C:\Tools\other.exe" --tray')
    autostart = windows(registry, python_exe)
    assert not autostart.status().ours and "not written by tsmsyncd" in autostart.status().detail
    with pytest.raises(InputError, match=r"HKCU\\Software.*\\Run\\tsmsyncd exists and was not written by tsmsyncd"):
        autostart.on()
    assert autostart.off().action == "left-alone"
    assert registry.read(RUN_KEY, "tsmsyncd") == r'"C:\Tools\other.exe" --tray'


def test_a_run_value_whose_python_is_gone_says_so(python_exe: Path) -> None:
    registry = MemoryRegistry()
    autostart = windows(registry, python_exe)
    autostart.on()
    (python_exe.parent / "pythonw.exe").unlink()
    status = autostart.status()
    assert not status.enabled and status.detail.startswith("points at a program that no longer exists")
    with pytest.raises(InputError, match="pythonw.exe does not exist"):
        autostart.on()

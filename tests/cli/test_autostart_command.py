"""`tsmsyncd autostart on|off|status` as a player runs it on Linux, against a temporary home: what it prints,
what it writes, and its exit codes. The parser is built from `add_autostart_commands` alone.

Named ``test_autostart_command`` because pytest's default import mode needs unique basenames (tests/test_autostart.py
exists, and tests/cli/ cannot become a package: test_groups imports test_market by its bare name)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from tsmsyncd.cli.autostart import add_commands as add_autostart_commands
from tsmsyncd.errors import InputError

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="drives the Linux backends in a temp home")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and XDG_CONFIG_HOME in a temp dir; no session bus, so systemctl can never reach a real manager."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "cfg"))
    for name in ("XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    return home


def tsmsyncd(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="tsmsyncd")
    add_autostart_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["autostart", *argv])
    return args.run(args)


def test_on_status_off(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entry = home / "cfg" / "autostart" / "tsmsyncd.desktop"
    assert tsmsyncd("status") == 0
    assert capsys.readouterr().out == (f"Autostart: off (nothing at {entry}); turn it on with: tsmsyncd autostart on\n")

    assert tsmsyncd("on") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"Autostart on: wrote the XDG autostart entry {entry}"
    assert f"at login it runs: {sys.executable} -m tsmsyncd run --minimized" in out
    assert out.splitlines()[-1] == "  undo: tsmsyncd autostart off"
    assert entry.is_file()

    assert tsmsyncd("on") == 0
    assert capsys.readouterr().out.startswith(f"Autostart is already on: the XDG autostart entry {entry} is up to date")

    assert tsmsyncd("status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["enabled"] is True and status["location"] == str(entry) and status["ours"] is True
    assert status["command"] == [sys.executable, "-m", "tsmsyncd", "run", "--minimized"]

    assert tsmsyncd("off") == 0
    assert capsys.readouterr().out == (f"Autostart off: removed the XDG autostart entry {entry}\n"
                                       "  undo: tsmsyncd autostart on\n")
    assert not entry.exists()
    assert tsmsyncd("off") == 0
    assert capsys.readouterr().out == f"Autostart was already off: nothing at {entry}\n"


def test_on_json(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tsmsyncd("on", "--json") == 0
    change = json.loads(capsys.readouterr().out)
    assert change["action"] == "written" and change["status"]["mechanism"] == "xdg-autostart"


def test_systemd_without_systemctl_exits_1_and_says_what_to_run(home: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    unit = home / "cfg" / "systemd" / "user" / "tsmsyncd.service"
    assert tsmsyncd("on", "--systemd") == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (f"Autostart is not on: wrote the systemd user unit {unit}, but it will not start "
                                   "at login")
    assert "run `systemctl --user enable tsmsyncd.service`" in out and "--headless" in out
    assert tsmsyncd("status") == 0
    assert capsys.readouterr().out.startswith(f"Autostart: off (systemd user unit {unit})")
    assert tsmsyncd("off") == 0 and not unit.exists()


def test_a_foreign_entry_is_refused_and_kept(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entry = home / "cfg" / "autostart" / "tsmsyncd.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nType=Application\nName=mine\nExec=/bin/true\n")
    with pytest.raises(InputError, match="was not written by tsmsyncd"):  # main() prints it and exits 1
        tsmsyncd("on")
    assert tsmsyncd("off") == 1  # it still starts something at login
    out = capsys.readouterr().out
    assert out.startswith(f"Left {entry} alone: tsmsyncd did not write it; it still starts something at login")
    assert entry.read_text().endswith("Exec=/bin/true\n")


def test_every_action_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for action in ("on", "off", "status"):
        with pytest.raises(SystemExit) as exited:
            tsmsyncd(action, "--help")
        assert exited.value.code == 0
    assert "--systemd" in capsys.readouterr().out

"""``tsmsyncd autostart on [--systemd] | off | status``: start tsmsyncd in the tray when the player logs in.

Says what was written where and how to undo it. Exit 0 when the state asked for is the state now (``status``:
whenever it could be read), 1 otherwise, with the reason. The work is in ``tsmsyncd/autostart/``.
"""

from __future__ import annotations

import argparse

from tsmsyncd.cli.commands import help_of

TYPE_CHECKING = False  # typing itself is imported per command too: start-up stays fast
if TYPE_CHECKING:
    from tsmsyncd.autostart import AutostartStatus

__all__ = ["add_commands"]

def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    autostart = commands.add_parser(
        "autostart", help=help_of("autostart"),
        description="Start tsmsyncd in the tray, without opening the browser, when you log in. Linux: an XDG "
        "autostart entry in ~/.config/autostart (or a systemd user unit with --systemd); macOS: a LaunchAgent; "
        "Windows: the Run value of your user. Off until you turn it on. Example: tsmsyncd autostart on")
    actions = autostart.add_subparsers(dest="action", required=True, metavar="ACTION")
    on = actions.add_parser("on", help="start tsmsyncd at login",
                            description="Write the autostart entry (again, if it is out of date).")
    on.add_argument("--systemd", action="store_true",
                    help="Linux: a systemd user unit running `tsmsyncd run --headless` instead of the desktop entry")
    on.set_defaults(run=run_on)
    off = actions.add_parser("off", help="stop starting tsmsyncd at login",
                             description="Remove tsmsyncd's autostart entries (never one it did not write).")
    off.set_defaults(run=run_off)
    status = actions.add_parser("status", help="show whether tsmsyncd starts at login, and why not",
                                description="What is really there: on, off, hidden, disabled in Task Manager, or "
                                "pointing at a program that no longer exists.")
    status.set_defaults(run=run_status)
    for sub in (on, off, status):
        sub.add_argument("--json", action="store_true", help="print the result as JSON")


def _show(command: tuple[str, ...], mechanism: str) -> str:
    import shlex
    import subprocess

    return subprocess.list2cmdline(command) if mechanism == "windows-run" else shlex.join(command)


def _lines(status: AutostartStatus, notes: tuple[str, ...] = ()) -> list[str]:
    lines = [f"  at login it runs: {_show(status.command, status.mechanism)}"] if status.command else []
    if status.detail:
        lines.append(f"  note: {status.detail}")
    return lines + [f"  note: {n}" for n in notes]


def run_on(args: argparse.Namespace) -> int:
    from tsmsyncd.autostart import LABELS, for_platform

    change = for_platform().on("systemd-user" if args.systemd else None)
    st = change.status
    what = f"the {LABELS[st.mechanism]} {st.location}"
    if not st.enabled:
        head = f"Autostart is not on: wrote {what}, but it will not start at login"
    elif change.action == "unchanged":
        head = f"Autostart is already on: {what} is up to date"
    else:
        head = f"Autostart on: wrote {what}"
    _print(args, change.as_json(), [head, *_lines(st, change.notes), "  undo: tsmsyncd autostart off"])
    return 0 if st.enabled else 1


def run_off(args: argparse.Namespace) -> int:
    from tsmsyncd.autostart import LABELS, for_platform

    change = for_platform().off()
    st = change.status
    head = {
        "removed": f"Autostart off: removed the {LABELS[st.mechanism]} {st.location}",
        "absent": f"Autostart was already off: nothing at {st.location}",
        "left-alone": f"Left {st.location} alone: tsmsyncd did not write it",
    }[change.action]
    if st.enabled:
        head += "; it still starts something at login"
    again = "tsmsyncd autostart on --systemd" if st.mechanism == "systemd-user" else "tsmsyncd autostart on"
    undo = [f"  undo: {again}"] if change.action == "removed" else []
    _print(args, change.as_json(), [head, *_lines(st, change.notes), *undo])
    return 1 if st.enabled else 0


def run_status(args: argparse.Namespace) -> int:
    from tsmsyncd.autostart import LABELS, for_platform

    st = for_platform().status()
    if st.present:
        head = f"Autostart: {'on' if st.enabled else 'off'} ({LABELS[st.mechanism]} {st.location})"
    else:
        head = f"Autostart: off (nothing at {st.location}); turn it on with: tsmsyncd autostart on"
    _print(args, st.as_json(), [head, *_lines(st)])
    return 0


def _print(args: argparse.Namespace, payload: dict[str, object], lines: list[str]) -> None:
    import json

    print(json.dumps(payload, indent=2, ensure_ascii=False) if args.json else "\n".join(lines))

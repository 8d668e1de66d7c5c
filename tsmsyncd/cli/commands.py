"""The command table: every ``tsmsyncd`` command, the module that defines its arguments, and its one-line
help. ``tsmsyncd --help`` is built from this table alone; only the module of the command being run is
imported to build its parser, so adding commands never slows the others' start."""

from __future__ import annotations

__all__ = ["COMMANDS", "help_of"]

COMMANDS: dict[str, tuple[str, str]] = {  # name: (module in tsmsyncd.cli, one-line help)
    "merge": ("merge", "merge a GroupSet into a TradeSkillMaster.lua"),
    "export-string": ("merge", "print a TSM import string for a GroupSet (paste it into TSM's importer)"),
    "backups": ("backups", "list, create, restore, pin and prune backups of a file"),
    "realms": ("market", "list a region's connected realms"),
    "refresh": ("market", "fetch new auction-house snapshots now"),
    "market": ("market", "show or list stored market data (prices, estimated sales)"),
    "groups": ("groups", "preview, generate and diff groups; manage the rules"),
    "installs": ("installs", "show the WoW installs, accounts and TSM profiles tsmsyncd finds, and why"),
    "demo": ("demo", "the whole product on a fake Blizzard server and a sandbox install, no credentials"),
    "run": ("daemon", "run the daemon: refresh, regenerate and merge on its own, with the web UI"),
    "status": ("daemon", "the running daemon's state, or the last one recorded"),
    "open": ("daemon", "open the web UI of the running daemon in your browser"),
    "targets": ("daemon", "list the targets (TSM profiles) and set their mode, realm or group source"),
    "tokens": ("tokens", "the tokens of this machine's group server: create, list, revoke"),
    "autostart": ("autostart", "start tsmsyncd in the tray when you log in (on, off, status)"),
    "update": ("update", "check for a signed update, install it for the next start, or roll back"),
}


def help_of(name: str) -> str:
    return COMMANDS[name][1]

"""The tray's menu, icon and tooltip as a pure function of the daemon's state: ``tray_view(status, targets)``
takes what ``Engine.status()`` and ``Engine.targets_json()`` answer and returns a ``TrayView`` of plain
dataclasses. ``tray.py`` turns it into pystray's menu; tests check it for every state without a screen.

    Open tsmsyncd                       (the default: a click on the icon where the OS allows one)
    <what is going on>                  (disabled: the status line)
    ─────
    Refresh now
    Apply pending groups (n)            (disabled, with the reason, while the game runs or nothing waits)
    Copy import string  ▸  <realm>  ▸  TSM import string | Plain item list
    Undo last apply     ▸  <target>
    Pause applying | Resume applying
    Backups             ▸  Open folder
    ─────
    Quit tsmsyncd

A command says what to do (``Command(kind, args)``); doing it is the adapter's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["SEPARATOR", "Command", "Kind", "IconState", "MenuItem", "Separator", "TrayView", "starting_view",
           "target_label", "tray_view"]

TOOLTIP_MAX = 120  # Windows cuts a tray tooltip at 127 characters
GAME_RUNNING = "World of Warcraft is running"


class IconState(StrEnum):
    IDLE = "idle"
    REFRESHING = "refreshing"
    PENDING = "pending"
    ERROR = "error"
    PAUSED = "paused"


class Kind(StrEnum):
    OPEN = "open"
    REFRESH = "refresh"
    APPLY = "apply"  # args: the target ids
    COPY = "copy"  # args: (realm key, "tsm" | "list", realm name)
    UNDO = "undo"  # args: (target id,)
    PAUSE = "pause"
    RESUME = "resume"
    BACKUPS = "backups"
    QUIT = "quit"


@dataclass(frozen=True)
class Command:
    kind: Kind
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Separator:
    pass


SEPARATOR = Separator()


@dataclass(frozen=True)
class MenuItem:
    label: str
    command: Command | None = None
    enabled: bool = True
    default: bool = False
    children: tuple[MenuItem | Separator, ...] = ()


Entry = MenuItem | Separator


@dataclass(frozen=True)
class TrayView:
    state: IconState
    tooltip: str
    items: tuple[Entry, ...]

    def find(self, label: str) -> MenuItem | None:
        """The item (at any depth) whose label starts with ``label``."""
        stack = list(self.items)
        while stack:
            entry = stack.pop(0)
            if isinstance(entry, MenuItem):
                if entry.label.startswith(label):
                    return entry
                stack[:0] = entry.children
        return None


def target_label(target: Mapping[str, Any]) -> str:
    return f"{target.get('account', '?')} · {target.get('profile', '?')} ({target.get('flavor', '?')})"


def starting_view() -> TrayView:
    """Before the API listens: only Quit does anything."""
    return TrayView(IconState.REFRESHING, "tsmsyncd: starting…", (
        MenuItem("Open tsmsyncd", enabled=False, default=True),
        MenuItem("Starting…", enabled=False),
        SEPARATOR,
        MenuItem("Quit tsmsyncd", Command(Kind.QUIT)),
    ))


def tray_view(status: Mapping[str, Any], targets: Sequence[Mapping[str, Any]]) -> TrayView:
    """The icon, tooltip and menu for the engine's ``status`` and its ``targets`` (as JSON)."""
    state = _state(status)
    line = status_line(state, status, targets)
    items: list[Entry] = [
        MenuItem("Open tsmsyncd", Command(Kind.OPEN), default=True),
        MenuItem(line, enabled=False),
        SEPARATOR,
        MenuItem("Refreshing…", enabled=False) if state is IconState.REFRESHING
        else MenuItem("Refresh now", Command(Kind.REFRESH)),
        _apply_item(targets),
        _copy_item(targets),
        _undo_item(targets),
        MenuItem("Resume applying", Command(Kind.RESUME)) if status.get("paused")
        else MenuItem("Pause applying", Command(Kind.PAUSE)),
        MenuItem("Backups", children=(MenuItem("Open folder", Command(Kind.BACKUPS)),)),
        SEPARATOR,
        MenuItem("Quit tsmsyncd", Command(Kind.QUIT)),
    ]
    return TrayView(state, _clip(f"tsmsyncd: {line}", TOOLTIP_MAX), tuple(items))


def _state(status: Mapping[str, Any]) -> IconState:
    try:
        return IconState(str(status.get("state", "idle")))
    except ValueError:
        return IconState.ERROR


def status_line(state: IconState, status: Mapping[str, Any], targets: Sequence[Mapping[str, Any]]) -> str:
    """The state in words (the disabled line under Open, and the tooltip)."""
    setup = status.get("setup") or {}
    if state is IconState.PAUSED:
        return "Paused: nothing is applied until you resume"
    if state is IconState.REFRESHING:
        return "Refreshing market data…"
    if setup.get("credentials") is False:
        return "Setup needed: open tsmsyncd to add Blizzard API credentials"
    if state is IconState.ERROR:
        broken = [t for t in targets if t.get("state") == "error"]
        why = status.get("last_error") or (broken[0].get("reason") if broken else None) or "see the history"
        where = f"{target_label(broken[0])}: " if broken and not status.get("last_error") else ""
        return _clip(f"Problem: {where}{why}", 90)
    if state is IconState.PENDING:
        count = int(status.get("pending") or 0)
        waiting = [t for t in targets if t.get("state") == "pending"]
        if waiting and all(str(t.get("reason") or "").startswith(GAME_RUNNING) for t in waiting):
            return f"Waiting for World of Warcraft to close ({count} pending)"
        return f"{count} pending: applied in a moment"
    if not targets:
        return "No TSM profiles found yet"
    merging = sum(1 for t in targets if t.get("mode") == "merge")
    return f"Up to date ({merging} of {len(targets)} profiles merging)"


def _apply_item(targets: Sequence[Mapping[str, Any]]) -> MenuItem:
    waiting = [t for t in targets if t.get("state") == "pending"]
    if not waiting:
        return MenuItem("Apply pending groups (none waiting)", enabled=False)
    ready = [t for t in waiting if not str(t.get("reason") or "").startswith(GAME_RUNNING)]
    if not ready:
        return MenuItem("Apply pending groups: close World of Warcraft first", enabled=False)
    return MenuItem(f"Apply pending groups ({len(ready)})", Command(Kind.APPLY, tuple(str(t["id"]) for t in ready)))


def realm_key(realm: Mapping[str, Any], flavor: str) -> str:
    """The realm's key as the database and the API spell it (``market/sources.py`` RealmKey)."""
    region, number = realm["region"], int(realm["connected_realm_id"])
    return f"{region}/{number}" if flavor == "retail" else f"{region}/{flavor}/{number}"


def _copy_item(targets: Sequence[Mapping[str, Any]]) -> MenuItem:
    realms: dict[str, str] = {}
    for t in targets:
        realm = t.get("realm")
        if realm and t.get("mode") != "off" and t.get("present", True):
            key = realm_key(realm, str(t.get("flavor", "retail")))
            flavor = "" if t.get("flavor") == "retail" else f", {t.get('flavor')}"
            realms.setdefault(key, f"{realm.get('name') or realm['connected_realm_id']} "
                                   f"({realm['region']}{flavor})")
    if not realms:
        return MenuItem("Copy import string (no realm known yet)", enabled=False)
    return MenuItem("Copy import string", children=tuple(
        MenuItem(name, children=(MenuItem("TSM import string", Command(Kind.COPY, (key, "tsm", name))),
                                 MenuItem("Plain item list", Command(Kind.COPY, (key, "list", name)))))
        for key, name in sorted(realms.items(), key=lambda kv: kv[1])))


def _undo_item(targets: Sequence[Mapping[str, Any]]) -> MenuItem:
    done = [t for t in targets if (t.get("last_apply") or {}).get("backup_id")]
    if not done:
        return MenuItem("Undo last apply (nothing applied yet)", enabled=False)
    children: list[Entry] = []
    for t in sorted(done, key=target_label):
        if str(t.get("reason") or "").startswith(GAME_RUNNING):
            children.append(MenuItem(f"{target_label(t)}: close the game first", enabled=False))
        else:
            children.append(MenuItem(target_label(t), Command(Kind.UNDO, (str(t["id"]),))))
    return MenuItem("Undo last apply", children=tuple(children))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

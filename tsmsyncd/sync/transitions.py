"""The engine's decisions for one target, as pure functions: what it knows in, what to do out.

    string/off ─────────────────────────────────────────────────────────────▶ idle
    merge, no realm or no groups yet ───────────────────────────────────────▶ idle (with the reason)
    merge, newest groups already applied ───────────────────────────────────▶ applied (up to date)
    merge, new groups, game running ──▶ plan (dry run) ──▶ pending ──┐
    merge, new groups, game closed ───────────────────────────────────┴─ file quiet ─▶ apply ─▶ applied | error

An undo puts the file back as it was and keeps it so: the undone groups are not applied again (not even
after the game rewrites the file); the next new groups are. A pending plan is kept across restarts;
whatever the engine does next re-reads the file, so a file the game wrote at exit is what gets planned and
applied. Paused means: no apply starts (refreshes and plans still run, so the UI stays true).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tsmsyncd.wow.targets import Mode, State

__all__ = ["UNDONE", "Action", "Situation", "decide", "resting_state"]

UNDONE = "undone: the file is as it was before the last apply; newer groups are applied when they come"


class Action(StrEnum):
    NOTHING = "nothing"
    PLAN = "plan"  # dry run, then the plan waits (pending) for the game to close
    APPLY = "apply"
    FORGET = "forget"  # a pending plan that no longer applies (mode changed, newer groups): drop it


@dataclass(frozen=True)
class Situation:
    mode: Mode
    has_realm: bool
    groups_hash: str | None  # the newest GroupSet of the target's realm
    applied_hash: str | None  # what the last apply wrote
    pending_hash: str | None  # what a pending plan waits to write
    game_running: bool
    file_quiet: bool  # unchanged for the quiet period: no program is writing it right now
    paused: bool = False
    file_changed: bool = False  # the file is not the one the pending plan was made from
    rewritten: bool = False  # something wrote the file since it was last found holding the groups
    undone: bool = False  # the player undid the apply of these very groups: not again until newer ones


def decide(s: Situation) -> Action:
    """The next step for a target (called after a refresh and on every game-watch tick)."""
    if s.mode is not Mode.MERGE or not s.has_realm or s.groups_hash is None:
        return Action.FORGET if s.pending_hash else Action.NOTHING
    if s.pending_hash is not None and s.pending_hash != s.groups_hash:
        return Action.PLAN if s.game_running else (Action.APPLY if s.file_quiet and not s.paused else Action.NOTHING)
    if s.pending_hash is None and s.applied_hash == s.groups_hash and (s.undone or not s.rewritten):
        return Action.NOTHING  # up to date, or taken out by the player's undo
    if s.game_running:
        return Action.PLAN if s.pending_hash is None or s.file_changed else Action.NOTHING
    if not s.file_quiet or s.paused:
        return Action.NOTHING  # wait: a program is writing the file, or the player paused applying
    return Action.APPLY


def resting_state(s: Situation) -> tuple[State, str | None]:
    """What the target's state says when nothing is running for it."""
    if s.mode is Mode.OFF:
        return State.IDLE, "off: tsmsyncd leaves this profile alone"
    if s.mode is Mode.STRING:
        return State.IDLE, "import strings only: turn merging on to have groups applied"
    if not s.has_realm:
        return State.IDLE, "no realm: set it by hand or log in a character on this profile"
    if s.groups_hash is None:
        return State.IDLE, "no groups generated for this realm yet"
    if s.pending_hash is not None:
        if s.game_running:
            return State.PENDING, "World of Warcraft is running; the groups are applied once it is closed"
        if s.paused:
            return State.PENDING, "paused: the groups are applied when you resume"
        return State.PENDING, "waiting for the file to stay unchanged for a few seconds"
    if s.applied_hash == s.groups_hash and s.undone:
        return State.IDLE, UNDONE
    if s.applied_hash == s.groups_hash and not s.rewritten:
        return State.APPLIED, "up to date"
    return State.PLANNED, "new groups: applied at the next check"

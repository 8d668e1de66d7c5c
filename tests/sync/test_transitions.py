"""The engine's decisions, one situation at a time (sync/transitions.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tsmsyncd.sync.transitions import Action, Situation, decide, resting_state
from tsmsyncd.wow.targets import Mode, State

NEW = Situation(Mode.MERGE, True, "v2", "v1", None, game_running=False, file_quiet=True)


def test_new_groups_with_the_game_closed_and_the_file_quiet_are_applied() -> None:
    assert decide(NEW) is Action.APPLY


def test_new_groups_while_the_game_runs_are_planned_and_then_wait() -> None:
    playing = replace(NEW, game_running=True)
    assert decide(playing) is Action.PLAN
    waiting = replace(playing, pending_hash="v2")
    assert decide(waiting) is Action.NOTHING
    assert resting_state(waiting) == (State.PENDING, "World of Warcraft is running; the groups are applied once "
                                                     "it is closed")


def test_a_pending_plan_is_applied_once_the_game_closed_and_the_file_is_quiet() -> None:
    waiting = replace(NEW, pending_hash="v2")
    assert decide(waiting) is Action.APPLY
    assert decide(replace(waiting, file_quiet=False)) is Action.NOTHING  # the game is still writing at exit
    assert decide(replace(waiting, paused=True)) is Action.NOTHING


def test_the_file_changed_under_a_pending_plan_is_planned_again() -> None:
    waiting = replace(NEW, pending_hash="v2", game_running=True, file_changed=True)
    assert decide(waiting) is Action.PLAN


def test_newer_groups_than_the_pending_plan_replace_it() -> None:
    stale = replace(NEW, groups_hash="v3", pending_hash="v2", game_running=True)
    assert decide(stale) is Action.PLAN
    assert decide(replace(stale, game_running=False)) is Action.APPLY


def test_up_to_date_does_nothing() -> None:
    done = replace(NEW, groups_hash="v1")
    assert decide(done) is Action.NOTHING
    assert resting_state(done) == (State.APPLIED, "up to date")


@pytest.mark.parametrize("mode", [Mode.STRING, Mode.OFF])
def test_string_and_off_never_write_and_forget_a_pending_plan(mode: Mode) -> None:
    assert decide(replace(NEW, mode=mode)) is Action.NOTHING
    assert decide(replace(NEW, mode=mode, pending_hash="v2")) is Action.FORGET
    assert resting_state(replace(NEW, mode=mode))[0] is State.IDLE


def test_no_realm_or_no_groups_rest_with_the_reason() -> None:
    assert resting_state(replace(NEW, has_realm=False)) == (State.IDLE, "no realm: set it by hand or log in a "
                                                                        "character on this profile")
    assert decide(replace(NEW, groups_hash=None)) is Action.NOTHING


def test_a_file_rewritten_since_it_held_the_groups_is_checked_again() -> None:
    """The game rewrites the file at every logout, and a player may restore a backup: up to date is only
    true of the file as it was when it was last found holding the groups."""
    done = replace(NEW, groups_hash="v1", rewritten=True)
    assert decide(done) is Action.APPLY  # the merger finds "unchanged", or puts the groups back
    assert decide(replace(done, game_running=True)) is Action.PLAN
    assert resting_state(done)[0] is State.PLANNED


def test_undone_groups_stay_out_even_when_the_game_rewrites_the_file_and_newer_ones_go_in() -> None:
    undone = replace(NEW, groups_hash="v1", undone=True)
    assert decide(undone) is Action.NOTHING
    assert decide(replace(undone, rewritten=True)) is Action.NOTHING  # the game saved at logout: still out
    assert resting_state(undone)[0] is State.IDLE and resting_state(undone)[1].startswith("undone:")
    assert decide(replace(undone, groups_hash="v2")) is Action.APPLY  # the next refresh made new groups

"""The tray's menu and icon state as a pure function of the engine's state: every state, no screen."""

from __future__ import annotations

from typing import Any

import pytest

from tsmsyncd.tray.menu import (
    SEPARATOR,
    Command,
    IconState,
    Kind,
    MenuItem,
    TrayView,
    starting_view,
    tray_view,
)
from tsmsyncd.wow.targets import State

SETUP = {"credentials": True, "targets": 2, "merging": 1, "realm_index": True}
RUNNING = "World of Warcraft is running; the groups are applied once it is closed"


def status(state: str = "idle", **more: Any) -> dict[str, Any]:
    return {"state": state, "paused": state == "paused", "targets": {}, "pending": 0, "last_refresh": None,
            "last_error": None, "jobs_running": 0, "setup": SETUP, **more}


def target(tid: str = "t1", state: str = "applied", reason: str | None = "up to date", *, flavor: str = "retail",
           realm: dict[str, Any] | None = None, mode: str = "merge", backup: str | None = None,
           account: str = "ACC1", profile: str = "Default") -> dict[str, Any]:
    return {"id": tid, "flavor": flavor, "account": account, "profile": profile, "state": state, "reason": reason,
            "mode": mode, "present": True,
            "realm": realm if realm is not None else {"region": "us", "connected_realm_id": 57, "name": "Illidan"},
            "last_apply": {"backup_id": backup} if backup else None}


def labels(view: TrayView) -> list[str]:
    return [e.label if isinstance(e, MenuItem) else "---" for e in view.items]


def item(view: TrayView, label: str) -> MenuItem:
    found = view.find(label)
    assert found is not None, (label, labels(view))
    return found


# -- every engine state -----------------------------------------------------------------------------------

CASES = [
    ("idle", status(), [target()], "Up to date (1 of 1 profiles merging)"),
    ("refreshing", status("refreshing"), [target()], "Refreshing market data…"),
    ("pending", status("pending", pending=1), [target(state="pending", reason=RUNNING)],
     "Waiting for World of Warcraft to close (1 pending)"),
    ("error", status("error", last_error="us: Blizzard answered 503"), [target()],
     "Problem: us: Blizzard answered 503"),
    ("paused", status("paused"), [target()], "Paused: nothing is applied until you resume"),
]


@pytest.mark.parametrize(("state", "engine", "targets", "line"), CASES, ids=[c[0] for c in CASES])
def test_every_state_has_its_icon_status_line_and_tooltip(state: str, engine: dict[str, Any],
                                                          targets: list[dict[str, Any]], line: str) -> None:
    view = tray_view(engine, targets)
    assert view.state is IconState(state)
    status_line = view.items[1]
    assert isinstance(status_line, MenuItem) and status_line.label == line and not status_line.enabled
    assert view.tooltip == f"tsmsyncd: {line}"


@pytest.mark.parametrize(("state", "engine", "targets", "line"), CASES, ids=[c[0] for c in CASES])
def test_the_menu_has_the_same_shape_in_every_state(state: str, engine: dict[str, Any],
                                                    targets: list[dict[str, Any]], line: str) -> None:
    view = tray_view(engine, targets)
    shape = [lbl.split(" (")[0].split(":")[0] for lbl in labels(view)]
    assert shape[0] == "Open tsmsyncd" and shape[2] == "---" and shape[-2:] == ["---", "Quit tsmsyncd"]
    assert shape[3] in ("Refresh now", "Refreshing…")
    assert shape[4] == "Apply pending groups" and shape[5] == "Copy import string"
    assert shape[6] == "Undo last apply" and shape[7] in ("Pause applying", "Resume applying")
    assert shape[8] == "Backups"
    open_item = item(view, "Open tsmsyncd")
    assert open_item.default and open_item.command == Command(Kind.OPEN)  # the click on the icon
    assert item(view, "Quit tsmsyncd").command == Command(Kind.QUIT)
    assert item(view, "Open folder").command == Command(Kind.BACKUPS)


@pytest.mark.parametrize("target_state", list(State))
def test_every_target_state_builds_a_menu_whose_apply_item_follows_it(target_state: State) -> None:
    """Each state a target can be in (``wow/targets.py``), the engine's overall state as it derives it."""
    overall = {State.ERROR: "error", State.PENDING: "pending", State.REFRESHING: "refreshing"}.get(target_state, "idle")
    view = tray_view(status(overall, pending=int(target_state is State.PENDING)),
                     [target(state=str(target_state), reason="waiting for the file to stay unchanged")])
    assert view.state is IconState(overall)
    apply = item(view, "Apply pending groups")
    assert apply.enabled is (target_state is State.PENDING)
    assert apply.command == (Command(Kind.APPLY, ("t1",)) if target_state is State.PENDING else None)


def test_refresh_is_offered_except_while_refreshing() -> None:
    assert item(tray_view(status(), []), "Refresh now").command == Command(Kind.REFRESH)
    busy = item(tray_view(status("refreshing"), []), "Refreshing")
    assert not busy.enabled and busy.command is None


def test_pause_and_resume_follow_the_engine() -> None:
    assert item(tray_view(status(), []), "Pause applying").command == Command(Kind.PAUSE)
    assert item(tray_view(status("paused"), []), "Resume applying").command == Command(Kind.RESUME)


# -- apply pending ----------------------------------------------------------------------------------------


def test_apply_pending_is_disabled_with_the_reason_while_the_game_runs() -> None:
    view = tray_view(status("pending", pending=1), [target(state="pending", reason=RUNNING)])
    apply = item(view, "Apply pending groups")
    assert apply.label == "Apply pending groups: close World of Warcraft first"
    assert not apply.enabled and apply.command is None


def test_apply_pending_names_what_can_be_applied_once_the_game_is_closed() -> None:
    targets = [target("a", "pending", "waiting for the file to stay unchanged for a few seconds"),
               target("b", "pending", RUNNING, account="ACC2"), target("c")]
    apply = item(tray_view(status("pending", pending=2), targets), "Apply pending groups")
    assert apply.label == "Apply pending groups (1)" and apply.command == Command(Kind.APPLY, ("a",))


def test_apply_pending_with_nothing_waiting() -> None:
    apply = item(tray_view(status(), [target()]), "Apply pending groups")
    assert apply.label == "Apply pending groups (none waiting)" and not apply.enabled


# -- import strings and undo ------------------------------------------------------------------------------


def test_copy_import_string_per_target_realm_in_both_formats() -> None:
    era = {"region": "eu", "connected_realm_id": 5, "name": "Firemaw"}
    targets = [target("a"), target("b", account="ACC2"), target("c", flavor="classic-era", realm=era),
               target("d", mode="off", realm={"region": "us", "connected_realm_id": 99, "name": "Off Realm"})]
    copy = item(tray_view(status(), targets), "Copy import string")
    realms = [c for c in copy.children if isinstance(c, MenuItem)]
    assert [r.label for r in realms] == ["Firemaw (eu, classic-era)", "Illidan (us)"]  # one per realm, none off
    firemaw, illidan = realms
    assert [c.command for c in illidan.children if isinstance(c, MenuItem)] == [
        Command(Kind.COPY, ("us/57", "tsm", "Illidan (us)")), Command(Kind.COPY, ("us/57", "list", "Illidan (us)"))]
    assert [c.label for c in illidan.children if isinstance(c, MenuItem)] == ["TSM import string", "Plain item list"]
    tsm = firemaw.children[0]
    assert isinstance(tsm, MenuItem) and tsm.command is not None and tsm.command.args[0] == "eu/classic-era/5"


def test_no_realm_no_import_string() -> None:
    targets = [{**target(), "realm": None}]
    copy = item(tray_view(status(), targets), "Copy import string")
    assert copy.label == "Copy import string (no realm known yet)" and not copy.enabled and not copy.children


def test_undo_lists_each_target_that_was_applied() -> None:
    targets = [target("a", backup="b1"), target("b", account="ACC2", state="pending", reason=RUNNING, backup="b2"),
               target("c")]
    undo = item(tray_view(status("pending", pending=1), targets), "Undo last apply")
    assert [(c.label, c.enabled, c.command) for c in undo.children if isinstance(c, MenuItem)] == [
        ("ACC1 · Default (retail)", True, Command(Kind.UNDO, ("a",))),
        ("ACC2 · Default (retail): close the game first", False, None)]
    nothing = item(tray_view(status(), [target()]), "Undo last apply")
    assert nothing.label == "Undo last apply (nothing applied yet)" and not nothing.enabled


# -- words ------------------------------------------------------------------------------------------------


def test_setup_needed_says_so() -> None:
    view = tray_view(status("error", last_error="Blizzard API credentials are not set",
                            setup={**SETUP, "credentials": False}), [])
    assert view.state is IconState.ERROR
    assert view.tooltip == "tsmsyncd: Setup needed: open tsmsyncd to add Blizzard API credentials"


def test_a_target_error_names_the_target_and_long_reasons_are_clipped() -> None:
    view = tray_view(status("error"), [target(state="error", reason="the file changed " * 20)])
    line = item(view, "Problem")
    assert line.label.startswith("Problem: ACC1 · Default (retail): the file changed")
    assert len(line.label) <= 90 and line.label.endswith("…") and len(view.tooltip) <= 120


def test_an_unknown_state_shows_as_an_error_rather_than_a_crash() -> None:
    assert tray_view(status("exploded"), []).state is IconState.ERROR


def test_before_the_daemon_listens_only_quit_works() -> None:
    view = starting_view()
    assert view.items[2] is SEPARATOR
    active = [e for e in view.items if isinstance(e, MenuItem) and e.enabled]
    assert [e.command for e in active] == [Command(Kind.QUIT)]

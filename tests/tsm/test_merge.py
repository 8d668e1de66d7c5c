"""Planning a merge (pure): what changes in a profile's groups, items and operations, and what never does."""

from __future__ import annotations

import pytest

from tsmsyncd.errors import InputError
from tsmsyncd.tsm.groupset import GroupSet
from tsmsyncd.tsm.merge import plan_merge
from tsmsyncd.tsm.operations import MODULES, Flavor

ROOT_LISTS = {m: {1: "#Default", "override": True} for m in MODULES}


def groupset(groups: list[dict], operations: dict | None = None, root: str = "TSM Sync") -> GroupSet:
    return GroupSet.from_dict({"format": "tsmsyncd.groupset/1", "root": root, "groups": groups,
                               "operations": operations or {}})


def current(groups: dict | None = None, items: dict | None = None, ops: dict | None = None) -> dict:
    base_groups = {"": dict(ROOT_LISTS), "Herbs": {m: {1: "#Default"} for m in MODULES}}
    return {
        "p@Default@userData@groups": {**base_groups, **(groups or {})},
        "p@Default@userData@items": {"i:765": "Herbs", **(items or {})},
        "p@Default@userData@operations": ops if ops is not None else {m: {"#Default": {"ignorePlayer": {}}}
                                                                      for m in MODULES},
    }


def plan(gs: GroupSet, cur: dict, **kw):
    """Plan into profile Default, where tsmsyncd created the root before (unless ``owned`` says otherwise)."""
    return plan_merge(gs, cur, ("Default",), global_operations=kw.get("global_operations", False),
                      shared_operations_key="g@ @userData@sharedOperations", flavor=kw.get("flavor", Flavor.RETAIL),
                      owned=kw.get("owned", frozenset({"Default"})), adopt=kw.get("adopt", False))


FLIPS = [
    {"path": ["Flips"], "items": [], "operations": {"Shopping": ["TSM Sync Flip Buy"]}},
    {"path": ["Flips", "High Volume"], "items": ["i:2447", "i:765", "i:2449"], "operations": {}},
]
FLIP_OPS = {"Shopping": {"TSM Sync Flip Buy": {"maxPrice": "dbmarket * 0.8", "restockQuantity": "10"}}}


def test_the_managed_subtree_is_created_with_its_parents() -> None:
    p = plan(groupset([{"path": ["A", "B", "C"], "items": ["i:1"], "operations": {}}]), current())
    groups = p.changes["p@Default@userData@groups"]
    assert {"TSM Sync", "TSM Sync`A", "TSM Sync`A`B", "TSM Sync`A`B`C"} <= set(groups)
    assert p.changes["p@Default@userData@items"]["i:1"] == "TSM Sync`A`B`C"


def test_groups_look_the_way_tsm_leaves_them_after_loading() -> None:
    p = plan(groupset(FLIPS, FLIP_OPS), current())
    groups = p.changes["p@Default@userData@groups"]
    # Every module present; listed operations first with override; others copy the parent's list.
    assert groups["TSM Sync`Flips"]["Shopping"] == {1: "TSM Sync Flip Buy", "override": True}
    assert groups["TSM Sync`Flips"]["Auctioning"] == {1: "#Default"}
    assert groups["TSM Sync`Flips`High Volume"]["Shopping"] == {1: "TSM Sync Flip Buy"}
    assert set(groups["TSM Sync"]) == set(MODULES)


def test_stale_managed_groups_and_their_items_vanish_but_siblings_with_the_same_prefix_stay() -> None:
    cur = current(
        groups={"TSM Sync": {}, "TSM Sync`Old": {}, "TSM Syncopation": {"Shopping": {}}},
        items={"i:9": "TSM Sync`Old", "i:10": "TSM Syncopation"},
    )
    p = plan(groupset(FLIPS, FLIP_OPS), cur)
    groups, items = p.changes["p@Default@userData@groups"], p.changes["p@Default@userData@items"]
    assert "TSM Sync`Old" not in groups and "i:9" not in items
    assert groups["TSM Syncopation"] == {"Shopping": {}} and items["i:10"] == "TSM Syncopation"
    report = p.report.profiles[0]
    assert report.groups_removed == ("TSM Sync`Old",)
    assert report.items_removed == ("i:9",)


def test_items_the_player_keeps_in_their_own_groups_never_move() -> None:
    p = plan(groupset(FLIPS, FLIP_OPS), current())
    items = p.changes["p@Default@userData@items"]
    assert items["i:765"] == "Herbs"
    assert p.report.profiles[0].items_skipped == (("i:765", "Herbs"),)
    assert p.report.profiles[0].items_added == ("i:2447", "i:2449")


def test_items_move_between_managed_groups() -> None:
    cur = current(groups={"TSM Sync": {}, "TSM Sync`Deals": {}}, items={"i:2447": "TSM Sync`Deals"})
    p = plan(groupset(FLIPS, FLIP_OPS), cur)
    assert p.changes["p@Default@userData@items"]["i:2447"] == "TSM Sync`Flips`High Volume"
    assert p.report.profiles[0].items_moved == ("i:2447",)


def test_the_players_groups_and_operations_are_never_changed() -> None:
    cur = current(groups={"Herbs`Rare": {"Shopping": {1: "Mine", "override": True}}})
    cur["p@Default@userData@operations"]["Shopping"]["Mine"] = {"maxPrice": "1g", "custom": "x"}
    p = plan(groupset(FLIPS, FLIP_OPS), cur)
    for path in ("", "Herbs", "Herbs`Rare"):
        assert p.changes["p@Default@userData@groups"][path] == cur["p@Default@userData@groups"][path]
    ops = p.changes["p@Default@userData@operations"]
    assert ops["Shopping"]["Mine"] == {"maxPrice": "1g", "custom": "x"}
    assert ops["Shopping"]["#Default"] == {"ignorePlayer": {}}


def test_operations_get_tsm_defaults_and_the_common_keys() -> None:
    p = plan(groupset(FLIPS, FLIP_OPS), current())
    op = p.changes["p@Default@userData@operations"]["Shopping"]["TSM Sync Flip Buy"]
    assert op["maxPrice"] == "dbmarket * 0.8" and op["restockQuantity"] == "10"
    assert op["showAboveMaxPrice"] is True
    assert op["ignorePlayer"] == {} and op["ignoreFactionrealm"] == {} and op["relationships"] == {}
    assert p.report.operations_created == ("Shopping/TSM Sync Flip Buy",)


def test_updating_a_managed_operation_keeps_the_players_ignore_lists_and_keys_tsm_added() -> None:
    cur = current()
    cur["p@Default@userData@operations"]["Shopping"]["TSM Sync Flip Buy"] = {
        "maxPrice": "dbmarket", "ignorePlayer": {"Bob - Illidan": True}, "futureField": 7,
    }
    p = plan(groupset(FLIPS, FLIP_OPS), cur)
    op = p.changes["p@Default@userData@operations"]["Shopping"]["TSM Sync Flip Buy"]
    assert op["maxPrice"] == "dbmarket * 0.8"
    assert op["ignorePlayer"] == {"Bob - Illidan": True}
    assert op["futureField"] == 7
    assert p.report.operations_updated == ("Shopping/TSM Sync Flip Buy",)


def test_global_operations_go_to_the_shared_table_not_the_profile() -> None:
    cur = current()
    cur["g@ @userData@sharedOperations"] = {"Shopping": {"#Default": {}}}
    p = plan(groupset(FLIPS, FLIP_OPS), cur, global_operations=True)
    assert "TSM Sync Flip Buy" in p.changes["g@ @userData@sharedOperations"]["Shopping"]
    assert "p@Default@userData@operations" not in p.changes
    assert p.report.operations_scope == "global"


def test_applying_the_result_again_is_a_no_op() -> None:
    first = plan(groupset(FLIPS, FLIP_OPS), current())
    after = {**current(), **first.changes}
    again = plan(groupset(FLIPS, FLIP_OPS), after)
    assert again.unchanged
    assert again.report.profiles[0].groups_kept == ("TSM Sync", "TSM Sync`Flips", "TSM Sync`Flips`High Volume")


def test_numbers_keep_the_type_the_players_tsm_version_uses() -> None:
    cur = current()
    cur["p@Default@userData@operations"]["Mailing"] = {"#Default": {"keepQty": 0, "maxQty": 10}}
    ops = {"Mailing": {"TSM Sync Mail": {"keepQty": "5"}}}
    gs = groupset([{"path": ["M"], "items": [], "operations": {"Mailing": ["TSM Sync Mail"]}}], ops)
    op = plan(gs, cur).changes["p@Default@userData@operations"]["Mailing"]["TSM Sync Mail"]
    assert op["keepQty"] == 5


def test_a_group_may_use_an_operation_the_player_owns_but_not_one_nobody_defines() -> None:
    cur = current()
    ok = groupset([{"path": ["X"], "items": [], "operations": {"Shopping": ["#Default"]}}])
    groups = plan(ok, cur).changes["p@Default@userData@groups"]
    assert groups["TSM Sync`X"]["Shopping"] == {1: "#Default", "override": True}
    missing = groupset([{"path": ["X"], "items": [], "operations": {"Shopping": ["Nobody"]}}])
    with pytest.raises(InputError, match="'Nobody'"):
        plan(missing, cur)


def test_a_file_without_a_root_group_gets_override_on_the_managed_root_like_tsm_does() -> None:
    cur = current()
    del cur["p@Default@userData@groups"][""]
    groups = plan(groupset(FLIPS, FLIP_OPS), cur).changes["p@Default@userData@groups"]
    assert "" not in groups
    assert groups["TSM Sync"]["Auctioning"] == {"override": True}


def test_absent_tables_are_created() -> None:
    p = plan(groupset(FLIPS, FLIP_OPS), {})
    assert set(p.changes) == {"p@Default@userData@groups", "p@Default@userData@items", "p@Default@userData@operations"}

"""Plan a merge: a GroupSet plus a profile's current TSM tables in, new tables and a report out.

Pure: no files, no clock, no Lua. The caller reads the current values and writes the result.

Rules (reference §4-§6):
* The managed subtree is the GroupSet's ``root`` group and every path under it (``"TSM Sync`…"``); a
  sibling such as ``TSM Syncopation`` is not managed. It is replaced wholesale: stale managed groups and
  their items vanish, parents always exist.
* Groups are written the way TSM's own sanitiser leaves them, so the game's next load changes nothing and
  the next merge is a no-op: every module has a list; a group that lists operations for a module gets them,
  in order, with ``override = true``; other modules copy the parent's list without ``override``.
* The root must be tsmsyncd's: absent from the file (then it is created), recorded as created by
  tsmsyncd for that profile (``owned``), or explicitly adopted (``adopt``). A root that names groups,
  items or operations of the player's is refused (``RootError``), so no GroupSet can ever replace them.
* Items the player keeps in one of their own groups never move (reported as skipped).
* Operations named in the GroupSet are managed (their names start with the root); they are created or
  updated in the profile's ``userData@operations`` — or in the global table when global operations are on —
  with TSM's defaults and the common keys filled in. Keys TSM added that we do not know are kept, and so
  are the player's ignore lists. The player's own operations are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict, cast

from tsmsyncd.errors import InputError, RootError
from tsmsyncd.tsm.groupset import GroupSet
from tsmsyncd.tsm.luaformat import lua_shape
from tsmsyncd.tsm.operations import COMMON_KEYS, MODULES, Flavor, normalize_settings

__all__ = ["MergePlan", "MergeReport", "ProfileReport", "plan_merge", "profile_keys"]

SEP = "`"

_Table = dict[object, object]  # a Lua table as the file's values hold it (1-based dicts for lists)


def profile_keys(profile: str) -> tuple[str, str, str]:
    """The groups, items and operations keys of one profile."""
    return (f"p@{profile}@userData@groups", f"p@{profile}@userData@items", f"p@{profile}@userData@operations")


@dataclass(frozen=True)
class ProfileReport:
    profile: str
    groups_added: tuple[str, ...] = ()
    groups_removed: tuple[str, ...] = ()
    groups_kept: tuple[str, ...] = ()
    items_added: tuple[str, ...] = ()
    items_moved: tuple[str, ...] = ()
    items_removed: tuple[str, ...] = ()
    items_skipped: tuple[tuple[str, str], ...] = ()  # (item, the player's group that keeps it)
    root: str = "created"  # "created" (it was absent), "kept" (tsmsyncd's from before) or "adopted"


@dataclass(frozen=True)
class MergeReport:
    root: str
    profiles: tuple[ProfileReport, ...]
    operations_scope: str  # "profile" or "global"
    operations_created: tuple[str, ...] = ()  # "Module/Name"
    operations_updated: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergePlan:
    """``changes`` maps each top-level key whose value changes to its complete new value."""

    changes: dict[str, object] = field(default_factory=dict)
    report: MergeReport | None = None
    previous: dict[str, object] = field(default_factory=dict)  # the current value of each changed key

    @property
    def unchanged(self) -> bool:
        return not self.changes


def is_managed(path: str, root: str) -> bool:
    return path == root or path.startswith(root + SEP)


def plan_merge(
    groupset: GroupSet,
    current: Mapping[str, object],
    profiles: tuple[str, ...],
    *,
    global_operations: bool,
    shared_operations_key: str,
    flavor: Flavor,
    owned: frozenset[str] = frozenset(),
    adopt: bool = False,
) -> MergePlan:
    """Plan the merge of ``groupset`` into ``profiles``. ``current`` maps top-level keys to their present
    values (absent keys may be missing or None); ``owned`` holds the profiles where tsmsyncd created the
    root before, ``adopt`` lets it take over a root of the player's (the report says what it replaced)."""
    changes: dict[str, object] = {}
    ops_keys = [shared_operations_key] if global_operations else [profile_keys(p)[2] for p in profiles]
    roots = {p: _root_status(groupset, p, current, owned, adopt) for p in profiles}
    if not adopt and not owned & set(profiles):
        for key in ops_keys:
            _refuse_players_operations(groupset, _table(current.get(key)))
    created: set[str] = set()
    updated: set[str] = set()
    new_ops: dict[str, _Table] = {}
    for key in ops_keys:
        before = _table(current.get(key))
        after, c, u = _plan_operations(groupset, before, flavor)
        created |= c
        updated |= u
        new_ops[key] = after
        if after != before:
            changes[key] = after
    reports = []
    for profile in profiles:
        groups_key, items_key, own_ops_key = profile_keys(profile)
        ops = new_ops[shared_operations_key if global_operations else own_ops_key]
        before_groups = _table(current.get(groups_key))
        before_items = _table(current.get(items_key))
        groups = _plan_groups(groupset, before_groups, ops, profile)
        items, item_report = _plan_items(groupset, before_items)
        # Both sides already have Lua's shape (1-based dicts, ints for integral numbers): compare directly.
        if groups != before_groups:
            changes[groups_key] = groups
        if items != before_items:
            changes[items_key] = items
        reports.append(_profile_report(profile, groupset.root, before_groups, groups, item_report, roots[profile]))
    report = MergeReport(
        root=groupset.root,
        profiles=tuple(reports),
        operations_scope="global" if global_operations else "profile",
        operations_created=tuple(sorted(created)),
        operations_updated=tuple(sorted(updated)),
    )
    return MergePlan(changes, report, {key: current.get(key) for key in changes})


def _root_status(groupset: GroupSet, profile: str, current: Mapping[str, object], owned: frozenset[str],
                 adopt: bool) -> str:
    """Whether the root is created, kept or adopted in ``profile``; RootError if it is the player's."""
    root = groupset.root
    groups_key, items_key, _ = profile_keys(profile)
    groups = [p for p in _table(current.get(groups_key)) if isinstance(p, str) and is_managed(p, root)]
    items = [i for i, p in _table(current.get(items_key)).items() if isinstance(p, str) and is_managed(p, root)]
    if not groups and not items:
        return "created"
    if profile in owned:
        return "kept"
    if adopt:
        return "adopted"
    raise RootError(root, (
        f"group '{root}' already exists in profile {profile} ({_count(len(groups), 'group')}, "
        f"{_count(len(items), 'item')}) and tsmsyncd did not create it: merging would replace it. Use another root "
        "in the GroupSet, or adopt it explicitly (merge --adopt-root) to let tsmsyncd manage and replace it"))


def _refuse_players_operations(groupset: GroupSet, before: _Table) -> None:
    """Operations the GroupSet would update that already exist while the root is not tsmsyncd's are
    the player's own, whatever their names."""
    for module, ops in groupset.operations.items():
        table = before.get(module)
        for name in ops:
            if isinstance(table, Mapping) and isinstance(table.get(name), Mapping):
                raise RootError(groupset.root, (
                    f"{module} operation '{name}' already exists and tsmsyncd did not create it (the root group "
                    f"'{groupset.root}' is not tsmsyncd's in this file): merging would overwrite it. Rename the "
                    "operation in the GroupSet, or adopt the root explicitly (merge --adopt-root)"))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _table(value: object) -> _Table:
    return dict(value) if isinstance(value, Mapping) else {}


def _plan_operations(groupset: GroupSet, before: _Table, flavor: Flavor) -> tuple[_Table, set[str], set[str]]:
    after = {module: dict(ops) if isinstance(ops, Mapping) else ops for module, ops in before.items()}
    created, updated = set(), set()
    for module, ops in groupset.operations.items():
        table = after.setdefault(module, {})
        if not isinstance(table, dict):
            raise InputError(f"the file's {module} operations are not a table; refusing to guess")
        for name, settings in ops.items():
            desired = lua_shape(normalize_settings(module, settings, flavor))
            assert isinstance(desired, dict)  # lua_shape keeps a mapping a dict
            old = table.get(name)
            if isinstance(old, Mapping):
                merged = _adapt_types(dict(old), desired, table.get("#Default"))
                if merged != old:
                    updated.add(f"{module}/{name}")
            else:
                merged = _adapt_types({}, desired, table.get("#Default"))
                created.add(f"{module}/{name}")
            table[name] = merged
    return after, created, updated


def _adapt_types(base: _Table, desired: _Table, example: object) -> _Table:
    """Overlay ``desired`` on ``base``: known fields take our values, keys TSM added stay, and the
    player's ignore lists and relationships stay. Where the player's own ``#Default`` stores a field as a
    number (older TSM versions did), write a number too, so TSM does not reset it on load."""
    example = example if isinstance(example, Mapping) else {}
    for key, value in desired.items():
        if key in COMMON_KEYS and isinstance(base.get(key), Mapping):
            continue
        old_style = example.get(key)
        if isinstance(value, str) and isinstance(old_style, (int, float)) and not isinstance(old_style, bool):
            try:
                number = float(value)
                value = int(number) if number.is_integer() else number
            except ValueError:
                pass
        base[key] = value
    return base


def _plan_groups(groupset: GroupSet, before: _Table, ops: Mapping[object, object], profile: str) -> _Table:
    root = groupset.root
    after = {path: value for path, value in before.items() if not (isinstance(path, str) and is_managed(path, root))}
    modules = _modules(before)
    specs = {spec.path: spec for spec in groupset.groups}
    wanted = {()} | {spec.path[:i] for spec in groupset.groups for i in range(1, len(spec.path) + 1)}
    for rel in sorted(wanted, key=lambda p: (len(p), p)):
        full = SEP.join((root, *rel))
        parent = SEP.join((root, *rel[:-1])) if rel else ""
        spec = specs.get(rel)
        entry: dict[str, _Table] = {}
        for module in modules:
            names = spec.operations.get(module, ()) if spec else ()
            for name in names:
                if not isinstance(_table(ops.get(module)).get(name), Mapping):
                    raise InputError(
                        f"group '{full}' uses {module} operation '{name}', which neither the GroupSet nor "
                        f"profile '{profile}' defines"
                    )
            if names:
                entry[module] = {**{i + 1: n for i, n in enumerate(names)}, "override": True}
            else:
                entry[module] = _inherited(after.get(parent), module, parent)
        after[full] = entry
    return after


def _modules(groups: Mapping[object, object]) -> tuple[str, ...]:
    """The modules this file's groups carry (the root group lists them); TSM's seven otherwise."""
    root = groups.get("")
    if isinstance(root, Mapping):
        found = [m for m in MODULES if m in root] + sorted(m for m in root if isinstance(m, str) and m not in MODULES)
        if found:
            return tuple(found)
    return MODULES


def _inherited(parent: object, module: str, parent_path: str) -> _Table:
    """What TSM's sanitiser stores for a module without override: a copy of the parent's list. Without
    a root group TSM gives every top-level group ``override = true``, so we do the same."""
    if not isinstance(parent, Mapping):
        return {"override": True} if parent_path == "" else {}
    source = parent.get(module)
    source = source if isinstance(source, Mapping) else {}
    names = [source[i] for i in range(1, len(source) + 1) if i in source]
    return {i + 1: n for i, n in enumerate(names)}


class _ItemReport(TypedDict):
    added: list[str]
    moved: list[str]
    removed: list[str]
    skipped: list[tuple[str, str]]  # (item, the player's group that keeps it)


def _plan_items(groupset: GroupSet, before: _Table) -> tuple[_Table, _ItemReport]:
    root = groupset.root
    after = {item: path for item, path in before.items() if not (isinstance(path, str) and is_managed(path, root))}
    report: _ItemReport = {"added": [], "moved": [], "removed": [], "skipped": []}
    placed: set[str] = set()
    for spec in groupset.groups:
        full = SEP.join((root, *spec.path))
        for item in spec.items:
            old = before.get(item)
            if isinstance(old, str) and not is_managed(old, root):
                report["skipped"].append((item, old))
                continue
            after[item] = full
            placed.add(item)
            if old is None:
                report["added"].append(item)
            elif old != full:
                report["moved"].append(item)
    for key, path in before.items():
        if isinstance(path, str) and is_managed(path, root) and key not in placed:
            report["removed"].append(cast(str, key))  # TSM keys its items table by item string
    return after, report


def _profile_report(
    profile: str, root: str, before: _Table, after: _Table, items: _ItemReport, status: str
) -> ProfileReport:
    old = {p for p in before if isinstance(p, str) and is_managed(p, root)}
    new = {p for p in after if isinstance(p, str) and is_managed(p, root)}
    return ProfileReport(
        profile=profile,
        groups_added=tuple(sorted(new - old)),
        groups_removed=tuple(sorted(old - new)),
        groups_kept=tuple(sorted(old & new)),
        items_added=tuple(sorted(items["added"])),
        items_moved=tuple(sorted(items["moved"])),
        items_removed=tuple(sorted(items["removed"])),
        items_skipped=tuple(sorted(items["skipped"])),
        root=status,
    )

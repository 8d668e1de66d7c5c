"""Import strings for a GroupSet: TSM4's own export format and TSM's plain list of groups and items.

``tsm_string`` is what TSM 4.14's group export writes (``LibTSMTypes/Source/ImportExport/GroupExport.lua``)::

    LibDeflate:EncodeForPrint(LibDeflate:CompressDeflate(LibSerialize:SerializeEx({stable = true, ...},
        "TSM_EXPORT", 1, groupName, items, groups, groupOperations, operations, customSources)))

with the GroupSet root as the exported top-level group. Paths are relative to it (``""`` is the root
itself) and joined with backticks. The shape follows what TSM's importer (``GroupImport.lua``) accepts:

* ``groups`` holds ``""`` and every parent of every path; every item's group is in it.
* ``groupOperations`` has an entry for every group and, in it, a list for every module the string
  carries (the import dialog reads each group's list for every carried module and fails on a missing
  one). A group's own operations come with ``override = true``; any other group repeats what it inherits,
  without ``override``, which the importer ignores. The top-level group always overrides (the importer
  refuses it otherwise), so for a carried module the root does not list, it is pinned to no operations.
* A module no group lists (with at least one operation) is not carried at all, so the imported groups
  keep inheriting the player's own operations for it. Mailing never travels: TSM leaves it out of its
  exports and refuses an import that has it.
* ``operations`` holds the settings of every operation the groups use, filled in with TSM's defaults for
  the client flavor, minus the player-specific ``ignorePlayer``, ``ignoreFactionrealm`` and
  ``relationships`` that TSM's export filters out. ``customSources`` is empty.

``list_string`` is TSM's oldest format: ``group:<path>`` parts switch the current group and item strings
follow (``group:TSM Sync`Flips`High Volume,i:2447,i:765``). It carries no operations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tsmsyncd.errors import InputError
from tsmsyncd.tsm.groupset import GroupSet, GroupSpec
from tsmsyncd.tsm.libdeflate import compress_deflate, encode_for_print
from tsmsyncd.tsm.libserialize import serialize
from tsmsyncd.tsm.operations import COMMON_KEYS, MAX_OPERATIONS, MODULES, Flavor, normalize_settings

__all__ = ["EXPORTED_MODULES", "MAGIC", "VERSION", "list_string", "tsm_string"]

MAGIC = "TSM_EXPORT"
VERSION = 1
EXPORTED_MODULES = tuple(m for m in MODULES if m != "Mailing")  # TSM's IMPORT_EXPORT_IGNORED_OPERATION_TYPES
SEP = "`"
# What TSM's list importer takes as an item part; anything else makes it reject the whole string.
_LIST_ITEM = re.compile(r"[ip]?:?[0-9:\-]+")

GroupPath = tuple[str, ...]


def tsm_string(groupset: GroupSet, flavor: Flavor = Flavor.RETAIL) -> str:
    """The GroupSet as a TSM4 import string (groups, items and their operations)."""
    payload = _payload(groupset, flavor)
    try:
        serialized = serialize(MAGIC, VERSION, *payload)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the GroupSet cannot be written as a TSM import string: {exc}") from exc
    return encode_for_print(compress_deflate(serialized))


def list_string(groupset: GroupSet) -> str:
    """The GroupSet's groups and items in TSM's list format, in GroupSet order; groups without items stay."""
    parts = []
    for spec in groupset.groups:
        parts.append("group:" + _list_path(groupset.root, spec.path))
        for item in spec.items:
            if not _LIST_ITEM.fullmatch(item):
                raise InputError(f"item {item} in group '{_full(groupset.root, spec.path)}' cannot be written in "
                                 "TSM's list format; use the TSM export string")
            parts.append(item)
    if not any(spec.items for spec in groupset.groups):
        raise InputError("the GroupSet has no items, and TSM refuses a group list without items")
    return ",".join(parts)


def _full(root: str, path: GroupPath) -> str:
    return SEP.join((root, *path))


def _rel(path: GroupPath) -> str:
    return SEP.join(path)


def _list_path(root: str, path: GroupPath) -> str:
    """The path with each comma written as a double backtick, checked against how TSM reads it back
    (left to right, so a name that starts with a comma runs into the separator before it)."""
    written = SEP.join(name.replace(",", SEP * 2) for name in (root, *path))
    if written.replace(SEP * 2, ",") != _full(root, path):
        raise InputError(f"group '{_full(root, path)}' cannot be written in TSM's list format: a group name "
                         "there cannot start with a comma")
    return written


# group name, items, groups, group operations, operations, custom sources
_Payload = tuple[
    str, dict[str, str], dict[str, bool], dict[str, dict[str, dict[object, object]]],
    dict[str, dict[str, dict[str, object]]], dict[str, str],
]


def _payload(groupset: GroupSet, flavor: Flavor) -> _Payload:
    specs = {spec.path: spec for spec in groupset.groups}
    paths = _all_paths(groupset)
    modules = _carried_modules(groupset)
    lists = _effective_lists(groupset.root, specs, paths, modules)
    items = {item: _rel(spec.path) for spec in groupset.groups for item in spec.items}
    groups = {_rel(path): True for path in paths}
    group_operations = {
        _rel(path): {module: _operation_list(lists[path][module], path == () or _lists(specs.get(path), module))
                     for module in modules}
        for path in paths
    }
    operations = _operations(groupset, lists, modules, flavor)
    return groupset.root, items, groups, group_operations, operations, {}


def _all_paths(groupset: GroupSet) -> list[GroupPath]:
    """The root, every group and every parent of a group, parents before children."""
    paths = {()} | {spec.path[:depth] for spec in groupset.groups for depth in range(1, len(spec.path) + 1)}
    return sorted(paths, key=lambda path: (len(path), path))


def _lists(spec: GroupSpec | None, module: str) -> bool:
    """Whether the group sets its own operations for ``module``; an empty list inherits, as in a merge."""
    return spec is not None and bool(spec.operations.get(module))


def _carried_modules(groupset: GroupSet) -> tuple[str, ...]:
    return tuple(m for m in EXPORTED_MODULES if any(_lists(spec, m) for spec in groupset.groups))


def _effective_lists(
    root: str, specs: Mapping[GroupPath, GroupSpec], paths: list[GroupPath], modules: tuple[str, ...]
) -> dict[GroupPath, dict[str, tuple[str, ...]]]:
    """Each group's operations per module: its own, else its parent's (the root's default is none)."""
    lists: dict[GroupPath, dict[str, tuple[str, ...]]] = {}
    for path in paths:  # parents come first
        spec = specs.get(path)
        lists[path] = {}
        for module in modules:
            if _lists(spec, module):
                names = tuple(spec.operations[module])  # type: ignore[union-attr]
                if len(names) > MAX_OPERATIONS[module]:
                    raise InputError(f"group '{_full(root, path)}' lists {len(names)} {module} operations; TSM "
                                     f"allows at most {MAX_OPERATIONS[module]}")
            else:
                names = lists[path[:-1]][module] if path else ()
            lists[path][module] = names
    return lists


def _operation_list(names: tuple[str, ...], override: bool) -> dict[object, object]:
    """A Lua list of operation names with ``override = true`` beside it when the group overrides."""
    table: dict[object, object] = {index: name for index, name in enumerate(names, start=1)}
    if override:
        table["override"] = True
    return table


def _operations(
    groupset: GroupSet,
    lists: Mapping[GroupPath, Mapping[str, tuple[str, ...]]],
    modules: tuple[str, ...],
    flavor: Flavor,
) -> dict[str, dict[str, dict[str, object]]]:
    """Settings of every operation a carried module's groups use, as TSM exports them."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    for module in modules:
        defined = groupset.operations.get(module, {})
        out[module] = {}
        for path, per_module in lists.items():
            for name in per_module[module]:
                if name in out[module]:
                    continue
                if name not in defined:
                    raise InputError(f"group '{_full(groupset.root, path)}' uses {module} operation '{name}', which "
                                     "the GroupSet does not define; an import string must carry every operation")
                out[module][name] = _exported_settings(module, name, defined[name], flavor)
    return out


def _exported_settings(module: str, name: str, settings: Mapping[str, object], flavor: Flavor) -> dict[str, object]:
    try:
        full = normalize_settings(module, settings, flavor)
    except ValueError as exc:
        raise InputError(f"{module} operation '{name}' is not valid for {flavor.value} clients: {exc}") from exc
    return {key: value for key, value in full.items() if key not in COMMON_KEYS}

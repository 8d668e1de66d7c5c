"""The GroupSet: the one exchange format for generated TSM groups (``tsmsyncd.groupset/1``).

The API returns it, ``merge`` and ``export-string`` read it, the engine stores it. Validation happens
once, on the way in, and every refusal names the field (``groups[3].items[1]``) and the reason. A loaded
GroupSet is immutable: tuples for sequences and read-only mappings for tables.

Rules that come from TSM itself: names never contain a backtick (TSM's path separator); an item belongs to
one group only; a group lists at most TSM's maximum operations per module; operations defined here are
the managed ones, so their names start with the root name.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tsmsyncd.errors import GroupSetError
from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.tsm.operations import MAX_OPERATIONS, MODULES, Flavor, normalize_settings

__all__ = ["FORMAT", "GroupSet", "GroupSpec", "is_item_string"]

FORMAT = "tsmsyncd.groupset/1"
_TOP_KEYS = {"format", "root", "generated_at", "source", "groups", "operations"}
_GROUP_KEYS = {"path", "items", "operations"}
_ITEM = re.compile(r"^(?:i:[1-9][0-9]{0,5}(?::[-+i0-9]*)*|p:[1-9][0-9]{0,5}(?::[i0-9]*)*)$")
MAX_NAME = 255
# TSM stores every group under its full path, so a path of depth d repeats its names d times in the
# file: a 3,000-deep path of 20-character names alone makes a 100 MB TradeSkillMaster.lua (and TSM's
# window cannot show it). These bounds keep every document's merge small and its planning cheap.
MAX_DEPTH = 32
MAX_GROUPS = 5_000
MAX_ITEMS = 100_000


def is_item_string(value: object) -> bool:
    """A TSM item string: ``i:<id>`` (with TSM's optional suffixes) or a battle pet ``p:<species>``."""
    return isinstance(value, str) and _ITEM.match(value) is not None


@dataclass(frozen=True)
class GroupSpec:
    path: tuple[str, ...]  # relative to the root; () is the root group itself
    items: tuple[str, ...]
    operations: Mapping[str, tuple[str, ...]]  # module → operation names, in order


@dataclass(frozen=True)
class GroupSet:
    root: str
    groups: tuple[GroupSpec, ...]
    operations: Mapping[str, Mapping[str, Mapping[str, Any]]]  # module → name → settings (as given)
    generated_at: str | None = None
    source: Mapping[str, Any] | None = None

    @classmethod
    def load(cls, path: Path) -> GroupSet:
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise GroupSetError("file", f"cannot read {path}: {exc.strerror or exc}") from exc
        return cls.from_json(text)

    @classmethod
    def from_json(cls, text: str | bytes) -> GroupSet:
        try:
            data = parse(text)
        except JsonDocError as exc:
            raise GroupSetError("file", exc.reason) from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: object) -> GroupSet:
        if not isinstance(data, Mapping):
            raise GroupSetError("(document)", f"expected a JSON object, got {_kind(data)}")
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise GroupSetError(unknown[0], f"unknown key (expected: {', '.join(sorted(_TOP_KEYS))})")
        if data.get("format") != FORMAT:
            raise GroupSetError("format", f"must be {FORMAT!r}, found {data.get('format')!r}")
        root = _name(data.get("root"), "root")
        operations = _operations(data.get("operations", {}), root)
        groups = _groups(data.get("groups"), operations)
        generated_at = data.get("generated_at")
        if generated_at is not None and not isinstance(generated_at, str):
            raise GroupSetError("generated_at", f"expected a string, got {_kind(generated_at)}")
        source = data.get("source")
        if source is not None and not isinstance(source, Mapping):
            raise GroupSetError("source", f"expected an object, got {_kind(source)}")
        return cls(root, groups, operations, generated_at, MappingProxyType(dict(source)) if source else None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": FORMAT, "root": self.root}
        if self.generated_at is not None:
            out["generated_at"] = self.generated_at
        if self.source is not None:
            out["source"] = dict(self.source)
        out["groups"] = [
            {"path": list(g.path), "items": list(g.items), "operations": {m: list(n) for m, n in g.operations.items()}}
            for g in self.groups
        ]
        out["operations"] = {m: {n: dict(s) for n, s in ops.items()} for m, ops in self.operations.items()}
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, indent=1) + "\n"

    def content_hash(self) -> str:
        """SHA-256 of everything but ``generated_at``: equal hashes, equal groups (a new version is kept
        only when it changes)."""
        doc = self.to_dict()
        doc.pop("generated_at", None)
        return hashlib.sha256(GroupSet.from_dict(doc).to_json().encode()).hexdigest()

    def group_paths(self) -> tuple[tuple[str, ...], ...]:
        return tuple(g.path for g in self.groups)

    def operation_refs(self) -> set[tuple[str, str]]:
        return {(module, name) for g in self.groups for module, names in g.operations.items() for name in names}


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _name(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise GroupSetError(field, f"expected a name (string), got {_kind(value)}")
    if not value:
        raise GroupSetError(field, "a name cannot be empty")
    if "`" in value:
        raise GroupSetError(field, "a name cannot contain a backtick (`), TSM's group path separator")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise GroupSetError(field, "a name cannot contain control characters")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise GroupSetError(field, "a name cannot contain a lone surrogate (\\ud800-\\udfff is not a character)")
    if value != value.strip():
        raise GroupSetError(field, "a name cannot start or end with whitespace")
    if len(value) > MAX_NAME:
        raise GroupSetError(field, f"a name is at most {MAX_NAME} characters")
    return value


def _module(value: object, field: str) -> str:
    if value not in MODULES:
        close = difflib.get_close_matches(str(value), MODULES, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(MODULES)})"
        raise GroupSetError(field, f"unknown TSM module {value!r}{hint}")
    return value


def _op_name(value: object, field: str) -> str:
    """Operation names follow the rules of group names: TSM stores both as table keys and lists them in
    groups, and a backtick or a control character would break its paths and its import strings."""
    if not isinstance(value, str):
        raise GroupSetError(field, f"expected an operation name (string), got {_kind(value)}")
    return _name(value, field)


def _operations(data: object, root: str) -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
    if not isinstance(data, Mapping):
        raise GroupSetError("operations", f"expected an object of modules, got {_kind(data)}")
    out: dict[str, Mapping[str, Mapping[str, Any]]] = {}
    for module, ops in data.items():
        _module(module, f"operations.{module}")
        if not isinstance(ops, Mapping):
            raise GroupSetError(f"operations.{module}", f"expected an object of operations, got {_kind(ops)}")
        named: dict[str, Mapping[str, Any]] = {}
        for name, settings in ops.items():
            field = f"operations.{module}[{json.dumps(name, ensure_ascii=False)}]"
            _op_name(name, field)
            if not name.startswith(root + " "):
                raise GroupSetError(field, f"operation names must start with the root name '{root} ' so they can be "
                                           "told apart from your own operations")
            if not isinstance(settings, Mapping):
                raise GroupSetError(field, f"expected an object of settings, got {_kind(settings)}")
            try:
                normalize_settings(module, settings, Flavor.RETAIL)
            except ValueError as exc:
                key, _, reason = str(exc).partition(": ")
                raise GroupSetError(f"{field}.{key}", reason or str(exc)) from exc
            named[name] = MappingProxyType(dict(settings))
        out[module] = MappingProxyType(named)
    return MappingProxyType(out)


def _groups(data: object, operations: Mapping[str, Mapping[str, Any]]) -> tuple[GroupSpec, ...]:
    if not isinstance(data, list):
        raise GroupSetError("groups", f"expected a list of groups, got {_kind(data)}")
    if len(data) > MAX_GROUPS:
        raise GroupSetError("groups", f"has {len(data):,} groups; at most {MAX_GROUPS:,} fit in one GroupSet")
    seen_paths: dict[tuple[str, ...], int] = {}
    seen_items: dict[str, str] = {}
    specs = []
    for i, group in enumerate(data):
        field = f"groups[{i}]"
        if not isinstance(group, Mapping):
            raise GroupSetError(field, f"expected an object, got {_kind(group)}")
        unknown = sorted(set(group) - _GROUP_KEYS)
        if unknown:
            raise GroupSetError(f"{field}.{unknown[0]}", "unknown key (expected: items, operations, path)")
        path = group.get("path")
        if not isinstance(path, list):
            raise GroupSetError(f"{field}.path", f"expected a list of names, got {_kind(path)}")
        if len(path) > MAX_DEPTH:
            raise GroupSetError(f"{field}.path", f"is {len(path):,} levels deep; groups nest at most {MAX_DEPTH} "
                                                 "levels (TSM writes the whole path again for every level)")
        path_t = tuple(_name(part, f"{field}.path[{j}]") for j, part in enumerate(path))
        if path_t in seen_paths:
            raise GroupSetError(f"{field}.path", f"the same group as groups[{seen_paths[path_t]}]")
        seen_paths[path_t] = i
        items = _items(group.get("items", []), field, seen_items)
        ops = _group_operations(group.get("operations", {}), field)
        specs.append(GroupSpec(path_t, items, ops))
    return tuple(specs)


def _items(data: object, field: str, seen: dict[str, str]) -> tuple[str, ...]:
    if not isinstance(data, list):
        raise GroupSetError(f"{field}.items", f"expected a list of item strings, got {_kind(data)}")
    if len(seen) + len(data) > MAX_ITEMS:
        raise GroupSetError(f"{field}.items", f"the GroupSet holds more than {MAX_ITEMS:,} items")
    for j, item in enumerate(data):
        where = f"{field}.items[{j}]"
        if not is_item_string(item):
            raise GroupSetError(where, f"{item!r} is not a TSM item string (like 'i:2447' or 'p:39')")
        if item in seen:
            raise GroupSetError(where, f"{item} is already in {seen[item]}; TSM keeps an item in one group only")
        seen[item] = where
    return tuple(data)


def _group_operations(data: object, field: str) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(data, Mapping):
        raise GroupSetError(f"{field}.operations", f"expected an object of modules, got {_kind(data)}")
    out = {}
    for module, names in data.items():
        where = f"{field}.operations.{module}"
        _module(module, where)
        if not isinstance(names, list):
            raise GroupSetError(where, f"expected a list of operation names, got {_kind(names)}")
        checked = tuple(_op_name(n, f"{where}[{k}]") for k, n in enumerate(names))
        if len(set(checked)) != len(checked):
            raise GroupSetError(where, "lists the same operation twice")
        if len(checked) > MAX_OPERATIONS[module]:
            raise GroupSetError(where, f"TSM allows at most {MAX_OPERATIONS[module]} {module} operations per group")
        out[module] = checked
    return MappingProxyType(out)

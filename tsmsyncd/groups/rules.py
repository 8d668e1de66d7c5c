"""Group rules: the GroupConfig tree a player writes, validated once, and the templates shipped as data.

A rule document is the GroupConfig the API promises plus two optional keys::

    {"name": "Flips",
     "criteria": {"where": "discount >= 10% and sold_per_day >= 2", "sort": "-sold_per_day", "limit": 300,
                  "realms": [3678]},
     "subgroups": [GroupConfig, ...],
     "operations": {"Shopping": "Flip Buy"},
     "operation_settings": {"Shopping": {"Flip Buy": {"maxPrice": "85% dbmarket"}}},
     "enabled": true}

Operation names are written without the root: generation prefixes them (``TSM Sync Flip Buy``), so a rule
works under any root and its operations are always the managed ones. Every operation a group lists must
be defined in the rule's ``operation_settings``; settings are TSM field names checked against TSM's own
schema. A subgroup's criteria apply within its parent's matches. Every refusal names the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from tsmsyncd.errors import CriteriaError, RuleError
from tsmsyncd.groups.criteria import Criteria, parse_criteria, parse_sort
from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.tsm.operations import MODULES, normalize_settings

__all__ = ["GroupConfig", "Rule", "RuleCriteria", "load_templates"]

MAX_DEPTH = 4  # subgroup levels under a rule's top group
MAX_LIMIT = 5000
MAX_NAME = 64
_RULE_KEYS = {"name", "criteria", "subgroups", "operations", "operation_settings", "enabled"}
_GROUP_KEYS = {"name", "criteria", "subgroups", "operations"}
_CRITERIA_KEYS = {"where", "sort", "limit", "realms"}


@dataclass(frozen=True)
class RuleCriteria:
    where: Criteria | None = None  # None: every item (of the parent's matches)
    sort: tuple[str, bool] | None = None  # (metric, descending)
    limit: int | None = None
    realms: tuple[int, ...] | None = None  # None: every realm

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.where is not None:
            out["where"] = self.where.text
        if self.sort is not None:
            out["sort"] = ("-" if self.sort[1] else "") + self.sort[0]
        if self.limit is not None:
            out["limit"] = self.limit
        if self.realms is not None:
            out["realms"] = list(self.realms)
        return out


@dataclass(frozen=True)
class GroupConfig:
    name: str
    criteria: RuleCriteria = RuleCriteria()
    subgroups: tuple[GroupConfig, ...] = ()
    operations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # module → op name

    def walk(self, parents: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], GroupConfig]]:
        """Every group of the tree with its path, parents first, in document order."""
        path = (*parents, self.name)
        return [(path, self), *(pair for sub in self.subgroups for pair in sub.walk(path))]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "criteria": self.criteria.to_dict(),
                "subgroups": [s.to_dict() for s in self.subgroups], "operations": dict(self.operations)}


@dataclass(frozen=True)
class Rule:
    """A top-level GroupConfig, whether it is used, and the operations its groups list."""

    config: GroupConfig
    operation_settings: Mapping[str, Mapping[str, Mapping[str, Any]]]
    enabled: bool = True

    @property
    def name(self) -> str:
        return self.config.name

    def to_dict(self) -> dict[str, Any]:
        return {**self.config.to_dict(), "enabled": self.enabled,
                "operation_settings": {m: {n: dict(s) for n, s in ops.items()}
                                       for m, ops in self.operation_settings.items()}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False)

    @classmethod
    def from_json(cls, text: str | bytes, what: str = "rule") -> Rule:
        try:
            doc = parse(text)
        except JsonDocError as exc:
            raise RuleError(what, exc.reason) from exc
        return cls.from_dict(doc, what)

    @classmethod
    def from_dict(cls, doc: object, what: str = "rule") -> Rule:
        _object(doc, what, _RULE_KEYS)
        assert isinstance(doc, dict)
        settings = _operation_settings(doc.get("operation_settings", {}), f"{what}.operation_settings")
        config = _group(doc, what, settings, depth=0, allowed=_RULE_KEYS)
        enabled = doc.get("enabled", True)
        if not isinstance(enabled, bool):
            raise RuleError(f"{what}.enabled", "must be true or false")
        listed = {(m, n) for _, g in config.walk() for m, n in g.operations.items()}
        unused = sorted({(m, n) for m, ops in settings.items() for n in ops} - listed)
        if unused:
            raise RuleError(f"{what}.operation_settings.{unused[0][0]}.{unused[0][1]}", "no group uses it")
        return cls(config, settings, enabled)


def _object(doc: object, what: str, allowed: set[str]) -> None:
    if not isinstance(doc, dict):
        raise RuleError(what, f"must be an object, not {type(doc).__name__}")
    unknown = sorted(set(doc) - allowed, key=str)
    if unknown:
        raise RuleError(f"{what}.{unknown[0]}", f"is not a known key (expected: {', '.join(sorted(allowed))})")


def _group(doc: object, what: str, settings: Mapping[str, Mapping[str, Any]], depth: int,
           allowed: set[str] = _GROUP_KEYS) -> GroupConfig:
    _object(doc, what, allowed)
    assert isinstance(doc, dict)
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise RuleError(f"{what}.name", "must be a non-empty name without leading or trailing spaces")
    if "`" in name or len(name) > MAX_NAME or any(ord(c) < 0x20 for c in name):
        raise RuleError(f"{what}.name", f"must be at most {MAX_NAME} characters, no backtick, no control characters")
    criteria = _criteria(doc.get("criteria", {}), f"{what}.criteria")
    subs = doc.get("subgroups", [])
    if not isinstance(subs, list):
        raise RuleError(f"{what}.subgroups", "must be a list of groups")
    if subs and depth >= MAX_DEPTH:
        raise RuleError(f"{what}.subgroups", f"groups nest at most {MAX_DEPTH} levels deep")
    subgroups = tuple(_group(s, f"{what}.subgroups[{i}]", settings, depth + 1) for i, s in enumerate(subs))
    names = [s.name for s in subgroups]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise RuleError(f"{what}.subgroups", f"two subgroups are named {twice!r}")
    operations = _group_operations(doc.get("operations", {}), f"{what}.operations", settings)
    return GroupConfig(name, criteria, subgroups, operations)


def _criteria(doc: object, what: str) -> RuleCriteria:
    _object(doc, what, _CRITERIA_KEYS)
    assert isinstance(doc, dict)
    where = _parsed(doc.get("where"), parse_criteria, f"{what}.where")
    sort = _parsed(doc.get("sort"), parse_sort, f"{what}.sort")
    limit = doc.get("limit")
    if limit is not None and (type(limit) is not int or not 1 <= limit <= MAX_LIMIT):
        raise RuleError(f"{what}.limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    realms = doc.get("realms")
    if realms is not None:
        if not isinstance(realms, list) or not realms or not all(type(r) is int and r > 0 for r in realms):
            raise RuleError(f"{what}.realms", "must be a non-empty list of connected realm ids")
        realms = tuple(dict.fromkeys(realms))
    return RuleCriteria(where, sort, limit, realms)


def _parsed(text: object, parse: Any, what: str) -> Any:
    if text is None:
        return None
    if not isinstance(text, str):
        raise RuleError(what, "must be text")
    try:
        return parse(text)
    except CriteriaError as exc:
        raise RuleError(what, str(exc)) from exc


def _group_operations(doc: object, what: str, settings: Mapping[str, Mapping[str, Any]]) -> Mapping[str, str]:
    if not isinstance(doc, dict):
        raise RuleError(what, "must be an object of module → operation name")
    for module, name in doc.items():
        if module not in MODULES:
            raise RuleError(f"{what}.{module}", f"is not a TSM module (expected one of: {', '.join(MODULES)})")
        if not isinstance(name, str) or name not in settings.get(module, {}):
            raise RuleError(f"{what}.{module}", f"operation {name!r} is not defined in operation_settings.{module}")
    return MappingProxyType(dict(doc))


def _operation_settings(doc: object, what: str) -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
    if not isinstance(doc, dict):
        raise RuleError(what, "must be an object of module → name → settings")
    out: dict[str, Mapping[str, Mapping[str, Any]]] = {}
    for module, ops in doc.items():
        if module not in MODULES:
            raise RuleError(f"{what}.{module}", f"is not a TSM module (expected one of: {', '.join(MODULES)})")
        if not isinstance(ops, dict):
            raise RuleError(f"{what}.{module}", "must be an object of operation name → settings")
        checked: dict[str, Mapping[str, Any]] = {}
        for name, settings in ops.items():
            where = f"{what}.{module}.{name}"
            if not name or "`" in name or len(name) > MAX_NAME:
                raise RuleError(where, f"an operation name is 1 to {MAX_NAME} characters, with no backtick")
            if not isinstance(settings, dict):
                raise RuleError(where, "must be an object of TSM field → value")
            try:
                normalize_settings(module, settings)
            except ValueError as exc:
                raise RuleError(where, str(exc)) from exc
            checked[name] = MappingProxyType(dict(settings))
        out[module] = MappingProxyType(checked)
    return MappingProxyType(out)


def load_templates() -> list[Rule]:
    """The shipped templates (``groups/templates/*.json``), in their file order."""
    folder = resources.files("tsmsyncd.groups") / "templates"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
    return [Rule.from_json(folder.joinpath(name).read_bytes(), f"template {name}") for name in names]

"""Generation: enabled rules × one realm's metrics → a GroupSet, deterministic and slow to churn.

Pure: the metrics frame (one row per item string, one column per metric), the rules, the previous
membership and ``generated_at`` come in; the GroupSet, its content hash, a report and the next membership
go out. How an item finds its group:

1. Rules run in order; an item taken by an earlier rule is not a candidate for later ones (TSM allows one
   group per item), and the report counts such overlaps.
2. A group's members are its candidates (all items for a rule's top group, the parent's members for a
   subgroup) that match ``where``, plus *sticky* ones (below), ordered by ``sort`` (missing values last,
   ties by item) and cut at ``limit``.
3. An item lands in the deepest subgroup whose members include it (earlier siblings first); what no
   subgroup takes stays in the parent.
4. The global cap (default 5,000 items, far below Lua's constant limit in TSM's file) keeps groups in
   rule order, each in its sort order, and reports what it dropped.

Hysteresis: an item that was in a group stays there while it misses ``where`` for fewer than
``stick_for`` generations in a row (missing data — the item not listed this hour — counts as a miss), and
when ``limit`` cuts, the current members compete with their sort value improved by ``margin``, so an item
hovering at a threshold or at the last place does not flap in and out every hour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tsmsyncd.errors import RuleError
from tsmsyncd.groups.rules import GroupConfig, Rule
from tsmsyncd.tsm.groupset import FORMAT, GroupSet

__all__ = ["DEFAULT_CAP", "Generated", "GroupReport", "Membership", "generate", "groupset_diff", "item_sort_key"]

DEFAULT_CAP = 5000
Path = tuple[str, ...]
Membership = Mapping[tuple[Path, str], int]  # (group path, item) → generations in a row it missed `where`


@dataclass(frozen=True)
class GroupReport:
    path: Path
    where: str | None
    matched: int  # candidates that match `where` now
    sticky: int  # kept although they miss `where` (hysteresis)
    cut_by_limit: int
    to_subgroups: int
    items: int  # in this group itself, after the cap
    capped: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"path": list(self.path), "where": self.where, "matched": self.matched, "sticky": self.sticky,
                "cut_by_limit": self.cut_by_limit, "to_subgroups": self.to_subgroups, "items": self.items,
                "capped": self.capped}


@dataclass(frozen=True)
class Generated:
    groupset: GroupSet
    content_hash: str  # of everything but generated_at: equal hashes, equal groups
    groups: tuple[GroupReport, ...]
    asked: int  # items the rules wanted before the cap
    cap: int
    overlaps: int  # items an earlier rule took that a later rule also matched
    membership: dict[tuple[Path, str], int] = field(repr=False)

    @property
    def capped(self) -> int:
        return max(0, self.asked - self.cap)

    def as_json(self) -> dict[str, Any]:
        """The report as the CLI, the API and the UI show it (the GroupSet itself is ``groupset``)."""
        return {"content_hash": self.content_hash, "asked": self.asked, "cap": self.cap, "capped": self.capped,
                "overlaps": self.overlaps, "groups": [g.as_json() for g in self.groups]}


def generate(
    rules: Sequence[Rule],
    metrics: pd.DataFrame,
    *,
    root: str,
    realm_id: int,
    generated_at: str,
    source: Mapping[str, Any] | None = None,
    previous: Membership | None = None,
    cap: int = DEFAULT_CAP,
    stick_for: int = 3,
    margin: float = 0.05,
) -> Generated:
    previous = previous or {}
    frame = _with_previous_items(metrics, previous)
    run = _Run(frame, previous, stick_for, margin)
    taken = np.zeros(len(frame), dtype=bool)
    for rule in rules:
        if not rule.enabled or (rule.config.criteria.realms and realm_id not in rule.config.criteria.realms):
            continue
        run.overlaps += run.assign(rule.config, (rule.name,), ~taken, taken)
    groups, reports, asked, membership = run.finish(cap, root)
    operations = _operations(rules, root, set(groups))
    doc = {
        "format": FORMAT,
        "root": root,
        "generated_at": generated_at,
        "source": dict(source or {}),
        "groups": [{"path": list(p), "items": items, "operations": ops} for p, (items, ops) in groups.items()],
        "operations": operations,
    }
    groupset = GroupSet.from_dict(doc)
    return Generated(groupset, content_hash(groupset), tuple(reports), asked, cap, run.overlaps, membership)


def content_hash(groupset: GroupSet) -> str:
    return groupset.content_hash()  # the model's own (the daemon hashes a server's GroupSets without pandas)


def item_sort_key(item: str) -> tuple[int, int, str]:
    """Items in a stable, readable order: regular items by id, then pets by species."""
    kind, _, rest = item.partition(":")
    number = rest.split(":", 1)[0]
    return (0 if kind == "i" else 1, int(number) if number.isdigit() else 0, item)


def _with_previous_items(metrics: pd.DataFrame, previous: Membership) -> pd.DataFrame:
    """Previous members missing from this snapshot get a row of missing values: they can only stay by
    hysteresis, and must not vanish merely because nobody listed them this hour."""
    extra = sorted({item for _, item in previous} - set(metrics.index), key=item_sort_key)
    frame = metrics if not extra else pd.concat([metrics, pd.DataFrame(index=pd.Index(extra, name=metrics.index.name))])
    return frame.sort_index(key=lambda idx: pd.Index([item_sort_key(i) for i in idx]))


class _Run:
    """One generation's working state: who is where, and what to report."""

    def __init__(self, frame: pd.DataFrame, previous: Membership, stick_for: int, margin: float) -> None:
        self.frame, self.stick_for, self.margin = frame, stick_for, margin
        self.items = frame.index.to_numpy()
        position = {item: i for i, item in enumerate(self.items)}
        by_path: dict[Path, list[tuple[int, int]]] = {}
        for (path, item), misses in previous.items():
            by_path.setdefault(path, []).append((position[item], misses))
        self.previous = {p: dict(rows) for p, rows in by_path.items()}  # path → {row: misses}
        self.order: list[Path] = []  # groups in creation order: rules in order, each tree parents first
        self.assigned: dict[Path, tuple[GroupConfig, np.ndarray]] = {}  # path → (config, own rows, ordered)
        self.misses: dict[tuple[Path, str], int] = {}
        self.stats: dict[Path, dict[str, Any]] = {}
        self.overlaps = 0

    def members(self, config: GroupConfig, path: Path, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers of the group's members in order (module docstring, step 2), and the `where` mask."""
        where = config.criteria.where
        hits = where.evaluate(self.frame) if where is not None else np.ones(len(self.items), dtype=bool)
        matched = candidates & hits
        before = self.previous.get(path, {})
        was = np.zeros(len(self.items), dtype=bool)
        may_stick = np.zeros(len(self.items), dtype=bool)
        if before:
            rows = np.fromiter(before, dtype=np.int64, count=len(before))
            misses = np.fromiter(before.values(), dtype=np.int64, count=len(before))
            was[rows] = True
            may_stick[rows[misses + 1 < self.stick_for]] = True
        sticky = candidates & may_stick & ~matched
        ordered = self._order(config, np.flatnonzero(matched | sticky), was)
        limit = config.criteria.limit
        kept = ordered if limit is None else ordered[:limit]
        for row in kept:
            self.misses[(path, self.items[row])] = 0 if matched[row] else before.get(row, 0) + 1
        self.stats[path] = {"where": where.text if where else None, "matched": int(matched.sum()),
                            "sticky": int(sticky[kept].sum()), "cut_by_limit": len(ordered) - len(kept)}
        return kept, hits

    def _order(self, config: GroupConfig, rows: np.ndarray, was: np.ndarray) -> np.ndarray:
        sort = config.criteria.sort
        if sort is None or len(rows) == 0:
            return rows  # the frame is already in item order
        metric, descending = sort
        values = pd.to_numeric(self.frame[metric].iloc[rows], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        # Current members compete with their value improved by `margin`, so near-ties at the cut stay put.
        improved = values + np.abs(values) * self.margin * (1 if descending else -1)
        values = np.where(was[rows], improved, values)
        key = np.where(np.isnan(values), np.inf, -values if descending else values)  # missing values last
        return rows[np.lexsort((rows, key))]

    def assign(self, config: GroupConfig, path: Path, candidates: np.ndarray, taken: np.ndarray) -> int:
        """Place the group's members (deepest subgroup first); returns how many matches earlier rules took."""
        self.order.append(path)
        members, hits = self.members(config, path, candidates)
        free = np.zeros(len(self.items), dtype=bool)
        free[members] = True
        for sub in config.subgroups:
            sub_path = (*path, sub.name)
            self.assign(sub, sub_path, free.copy(), taken)
            for p, (_, rows) in self.assigned.items():
                if p[: len(sub_path)] == sub_path:
                    free[rows] = False
        own = members[free[members]]
        self.stats[path]["to_subgroups"] = int(len(members) - len(own))
        self.assigned[path] = (config, own)
        taken[own] = True
        return int((~candidates & hits).sum()) if len(path) == 1 else 0

    def finish(
        self, cap: int, root: str
    ) -> tuple[dict[Path, tuple[list[str], dict[str, list[str]]]], list[GroupReport], int, dict[tuple[Path, str], int]]:
        groups: dict[Path, tuple[list[str], dict[str, list[str]]]] = {}
        reports, budget, asked, membership = [], cap, 0, {}
        for path in self.order:
            config, rows = self.assigned[path]
            asked += len(rows)
            kept = rows[: max(budget, 0)]
            budget -= len(kept)
            items = sorted((str(self.items[r]) for r in kept), key=item_sort_key)
            for item in items:
                membership[(path, item)] = self.misses[(path, item)]
            groups[path] = (items, {m: [f"{root} {n}"] for m, n in config.operations.items()})
            s = self.stats[path]
            reports.append(GroupReport(path, s["where"], s["matched"], s["sticky"], s["cut_by_limit"],
                                       s["to_subgroups"], len(items), len(rows) - len(kept)))
        return groups, reports, asked, membership


def _operations(rules: Sequence[Rule], root: str, used_paths: set[Path]) -> dict[str, dict[str, dict[str, object]]]:
    """Every operation the generated groups list, named under the root; two rules that define the same
    name differently are an error, not a silent pick."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    owner: dict[tuple[str, str], str] = {}
    for rule in rules:
        if not any(p[:1] == (rule.name,) for p in used_paths):
            continue
        for module, ops in rule.operation_settings.items():
            for name, settings in ops.items():
                full = f"{root} {name}"
                if full in out.get(module, {}) and out[module][full] != dict(settings):
                    raise RuleError(f"{rule.name}.operation_settings.{module}.{name}",
                                    f"is also defined, differently, by rule {owner[(module, full)]!r}")
                out.setdefault(module, {})[full] = dict(settings)
                owner[(module, full)] = rule.name
    return out


def groupset_diff(old: GroupSet | None, new: GroupSet) -> list[dict[str, Any]]:
    """Items added and removed per group path between two versions (groups that appear or vanish too)."""
    before = {g.path: set(g.items) for g in old.groups} if old else {}
    after = {g.path: set(g.items) for g in new.groups}
    changes = []
    for path in sorted(before.keys() | after.keys()):
        added = sorted(after.get(path, set()) - before.get(path, set()), key=item_sort_key)
        removed = sorted(before.get(path, set()) - after.get(path, set()), key=item_sort_key)
        if added or removed or (path in before) != (path in after):
            status = "added" if path not in before else "removed" if path not in after else "changed"
            changes.append({"path": list(path), "status": status, "added": added, "removed": removed})
    return changes

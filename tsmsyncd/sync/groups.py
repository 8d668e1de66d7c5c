"""Groups: the rules a player keeps, and turning a realm's stored metrics into a versioned GroupSet.

The flow between the database and the pure core: read the rules (seeding the shipped templates once;
a stored rule that no longer reads is a ``BrokenRule``, shown and removable, never an error that blocks
the others), read one realm's metrics and item information, build the frame (``groups/frame.py``), call
``groups.generate`` and keep the result as a new version only when its content changed, with the
membership state that gives hysteresis. Every database call goes through the writer; the pandas work
runs on a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tsmsyncd.db import groups as groups_db
from tsmsyncd.db import items as items_db
from tsmsyncd.db import market as market_db
from tsmsyncd.errors import InputError, NotFoundError, RuleError
from tsmsyncd.groups.frame import item_ids, metrics_frame
from tsmsyncd.groups.generate import Generated, generate, groupset_diff
from tsmsyncd.groups.rules import Rule, load_templates
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.tsm.groupset import GroupSet

__all__ = ["BrokenRule", "GroupService", "Stored"]


@dataclass(frozen=True)
class BrokenRule:
    """A stored rule that no longer reads as a rule (edited by hand, written by a newer version): shown,
    skipped when generating, and removable by name."""

    name: str
    doc: str
    enabled: bool
    reason: str

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "enabled": self.enabled, "broken": self.reason, "doc": self.doc}


@dataclass(frozen=True)
class Stored:
    version: int
    new: bool
    generated: Generated

    def as_json(self) -> dict[str, object]:
        return {"version": self.version, "new": self.new, "report": self.generated.as_json()}


class GroupService:
    """Rules and generated versions, over the one database writer; ``now`` is injected."""

    def __init__(self, db: DbWriter, *, root: str = "TSM Sync", realms: Sequence[int] = ()) -> None:
        self._db, self.root, self.realms = db, root, tuple(realms)

    async def rule_rows(self, now: datetime | None = None) -> list[Rule | BrokenRule]:
        """Every stored rule in order; one that does not read is a ``BrokenRule``, never an error."""
        templates = load_templates()
        await self._db(groups_db.seed_rules, [(r.name, r.to_json(), r.enabled) for r in templates],
                       now or datetime.now(UTC))
        rows: list[Rule | BrokenRule] = []
        for name, doc, enabled in await self._db(groups_db.rules):
            try:
                rows.append(Rule.from_json(doc, f"stored rule {name!r}"))
            except InputError as exc:
                rows.append(BrokenRule(name, doc, enabled, str(exc)))
        return rows

    async def rules(self, now: datetime | None = None) -> list[Rule]:
        """The rules that read (broken ones are skipped: see ``broken``)."""
        return [r for r in await self.rule_rows(now) if isinstance(r, Rule)]

    async def broken(self, now: datetime | None = None) -> list[BrokenRule]:
        return [r for r in await self.rule_rows(now) if isinstance(r, BrokenRule)]

    async def rule(self, name: str) -> Rule:
        row = await self._find(name)
        if isinstance(row, BrokenRule):
            raise InputError(f"rule {row.name!r} is broken ({row.reason}); remove it with "
                             f"`tsmsyncd groups rules remove {row.name!r}` or add a fixed copy")
        return row

    async def _find(self, name: str) -> Rule | BrokenRule:
        rows = await self.rule_rows()
        for row in rows:
            if row.name.lower() == name.lower():
                return row
        known = ", ".join(r.name for r in rows) or "none"
        raise NotFoundError(f"there is no rule named {name!r} (rules: {known})")

    async def add(self, text: str | bytes, what: str, now: datetime) -> Rule:
        rule = Rule.from_json(text, what)
        await self.rule_rows(now)  # seed the templates first, so the new rule comes after them
        await self._db(groups_db.save_rule, rule.name, rule.to_json(), rule.enabled, now)
        return rule

    async def replace(self, name: str, doc: dict[str, Any], now: datetime, position: int | None = None) -> Rule:
        """Replace the rule ``name`` (a broken one included) with ``doc`` where it stands; a new name in
        ``doc`` renames it (refused when another rule has that name). ``position`` moves it (1 = first)."""
        row = await self._find(name)
        rule = Rule.from_dict(doc, "rule")
        if rule.name.lower() != row.name.lower():
            taken = [r.name for r in await self.rule_rows(now) if r.name.lower() == rule.name.lower()]
            if taken:
                raise RuleError("name", f"another rule is already named {taken[0]!r}")
        await self._db(groups_db.replace_rule, row.name, rule.name, rule.to_json(), rule.enabled, now, position)
        return rule

    async def remove(self, name: str) -> str:
        """Remove a rule by name, broken ones included (that is how a broken one is repaired)."""
        row = await self._find(name)
        await self._db(groups_db.remove_rule, row.name)
        return row.name

    async def set_enabled(self, name: str, enabled: bool, now: datetime) -> Rule:
        rule = await self.rule(name)
        changed = Rule(rule.config, rule.operation_settings, enabled)
        await self._db(groups_db.save_rule, rule.name, changed.to_json(), enabled, now)
        return changed

    async def preview(self, realm: RealmKey, now: datetime) -> Generated:
        """The GroupSet rules would produce now; nothing is stored."""
        return (await self._preview(realm, now, explain=False))[0]

    async def explained(self, realm: RealmKey, now: datetime) -> tuple[Generated, dict[str, dict[str, Any]]]:
        """The preview, and for each item placed the values its group's condition read (the "why")."""
        return await self._preview(realm, now, explain=True)

    async def _preview(self, realm: RealmKey, now: datetime, *, explain: bool
                       ) -> tuple[Generated, dict[str, dict[str, Any]]]:
        rules = await self.rules(now)
        if not any(r.enabled for r in rules):
            raise RuleError("rules", "every rule is disabled; enable one with `tsmsyncd groups rules enable NAME`")
        status = await self._db(market_db.data_status, realm)
        if status.listed is False:  # commodities are region-wide, but the realm itself must exist
            raise InputError(status.missing("any item"))
        own = await self._db(market_db.latest_metrics, list(realm.sources()), now)
        if own.empty:
            raise InputError(status.missing("any item"))
        others = [s for r in sorted(set(self.realms) - {realm.connected_realm_id})
                  for s in RealmKey(realm.region, r, realm.flavor).own()]
        other = await self._db(market_db.latest_metrics, others, now) if others else None
        info = await self._db(items_db.item_info, item_ids(own))
        previous = _membership(await self._db(groups_db.membership, realm))
        stamp = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

        def work() -> tuple[Generated, dict[str, dict[str, Any]]]:
            frame = metrics_frame(own, other, info, realm)
            made = generate(rules, frame, root=self.root, realm_id=realm.connected_realm_id, previous=previous,
                            generated_at=stamp, source=realm.as_json())
            return made, (explain_items(made, frame) if explain else {})

        return await asyncio.to_thread(work)

    async def generate(self, realm: RealmKey, now: datetime) -> Stored:
        generated = await self.preview(realm, now)
        membership = json.dumps([[list(p), item, misses] for (p, item), misses in sorted(generated.membership.items())])
        version, new = await self._db(groups_db.store_groupset, realm, generated.content_hash,
                                      generated.groupset.to_json(), membership, now)
        return Stored(version, new, generated)

    async def latest(self, realm: RealmKey) -> tuple[int, GroupSet, datetime] | None:
        """The newest stored version, or None."""
        stored = await self._db(groups_db.groupset, realm)
        return (stored[0], GroupSet.from_json(stored[1]), stored[2]) if stored else None

    async def diff(self, realm: RealmKey, now: datetime) -> tuple[int | None, list[dict[str, Any]]]:
        """What generating now would change against the newest stored version (None: none stored)."""
        stored = await self.latest(realm)
        old = stored[1] if stored else None
        return (stored[0] if stored else None), groupset_diff(old, (await self.preview(realm, now)).groupset)


def _membership(data: str | None) -> dict[tuple[tuple[str, ...], str], int]:
    if not data:
        return {}
    return {(tuple(path), item): int(misses) for path, item, misses in json.loads(data)}


def explain_items(made: Generated, frame: Any) -> dict[str, dict[str, Any]]:
    """item → {"group": path, "why": {metric: value}}: the values the condition of the group that took the
    item read for it (the deepest group with a condition on its way, as the generator placed it)."""
    from tsmsyncd.groups.criteria import parse_criteria

    conditions = {tuple(g.path): parse_criteria(g.where).metrics for g in made.groups if g.where}
    out: dict[str, dict[str, Any]] = {}
    for group in made.groupset.groups:
        path = tuple(group.path)
        metrics: frozenset[str] = frozenset()
        for depth in range(len(path), 0, -1):  # the nearest condition up the tree
            if path[:depth] in conditions:
                metrics = conditions[path[:depth]]
                break
        for item in group.items:
            why: dict[str, Any] = {}
            if item in frame.index:
                row = frame.loc[item]
                for metric in sorted(metrics):
                    value = row[metric] if metric in row.index else None
                    why[metric] = None if value is None or _missing(value) else _plain(value)
            out[item] = {"group": list(path), "why": why}
    return out


def _missing(value: Any) -> bool:
    try:
        return bool(value != value)  # NaN and pandas' NA
    except TypeError:
        return True


def _plain(value: Any) -> Any:
    """A numpy/pandas scalar as the JSON value it stands for."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value if isinstance(value, (int, float, str, bool)) else str(value)

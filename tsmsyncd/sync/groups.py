"""Groups: the rules a player keeps, and turning a realm's stored metrics into a versioned GroupSet.

Glue between the database and the pure core: read the rules (seeding the shipped templates once), build
the metrics frame of one realm (its own auctions plus the region's commodities, item names and classes,
the region market across the player's realms, discount), call ``groups.generate`` and keep the result
as a new version only when its content changed, with the membership state that gives hysteresis.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from tsmsyncd.db import Database, Source
from tsmsyncd.errors import InputError, RuleError
from tsmsyncd.groups.generate import Generated, generate, groupset_diff
from tsmsyncd.groups.groupset import GroupSet
from tsmsyncd.groups.rules import Rule, load_templates
from tsmsyncd.market.ingest import item_code

__all__ = ["BrokenRule", "GroupService", "Stored", "metrics_frame"]


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


def metrics_frame(db: Database, region: str, realm_id: int, realms: Sequence[int], now: datetime) -> pd.DataFrame:
    """One row per item string for one realm, one column per criteria metric."""
    own = db.latest_metrics([Source(region, "realm", realm_id), Source(region, "commodities")], now)
    frame = own.drop_duplicates("item", keep="first").set_index("item")
    frame = frame[["min_buyout", "market_value", "market_value_14d", "quantity", "auctions", "sold_per_day"]]
    frame = frame.astype({c: "Float64" for c in ("min_buyout", "market_value", "market_value_14d")})
    frame["region_market"] = frame["market_value_14d"]  # commodities are region-wide already
    others = sorted(set(realms) - {realm_id})
    if others:  # the median over the player's realms of each realm-listed item's 14-day value
        mine = own[own["source"] == Source(region, "realm", realm_id).key]
        everywhere = pd.concat([mine, db.latest_metrics([Source(region, "realm", r) for r in others], now)])
        median = everywhere.groupby("item")["market_value_14d"].median()
        realm_items = frame.index.intersection(median.index)
        frame.loc[realm_items, "region_market"] = median.loc[realm_items].astype("Float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        mv14 = frame["market_value_14d"].where(frame["market_value_14d"] > 0)
        frame["discount"] = 1 - frame["min_buyout"] / mv14
    ids = [item_code(i) for i in frame.index if i.startswith("i:")]
    info = db.item_info(ids)
    rows = [info.get(item_code(i)) if i.startswith("i:") else None for i in frame.index]
    frame["name"] = [r.name if r else None for r in rows]
    frame["quality"] = [r.quality if r else None for r in rows]
    frame["item_class"] = [r.item_class if r else (17 if i.startswith("p:") else None)
                           for r, i in zip(rows, frame.index, strict=True)]
    frame["item_subclass"] = [r.item_subclass if r else None for r in rows]
    frame["vendor_sell"] = [r.vendor_sell if r else None for r in rows]
    return frame


class GroupService:
    """Rules and generated versions for one database; ``now`` is injected."""

    def __init__(self, db: Database, *, root: str = "TSM Sync", realms: Sequence[int] = ()) -> None:
        self.db, self.root, self.realms = db, root, tuple(realms)

    def rule_rows(self, now: datetime | None = None) -> list[Rule | BrokenRule]:
        """Every stored rule in order; one that does not read is a ``BrokenRule``, never an error."""
        templates = load_templates()
        self.db.seed_rules([(r.name, r.to_json(), r.enabled) for r in templates], now or datetime.now(UTC))
        rows: list[Rule | BrokenRule] = []
        for name, doc, enabled in self.db.rules():
            try:
                rows.append(Rule.from_json(doc, f"stored rule {name!r}"))
            except InputError as exc:
                rows.append(BrokenRule(name, doc, enabled, str(exc)))
        return rows

    def rules(self, now: datetime | None = None) -> list[Rule]:
        """The rules that read (broken ones are skipped: see ``broken``)."""
        return [r for r in self.rule_rows(now) if isinstance(r, Rule)]

    def broken(self, now: datetime | None = None) -> list[BrokenRule]:
        return [r for r in self.rule_rows(now) if isinstance(r, BrokenRule)]

    def rule(self, name: str) -> Rule:
        rows = self.rule_rows()
        for row in rows:
            if row.name.lower() == name.lower():
                if isinstance(row, BrokenRule):
                    raise InputError(f"rule {row.name!r} is broken ({row.reason}); remove it with "
                                     f"`tsmsyncd groups rules remove {row.name!r}` or add a fixed copy")
                return row
        known = ", ".join(r.name for r in rows) or "none"
        raise InputError(f"there is no rule named {name!r} (rules: {known})")

    def add(self, text: str | bytes, what: str, now: datetime) -> Rule:
        rule = Rule.from_json(text, what)
        self.rules(now)
        self.db.save_rule(rule.name, rule.to_json(), rule.enabled, now)
        return rule

    def remove(self, name: str) -> str:
        """Remove a rule by name, broken ones included (that is how a broken one is repaired)."""
        for row in self.rule_rows():
            if row.name.lower() == name.lower():
                self.db.remove_rule(row.name)
                return row.name
        known = ", ".join(r.name for r in self.rule_rows()) or "none"
        raise InputError(f"there is no rule named {name!r} (rules: {known})")

    def set_enabled(self, name: str, enabled: bool, now: datetime) -> Rule:
        rule = self.rule(name)
        changed = Rule(rule.config, rule.operation_settings, enabled)
        self.db.save_rule(rule.name, changed.to_json(), enabled, now)
        return changed

    def preview(self, region: str, realm_id: int, now: datetime) -> Generated:
        """The GroupSet rules would produce now; nothing is stored."""
        rules = self.rules(now)
        if not any(r.enabled for r in rules):
            raise RuleError("rules", "every rule is disabled; enable one with `tsmsyncd groups rules enable NAME`")
        status = self.db.data_status(region, realm_id)
        if status.listed is False:  # commodities are region-wide, but the realm itself must exist
            raise InputError(status.missing("any item"))
        frame = metrics_frame(self.db, region, realm_id, self.realms, now)
        if frame.empty:
            raise InputError(self.db.data_status(region, realm_id).missing("any item"))
        previous = _membership(self.db.membership(_target(region, realm_id)))
        return generate(rules, frame, root=self.root, realm_id=realm_id, previous=previous,
                        generated_at=now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                        source={"region": region, "connected_realm_id": realm_id})

    def generate(self, region: str, realm_id: int, now: datetime) -> Stored:
        generated = self.preview(region, realm_id, now)
        membership = json.dumps([[list(p), item, misses] for (p, item), misses in sorted(generated.membership.items())])
        version, new = self.db.store_groupset(_target(region, realm_id), generated.content_hash,
                                              generated.groupset.to_json(), membership, now)
        return Stored(version, new, generated)

    def diff(self, region: str, realm_id: int, now: datetime) -> tuple[int | None, list[dict]]:
        """What generating now would change against the newest stored version (None: none stored)."""
        stored = self.db.groupset(_target(region, realm_id))
        old = GroupSet.from_json(stored[1]) if stored else None
        return (stored[0] if stored else None), groupset_diff(old, self.preview(region, realm_id, now).groupset)


def _target(region: str, realm_id: int) -> str:
    return f"{region}/{realm_id}"


def _membership(data: str | None) -> dict:
    if not data:
        return {}
    return {(tuple(path), item): int(misses) for path, item, misses in json.loads(data)}

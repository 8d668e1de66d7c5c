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

__all__ = ["GroupService", "Stored", "metrics_frame"]


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

    def rules(self, now: datetime | None = None) -> list[Rule]:
        templates = load_templates()
        self.db.seed_rules([(r.name, r.to_json(), r.enabled) for r in templates], now or datetime.now(UTC))
        return [Rule.from_json(doc, f"stored rule {name!r}") for name, doc, _ in self.db.rules()]

    def rule(self, name: str) -> Rule:
        for rule in self.rules():
            if rule.name.lower() == name.lower():
                return rule
        known = ", ".join(r.name for r in self.rules()) or "none"
        raise InputError(f"there is no rule named {name!r} (rules: {known})")

    def add(self, text: str | bytes, what: str, now: datetime) -> Rule:
        rule = Rule.from_json(text, what)
        self.rules(now)
        self.db.save_rule(rule.name, rule.to_json(), rule.enabled, now)
        return rule

    def remove(self, name: str) -> str:
        rule = self.rule(name)
        self.db.remove_rule(rule.name)
        return rule.name

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
        frame = metrics_frame(self.db, region, realm_id, self.realms, now)
        if frame.empty:
            raise InputError(f"no market data for {region} realm {realm_id}; run "
                             f"`tsmsyncd refresh --once --realm {realm_id}` first")
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

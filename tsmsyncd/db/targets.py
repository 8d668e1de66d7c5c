"""Targets and the plans that wait for the game to close, as the daemon keeps them between runs.

A target row holds what the player chose (mode, a realm set by hand, adopting the root) and what the
engine last knew (state, reason, last apply). A ``pending`` row is the promise "apply GroupSet version V
to this target once the game is closed": it is written before the state says pending, and removed in
the same transaction that records the apply, so a restart finds it still pending or applied, never lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tsmsyncd.db.schema import Database, iso
from tsmsyncd.wow.flavor import Flavor
from tsmsyncd.wow.targets import Mode, State, Target, TargetRealm

__all__ = ["Pending", "clear_pending", "load_targets", "pending", "save_found", "set_pending", "update_target"]

_COLUMNS = ("id", "install", "flavor", "folder", "account", "profile", "file", "characters", "realm",
            "realm_reason", "mode", "state", "reason", "last_apply", "adopt_root", "present", "group_source")


@dataclass(frozen=True)
class Pending:
    target_id: str
    groupset_hash: str
    groupset_version: int
    realm: str  # RealmKey text, us/3678
    planned_at: datetime
    file_identity: tuple[int, ...]  # (device, inode, size, mtime ns) of the file the plan was made from
    report: Mapping[str, Any]
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"groupset_hash": self.groupset_hash, "groupset_version": self.groupset_version, "realm": self.realm,
                "planned_at": iso(self.planned_at), "report": dict(self.report), "reason": self.reason}


def _target(row: tuple[Any, ...]) -> Target:
    r = dict(zip(_COLUMNS, row, strict=True))
    realm = TargetRealm.from_json(json.loads(r["realm"])) if r["realm"] else None
    return Target(r["id"], r["install"], Flavor.parse(r["flavor"]), r["folder"], r["account"], r["profile"],
                  r["file"], tuple(json.loads(r["characters"] or "[]")), realm, r["realm_reason"] or "",
                  Mode(r["mode"]), State(r["state"]), r["reason"],
                  json.loads(r["last_apply"]) if r["last_apply"] else None, bool(r["adopt_root"]), bool(r["present"]),
                  r["group_source"])


def load_targets(d: Database) -> dict[str, Target]:
    rows = d.conn.execute(f"select {', '.join(_COLUMNS)} from targets order by install, folder, account, profile")
    return {t.id: t for t in map(_target, rows)}


def _row(t: Target, now: datetime) -> tuple[Any, ...]:
    return (t.id, t.install, str(t.flavor), t.folder, t.account, t.profile, t.file,
            json.dumps(list(t.characters), ensure_ascii=False), json.dumps(t.realm.as_json()) if t.realm else None,
            t.realm_reason, str(t.mode), str(t.state), t.reason,
            json.dumps(dict(t.last_apply)) if t.last_apply else None, int(t.adopt_root), int(t.present), t.group_source,
            iso(now), iso(now))


def save_found(d: Database, found: Iterable[Target], now: datetime) -> None:
    """Store what discovery found now; targets it no longer finds stay (their history matters) but are
    marked not present."""
    rows = [_row(t, now) for t in found]
    with d.conn:
        d.conn.execute("update targets set present = 0")
        d.conn.executemany(
            f"insert into targets ({', '.join(_COLUMNS)}, seen_at, updated_at) values "
            f"({', '.join('?' * (len(_COLUMNS) + 2))}) on conflict (id) do update set install = excluded.install, "
            "flavor = excluded.flavor, folder = excluded.folder, account = excluded.account, file = excluded.file, "
            "characters = excluded.characters, realm = excluded.realm, realm_reason = excluded.realm_reason, "
            "present = 1, seen_at = excluded.seen_at",
            rows)


def update_target(d: Database, target_id: str, now: datetime, **changes: Any) -> Target:
    """Change the given fields of one target (``mode``, ``realm``, ``state``, ``reason``, ``last_apply``,
    ``adopt_root``, ``group_source``); KeyError if there is no such target."""
    encoders: dict[str, Callable[[Any], object]] = {"mode": str, "state": str, "reason": lambda v: v,
                "group_source": lambda v: v,
                "realm": lambda v: json.dumps(v.as_json()) if v else None,
                "last_apply": lambda v: json.dumps(dict(v)) if v else None, "adopt_root": int}
    unknown = set(changes) - set(encoders)
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)} of a target")
    with d.conn:
        if changes:
            sets = ", ".join(f"{k} = ?" for k in changes)
            values = [encoders[k](v) for k, v in changes.items()]
            d.conn.execute(f"update targets set {sets}, updated_at = ? where id = ?", (*values, iso(now), target_id))
        row = d.conn.execute(f"select {', '.join(_COLUMNS)} from targets where id = ?", (target_id,)).fetchone()
    if row is None:
        raise KeyError(target_id)
    return _target(row)


def set_pending(d: Database, p: Pending) -> None:
    with d.conn:
        d.conn.execute("insert or replace into pending values (?, ?, ?, ?, ?, ?, ?, ?)",
                       (p.target_id, p.groupset_hash, p.groupset_version, p.realm, iso(p.planned_at),
                        json.dumps(list(p.file_identity)), json.dumps(dict(p.report)), p.reason))


def pending(d: Database) -> dict[str, Pending]:
    rows = d.conn.execute("select target_id, groupset_hash, groupset_version, realm, planned_at, file_identity, "
                          "report, reason from pending")
    return {r[0]: Pending(r[0], r[1], int(r[2]), r[3], datetime.fromisoformat(r[4]), tuple(json.loads(r[5])),
                          json.loads(r[6]), r[7]) for r in rows}


def clear_pending(d: Database, target_id: str, groupset_hash: str | None = None) -> bool:
    """Remove the pending plan (only if it is still for ``groupset_hash``, when given)."""
    with d.conn:
        query = "delete from pending where target_id = ?" + (" and groupset_hash = ?" if groupset_hash else "")
        args = (target_id, groupset_hash) if groupset_hash else (target_id,)
        return d.conn.execute(query, args).rowcount > 0

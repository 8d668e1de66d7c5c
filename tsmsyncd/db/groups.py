"""Group rules (in the player's order) and generated GroupSet versions per realm, with the hysteresis
state (membership) of the newest generation. Rules are the player's own work, so every change is also
mirrored to ``rules.json`` beside the database (``db/schema.py`` restores them from it if the database
is ever damaged). GroupSets are kept under a realm key (``us/3678``), or under another key for groups made
elsewhere (a group server's: ``db/remote.py``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from tsmsyncd.db.schema import RULES_MIRROR, Database, iso
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.store.atomic import write_atomic

__all__ = [
    "groupset", "groupset_head", "groupset_row", "membership", "remove_rule", "replace_rule", "rules", "save_rule",
    "seed_rules", "store_groupset",
]


def rules(d: Database) -> list[tuple[str, str, bool]]:
    """(name, rule document JSON, enabled) in rule order."""
    rows = d.conn.execute("select name, doc, enabled from rules order by position, name")
    return [(r[0], r[1], bool(r[2])) for r in rows]


def save_rule(d: Database, name: str, doc: str, enabled: bool, now: datetime) -> None:
    """Add a rule at the end, or replace one of that name where it stands."""
    with d.conn:
        position = d.conn.execute("select coalesce((select position from rules where name = ?), "
                                  "(select coalesce(max(position), 0) + 1 from rules))", (name,)).fetchone()[0]
        d.conn.execute("insert or replace into rules values (?, ?, ?, ?, ?)",
                       (name, position, doc, int(enabled), iso(now)))
    _mirror(d)


def replace_rule(d: Database, old: str, name: str, doc: str, enabled: bool, now: datetime,
                 position: int | None = None) -> None:
    """Replace the rule ``old`` with ``name``/``doc`` where it stands (a rename keeps its place); with
    ``position`` (1 = first) it moves there and the others close up."""
    with d.conn:
        names = [r[0] for r in d.conn.execute("select name from rules order by position, name")]
        at = names.index(old) if old in names else len(names)
        names = [n for n in names if n != old]
        where = at if position is None else min(max(position - 1, 0), len(names))
        names.insert(where, name)
        d.conn.execute("delete from rules where name = ?", (old,))
        d.conn.execute("insert or replace into rules values (?, ?, ?, ?, ?)", (name, 0, doc, int(enabled), iso(now)))
        d.conn.executemany("update rules set position = ? where name = ?", [(i, n) for i, n in enumerate(names, 1)])
    _mirror(d)


def remove_rule(d: Database, name: str) -> bool:
    with d.conn:
        gone = d.conn.execute("delete from rules where name = ?", (name,)).rowcount > 0
    _mirror(d)
    return bool(gone)


def seed_rules(d: Database, docs: Sequence[tuple[str, str, bool]], now: datetime) -> bool:
    """Install the shipped templates once, ever: a player who removes one does not get it back."""
    with d.conn:
        if d.conn.execute("select 1 from app_state where key = 'rules_seeded'").fetchone():
            return False
        for position, (name, doc, enabled) in enumerate(docs, 1):
            d.conn.execute("insert or ignore into rules values (?, ?, ?, ?, ?)",
                           (name, position, doc, int(enabled), iso(now)))
        d.conn.execute("insert into app_state values ('rules_seeded', ?)", (iso(now),))
    _mirror(d)
    return True


def _mirror(d: Database) -> None:
    """Keep a copy of the rules beside the database: they are the player's work, while everything
    else here can be fetched again, so a damaged database must not take them along."""
    rows = [{"name": n, "doc": doc, "enabled": e} for n, doc, e in rules(d)]
    try:
        write_atomic(d.path.with_name(RULES_MIRROR), json.dumps(rows, indent=1, ensure_ascii=False).encode())
    except OSError:
        pass  # the database still holds them; the next change tries again


def store_groupset(d: Database, realm: RealmKey | str, content_hash: str, doc: str, membership_doc: str,
                   now: datetime) -> tuple[int, bool]:
    """Keep a generated GroupSet as a new version only when its content changed; the hysteresis state
    is kept either way. Returns (version, whether it is new)."""
    target = str(realm)
    with d.conn:
        d.conn.execute("insert or replace into memberships values (?, ?)", (target, membership_doc))
        last = d.conn.execute("select version, hash from groupsets where target = ? order by version desc "
                              "limit 1", (target,)).fetchone()
        if last and last[1] == content_hash:
            return int(last[0]), False
        version = int(last[0]) + 1 if last else 1
        d.conn.execute("insert into groupsets (target, version, hash, doc, created_at) values (?, ?, ?, ?, ?)",
                       (target, version, content_hash, doc, iso(now)))
    return version, True


def groupset(d: Database, realm: RealmKey | str, version: int | None = None) -> tuple[int, str, datetime] | None:
    """(version, GroupSet JSON, created) — the newest, or the given version."""
    found = groupset_row(d, realm, version)
    return found[:3] if found else None


def groupset_row(d: Database, realm: RealmKey | str, version: int | None = None
                 ) -> tuple[int, str, datetime, str] | None:
    """(version, GroupSet JSON, created, content hash) — the newest, or the given version."""
    query = "select version, doc, created_at, hash from groupsets where target = ? "
    row = d.conn.execute(query + ("and version = ?" if version else "order by version desc limit 1"),
                         (str(realm), version) if version else (str(realm),)).fetchone()
    return (int(row[0]), row[1], datetime.fromisoformat(row[2]), row[3]) if row else None


def groupset_head(d: Database, realm: RealmKey | str, version: int | None = None) -> tuple[int, str, int] | None:
    """(version, content hash, newest version) without the document: what an ``If-None-Match`` needs."""
    query = ("select version, hash, (select max(version) from groupsets where target = ?) from groupsets "
             "where target = ? ")
    args: tuple[object, ...] = (str(realm), str(realm), *((version,) if version else ()))
    row = d.conn.execute(query + ("and version = ?" if version else "order by version desc limit 1"), args).fetchone()
    return (int(row[0]), row[1], int(row[2])) if row else None


def membership(d: Database, realm: RealmKey) -> str | None:
    row = d.conn.execute("select data from memberships where target = ?", (str(realm),)).fetchone()
    return row[0] if row else None

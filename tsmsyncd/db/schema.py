"""The SQLite database itself: opening it, its schema (only ever changed by ``MIGRATIONS``, each recorded
in ``_migrations`` and run once in its own transaction), and what happens when it is damaged.

A ``Database`` is owned by one thread — the writer (``store/writer.py``) — and is not thread-safe. The
query functions live in the modules named after their nouns (``db/market.py``, ``db/items.py``,
``db/realms.py``, ``db/groups.py``); each takes the ``Database`` as its first argument, so the writer
runs it as ``await writer(fn, *args)``. Times are stored as ISO-8601 UTC text and every ``now`` is
passed in.

A file that is not a database, or is damaged, is set aside (renamed, kept) and a new one started: market
data can be fetched again, and the rules — the player's own work — are carried over from the damaged
file where SQLite can still read them, else from the copy kept beside it (``rules.json``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from sqlite_utils.db import Table

from tsmsyncd.errors import StateError
from tsmsyncd.jsondoc import JsonDocError, parse

__all__ = ["DAMAGED_MARK", "MIGRATIONS", "RULES_MIRROR", "Database", "iso", "mark_damaged", "when"]


def _table(db: sqlite_utils.Database, name: str) -> Table:
    table = db[name]
    assert isinstance(table, Table)  # the migrations create tables, never views
    return table


def _migration_1(db: sqlite_utils.Database) -> None:
    _table(db, "realms").create({"region": str, "connected_realm_id": int, "realm_id": int, "name": str, "slug": str,
                                 "timezone": str, "locale": str, "updated_at": str}, pk=("region", "realm_id"))
    _table(db, "sources").create({"id": int, "key": str, "region": str, "kind": str, "connected_realm_id": int,
                                  "house_id": int, "last_modified": str, "last_checked": str, "last_error": str,
                                  "error_at": str}, pk="id", not_null={"key", "region", "kind"})
    _table(db, "sources").create_index(["key"], unique=True)
    _table(db, "snapshots").create({"id": int, "source_id": int, "at": str, "fetched_at": str, "auctions": int,
                                    "items": int, "sold_units": int, "sold_hours": float}, pk="id",
                                   foreign_keys=[("source_id", "sources", "id")])
    _table(db, "snapshots").create_index(["source_id", "at"], unique=True)
    _table(db, "hourly").create({"source_id": int, "snapshot_id": int, "item": str, "at": str, "min_buyout": int,
                                 "market_value": int, "quantity": int, "auctions": int, "sold": int},
                                pk=("source_id", "item", "at"))
    _table(db, "hourly").create_index(["source_id", "at"])
    _table(db, "hourly").create_index(["snapshot_id"])
    _table(db, "daily").create({"source_id": int, "item": str, "day": str, "value_sum": float, "value_count": int,
                                "min_buyout": int, "quantity_sum": int, "scans": int, "sold": int},
                               pk=("source_id", "item", "day"))
    _table(db, "daily").create_index(["source_id", "day"])
    _table(db, "auction_index").create({"source_id": int, "snapshot_id": int, "at": str, "data": bytes}, pk="source_id")
    _table(db, "items").create({"item_id": int, "name": str, "quality": str, "item_class": int, "item_subclass": int,
                                "vendor_sell": int, "fetched_at": str}, pk="item_id")


def _migration_2(db: sqlite_utils.Database) -> None:
    _table(db, "rules").create({"name": str, "position": int, "doc": str, "enabled": int, "updated_at": str}, pk="name")
    _table(db, "groupsets").create({"id": int, "target": str, "version": int, "hash": str, "doc": str,
                                    "created_at": str}, pk="id")
    _table(db, "groupsets").create_index(["target", "version"], unique=True)
    _table(db, "memberships").create({"target": str, "data": str}, pk="target")
    _table(db, "app_state").create({"key": str, "value": str}, pk="key")


def _migration_3(db: sqlite_utils.Database) -> None:
    """The newest listing of every item per source, kept up to date by record_snapshot, so reading a realm's
    metrics does not scan 48 hours of rows; and an index over the hours that had sales."""
    _table(db, "latest").create({"source_id": int, "item": str, "at": str, "min_buyout": int, "market_value": int,
                                 "quantity": int, "auctions": int, "first_seen": str, "snapshots": int},
                                pk=("source_id", "item"))
    db.execute("insert into latest select source_id, item, max(at), min_buyout, market_value, quantity, auctions, "
               "null, 0 from hourly where quantity > 0 group by source_id, item")
    db.execute("update latest set (first_seen, snapshots) = (select min(at), count(*) from hourly h "
               "where h.source_id = latest.source_id and h.item = latest.item and h.quantity > 0)")
    db.execute("create index hourly_sales on hourly (source_id, at) where sold > 0")


def _migration_4(db: sqlite_utils.Database) -> None:
    """The daemon's state: targets (one TSM profile in one account's file) with their mode, realm and state;
    the plans waiting for the game to close; history; and every localized name of a realm."""
    # Realms get every localized name, and a flavor: Classic realms have their own index.
    _table(db, "realms").add_column("names", str)
    _table(db, "realms").add_column("flavor", str, not_null_default="retail")
    _table(db, "realms").transform(pk=("region", "flavor", "realm_id"))
    _table(db, "targets").create(
        {"id": str, "install": str, "flavor": str, "folder": str, "account": str, "profile": str, "file": str,
         "characters": str, "realm": str, "realm_reason": str, "mode": str, "state": str, "reason": str,
         "last_apply": str,
         "adopt_root": int, "present": int, "seen_at": str, "updated_at": str},
        pk="id", not_null={"file", "profile", "mode", "state"})
    _table(db, "pending").create(
        {"target_id": str, "groupset_hash": str, "groupset_version": int, "realm": str, "planned_at": str,
         "file_identity": str, "report": str, "reason": str},
        pk="target_id", foreign_keys=[("target_id", "targets", "id")])
    _table(db, "history").create({"id": int, "at": str, "kind": str, "target_id": str, "message": str,
                                  "data": str}, pk="id")
    _table(db, "history").create_index(["at"])
    _table(db, "history").create_index(["target_id", "at"])


MIGRATIONS: tuple[tuple[str, Callable[[sqlite_utils.Database], None]], ...] = (
    ("0001_market_data", _migration_1),
    ("0002_group_rules", _migration_2),
    ("0003_latest_listing", _migration_3),
    ("0004_daemon_state", _migration_4),
)



RULES_MIRROR = "rules.json"
DAMAGED_MARK = ".damaged"  # beside the database: "set me aside at the next start" (a query found damage)


class Database:
    """The open database. A file that is not a database, or is damaged, is set aside (renamed, kept)
    and a new one started: market data is fetched again and the rules are carried over where they can
    still be read. ``notices`` says what happened, for the player."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot create the data folder {path.parent}: {exc.strerror or exc}") from exc
        marked = path.with_name(path.name + DAMAGED_MARK)
        try:
            if marked.exists():
                raise sqlite3.DatabaseError(marked.read_text(errors="replace").strip() or "damaged")
            self._open(path)
        except sqlite3.OperationalError as exc:  # locked, full, read-only: nothing is damaged
            raise StateError(f"{path.name} cannot be opened ({exc}); nothing was changed") from exc
        except sqlite3.DatabaseError as exc:
            self._rebuild(path, str(exc))
            marked.unlink(missing_ok=True)

    def _open(self, path: Path) -> None:
        self.db = sqlite_utils.Database(path)
        self.conn: sqlite3.Connection = self.db.conn
        try:
            # The daemon and its short-lived worker processes share the file: wait for each other's writes.
            self.db.execute("pragma busy_timeout = 15000")
            self.db.execute("pragma foreign_keys = on")
            self.db.enable_wal()  # type: ignore[no-untyped-call]  # sqlite_utils leaves enable_wal unannotated
            self._migrate()
        except sqlite3.DatabaseError:
            self.conn.close()
            raise

    def _rebuild(self, path: Path, why: str) -> None:
        rules = _salvage_rules(path)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = path.with_name(f"{path.name}.damaged-{stamp}")
        try:
            os.replace(path, aside)
            for suffix in ("-wal", "-shm"):
                extra = path.with_name(path.name + suffix)
                if extra.exists():
                    os.replace(extra, aside.with_name(aside.name + suffix))
            self._open(path)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise StateError(f"{path} is damaged ({why}) and could not be replaced ({exc}); move it away and "
                             "start tsmsyncd again") from exc
        now = datetime.now(UTC)
        with self.conn:
            for position, (name, doc, enabled) in enumerate(rules, 1):
                self.conn.execute("insert or ignore into rules values (?, ?, ?, ?, ?)",
                                  (name, position, doc, int(enabled), iso(now)))
            if rules:
                self.conn.execute("insert or ignore into app_state values ('rules_seeded', ?)", (iso(now),))
        kept = f"your {len(rules)} rule(s) were carried over" if rules else "the rules could not be read back"
        self.notices.append(f"{path.name} was damaged ({why}); it was set aside as {aside.name} and a new one "
                            f"started: market data is fetched again, {kept}")

    def _migrate(self) -> None:
        """Run the migrations not yet recorded, each in its own ``BEGIN IMMEDIATE`` transaction that first
        checks again: the daemon and a worker process may open a new database at the same moment."""
        with self.conn:
            self.conn.execute("create table if not exists _migrations (name text primary key, applied_at text)")
        for name, migration in MIGRATIONS:
            if self.conn.execute("select 1 from _migrations where name = ?", (name,)).fetchone():
                continue
            self.conn.execute("begin immediate")
            try:
                if not self.conn.execute("select 1 from _migrations where name = ?", (name,)).fetchone():
                    migration(self.db)
                    self.conn.execute("insert into _migrations values (?, ?)", (name, iso(datetime.now(UTC))))
                self.conn.commit()
            except BaseException:
                self.conn.rollback()
                raise

    def close(self) -> None:
        self.conn.close()

def _salvage_rules(path: Path) -> list[tuple[str, str, bool]]:
    """The rules of a damaged database: from the database itself where SQLite can still read them,
    else from the copy kept beside it (``rules.json``)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            rows = conn.execute("select name, doc, enabled from rules order by position, name").fetchall()
        finally:
            conn.close()
        return [(str(n), str(d), bool(e)) for n, d, e in rows if isinstance(n, str) and isinstance(d, str)]
    except sqlite3.Error:
        pass
    try:
        mirror = parse(path.with_name(RULES_MIRROR).read_bytes())
    except (OSError, JsonDocError):
        return []
    if not isinstance(mirror, list):
        return []
    return [(r["name"], r["doc"], bool(r.get("enabled", True))) for r in mirror
            if isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("doc"), str)]


def mark_damaged(path: Path, why: str) -> None:
    """Ask the next start to set the database aside (a query found it damaged while it was open)."""
    try:
        path.with_name(path.name + DAMAGED_MARK).write_text(why + "\n")
    except OSError:
        pass



def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None

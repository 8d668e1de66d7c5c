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

from tsmsyncd.errors import StateError
from tsmsyncd.jsondoc import JsonDocError, parse

__all__ = ["DAMAGED_MARK", "MIGRATIONS", "RULES_MIRROR", "Database", "iso", "mark_damaged", "when"]

# Plain SQL, not sqlite-utils: sqlite-utils imports pandas and numpy when it is imported, which alone
# would put the resting daemon over its memory budget (bench/daemon.py). The column types are the ones
# sqlite-utils gave the first databases (TEXT, INTEGER, FLOAT, BLOB), and so are the index names.

_MIGRATION_1 = """
create table realms (region text, connected_realm_id integer, realm_id integer, name text, slug text,
    timezone text, locale text, updated_at text, primary key (region, realm_id));
create table sources (id integer primary key, key text not null, region text not null, kind text not null,
    connected_realm_id integer, house_id integer, last_modified text, last_checked text, last_error text,
    error_at text);
create unique index idx_sources_key on sources (key);
create table snapshots (id integer primary key, source_id integer references sources(id), at text,
    fetched_at text, auctions integer, items integer, sold_units integer, sold_hours float);
create unique index idx_snapshots_source_id_at on snapshots (source_id, at);
create table hourly (source_id integer, snapshot_id integer, item text, at text, min_buyout integer,
    market_value integer, quantity integer, auctions integer, sold integer, primary key (source_id, item, at));
create index idx_hourly_source_id_at on hourly (source_id, at);
create index idx_hourly_snapshot_id on hourly (snapshot_id);
create table daily (source_id integer, item text, day text, value_sum float, value_count integer,
    min_buyout integer, quantity_sum integer, scans integer, sold integer, primary key (source_id, item, day));
create index idx_daily_source_id_day on daily (source_id, day);
create table auction_index (source_id integer primary key, snapshot_id integer, at text, data blob);
create table items (item_id integer primary key, name text, quality text, item_class integer,
    item_subclass integer, vendor_sell integer, fetched_at text);
"""

_MIGRATION_2 = """
create table rules (name text primary key, position integer, doc text, enabled integer, updated_at text);
create table groupsets (id integer primary key, target text, version integer, hash text, doc text,
    created_at text);
create unique index idx_groupsets_target_version on groupsets (target, version);
create table memberships (target text primary key, data text);
create table app_state (key text primary key, value text);
"""

# The newest listing of every item per source, kept up to date by record_snapshot, so reading a realm's
# metrics does not scan 48 hours of rows; and an index over the hours that had sales.
_MIGRATION_3 = """
create table latest (source_id integer, item text, at text, min_buyout integer, market_value integer,
    quantity integer, auctions integer, first_seen text, snapshots integer, primary key (source_id, item));
insert into latest select source_id, item, max(at), min_buyout, market_value, quantity, auctions, null, 0
    from hourly where quantity > 0 group by source_id, item;
update latest set (first_seen, snapshots) = (select min(at), count(*) from hourly h
    where h.source_id = latest.source_id and h.item = latest.item and h.quantity > 0);
create index hourly_sales on hourly (source_id, at) where sold > 0;
"""

# The daemon's state: targets (one TSM profile in one account's file) with their mode, realm and state;
# the plans waiting for the game to close; history; and every localized name of a realm. Realms get a
# flavor in their key (Classic realms have their own index): SQLite cannot change a primary key, so the
# table is rebuilt.
_MIGRATION_4 = """
create table realms_new (region text, connected_realm_id integer, realm_id integer, name text, slug text,
    timezone text, locale text, updated_at text, names text, flavor text not null default 'retail',
    primary key (region, flavor, realm_id));
insert into realms_new (region, connected_realm_id, realm_id, name, slug, timezone, locale, updated_at)
    select region, connected_realm_id, realm_id, name, slug, timezone, locale, updated_at from realms;
drop table realms;
alter table realms_new rename to realms;
create table targets (id text primary key, install text, flavor text, folder text, account text,
    profile text not null, file text not null, characters text, realm text, realm_reason text,
    mode text not null, state text not null, reason text, last_apply text, adopt_root integer,
    present integer, seen_at text, updated_at text);
create table pending (target_id text primary key references targets(id), groupset_hash text,
    groupset_version integer, realm text, planned_at text, file_identity text, report text, reason text);
create table history (id integer primary key, at text, kind text, target_id text, message text, data text);
create index idx_history_at on history (at);
create index idx_history_target_id_at on history (target_id, at);
"""

# Item ids Blizzard answered 404 for, and when: asked again only after a while (db/items.py), not every refresh.
_MIGRATION_5 = """
create table missing_items (item_id integer primary key, missed_at text not null);
"""

# The watchlist: what the player tracks (one row per item and list), and for each (item, realm) whether its
# alert is armed (it fires once when a listing gets to the price, and re-arms when none is there any more).
_MIGRATION_6 = """
create table watch_items (id integer primary key autoincrement, item text not null, list text not null default '',
    amount integer not null, max_price integer not null, realms text not null, specs text not null,
    created_at text, updated_at text);
create unique index idx_watch_items_item_list on watch_items (item, list);
create table watch_alerts (item_id integer not null references watch_items(id) on delete cascade,
    realm integer not null, armed integer not null default 1, hit_at text, primary key (item_id, realm));
"""

# Group server mode: the tokens it gave out (only a hash of each secret is kept), which realms each
# token's client asked for (what the server refreshes, up to its cap); on a client, where each remote
# realm's GroupSet was last fetched (its ETag, failures and the wait a server asked for); and a target's
# own choice of group source.
_MIGRATION_7 = """
create table server_tokens (id text primary key, name text not null unique, hash text not null,
    realms text not null default '[]', rate real, burst integer, created_at text not null, last_used text,
    requests integer not null default 0, limited integer not null default 0, revoked_at text);
create table server_requests (token_id text not null references server_tokens(id) on delete cascade,
    realm text not null, first_at text not null, last_at text not null, requests integer not null default 0,
    primary key (token_id, realm));
create table remote_groups (realm text primary key, url text not null, token_hash text, etag text, version integer,
    last_checked text, last_ok text, failures integer not null default 0, retry_at text, error text);
alter table targets add column group_source text
"""


def _statements(script: str) -> list[str]:
    """The statements of a migration script (none of them holds a ';' inside a string)."""
    return [part.strip() for part in script.split(";") if part.strip()]


def _sql(script: str) -> Callable[[sqlite3.Connection], None]:
    def migrate(conn: sqlite3.Connection) -> None:
        # One statement at a time: executescript() would commit the transaction the migration runs in.
        for statement in _statements(script):
            conn.execute(statement)
    return migrate


MIGRATIONS: tuple[tuple[str, Callable[[sqlite3.Connection], None]], ...] = (
    ("0001_market_data", _sql(_MIGRATION_1)),
    ("0002_group_rules", _sql(_MIGRATION_2)),
    ("0003_latest_listing", _sql(_MIGRATION_3)),
    ("0004_daemon_state", _sql(_MIGRATION_4)),
    ("0005_sales_missing_items", _sql(_MIGRATION_5)),
    ("0006_watchlist", _sql(_MIGRATION_6)),
    ("0007_server_tokens", _sql(_MIGRATION_7)),
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
        self.conn: sqlite3.Connection = sqlite3.connect(path)
        try:
            # The daemon and its short-lived worker processes share the file: wait for each other's writes.
            self.conn.execute("pragma busy_timeout = 15000")
            self.conn.execute("pragma foreign_keys = on")
            if self.conn.execute("pragma journal_mode").fetchone()[0] != "wal":
                self.conn.execute("pragma journal_mode = wal")
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
                    migration(self.conn)
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

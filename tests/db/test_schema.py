"""The schema changes only through migrations, each run once; a database from an older version is
brought up to date keeping what it held."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tsmsyncd.db.schema import MIGRATIONS, Database
from tsmsyncd.errors import StateError


def test_a_database_from_before_the_daemon_keeps_its_realms_as_retail_realms(tmp_path: Path) -> None:
    path = tmp_path / "tsmsyncd.db"
    conn = sqlite3.connect(path)
    conn.execute("create table _migrations (name text primary key, applied_at text)")
    for name, migration in MIGRATIONS[:3]:  # what version 0.1 created
        migration(conn)
        conn.execute("insert into _migrations values (?, '2026-06-01T00:00:00+00:00')", (name,))
    conn.execute("insert into realms (region, connected_realm_id, realm_id, name, slug) "
                 "values ('us', 3678, 57, 'Illidan', 'illidan')")
    conn.commit()
    conn.close()

    db = Database(path)
    try:
        rows = db.conn.execute("select region, flavor, realm_id, name from realms").fetchall()
        assert rows == [("us", "retail", 57, "Illidan")]
        db.conn.execute("insert into realms (region, flavor, realm_id, name) values ('us', 'classic-era', 57, 'X')")
        applied = [r[0] for r in db.conn.execute("select name from _migrations order by name")]
        assert applied == [name for name, _ in MIGRATIONS]
    finally:
        db.close()


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "tsmsyncd.db"
    conn = sqlite3.connect(path)
    conn.execute("create table _migrations (name text primary key, applied_at text)")
    for name, migration in MIGRATIONS[:3]:
        migration(conn)
        conn.execute("insert into _migrations values (?, '2026-06-01T00:00:00+00:00')", (name,))
    conn.execute("create table targets (id text)")  # in the way of migration 4's own table
    conn.commit()
    conn.close()

    with pytest.raises(StateError, match=r"cannot be opened \(table targets already exists\); nothing was changed"):
        Database(path)
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        assert "realms" in tables and "realms_new" not in tables and "pending" not in tables
    finally:
        conn.close()

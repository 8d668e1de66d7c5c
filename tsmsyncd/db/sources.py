"""Where snapshots come from and how fetching them went: each source's row, its stored Last-Modified, the
last check and the last error, and the times of its recent snapshots (which the scheduler learns
Blizzard's cadence from). Light on purpose: no pandas, so the daemon itself can read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tsmsyncd.db.schema import Database, iso, when
from tsmsyncd.market.sources import Source, SourceKind

__all__ = ["SourceState", "known_sources", "record_checked", "record_error", "snapshot_times", "source_id",
           "source_state"]


@dataclass(frozen=True)
class SourceState:
    last_modified: str | None  # the exact Last-Modified header stored with the newest snapshot
    last_checked: datetime | None
    last_error: str | None
    error_at: datetime | None
    snapshots: int



def source_id(d: Database, source: Source) -> int:
    row = d.conn.execute("select id from sources where key = ?", (source.key,)).fetchone()
    if row:
        return int(row[0])
    cursor = d.conn.execute(
        "insert into sources (key, region, kind, connected_realm_id, house_id) values (?, ?, ?, ?, ?)",
        (source.key, source.region, str(source.kind), source.connected_realm_id, source.house_id))
    return int(cursor.lastrowid or 0)


def source_state(d: Database, source: Source) -> SourceState:
    row = d.conn.execute(
        "select s.last_modified, s.last_checked, s.last_error, s.error_at, "
        "(select count(*) from snapshots where source_id = s.id) from sources s where key = ?",
        (source.key,)).fetchone()
    if row is None:
        return SourceState(None, None, None, None, 0)
    return SourceState(row[0], when(row[1]), row[2], when(row[3]), int(row[4]))


def record_checked(d: Database, source: Source, now: datetime) -> None:
    with d.conn:
        d.conn.execute("update sources set last_checked = ?, last_error = null, error_at = null where id = ?",
                       (iso(now), source_id(d, source)))


def record_error(d: Database, source: Source, message: str, now: datetime) -> None:
    """Remember the failure; the last good data is not touched."""
    with d.conn:
        d.conn.execute("update sources set last_checked = ?, last_error = ?, error_at = ? where id = ?",
                       (iso(now), message, iso(now), source_id(d, source)))


def snapshot_times(d: Database, source: Source, limit: int = 48) -> list[datetime]:
    """The times (Last-Modified) of the source's newest snapshots, oldest first."""
    rows = d.conn.execute("select s.at from snapshots s join sources src on src.id = s.source_id where src.key = ? "
                          "order by s.at desc limit ?", (source.key, limit)).fetchall()
    return sorted(datetime.fromisoformat(r[0]) for r in rows)


def known_sources(d: Database) -> list[Source]:
    rows = d.conn.execute("select region, kind, connected_realm_id, house_id from sources order by key")
    return [Source(r[0], SourceKind(r[1]), r[2], r[3]) for r in rows]

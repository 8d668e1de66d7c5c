"""History: what the daemon did and what went wrong, kept so the player can read it later (the event bus
only announces; facts that must not be lost are written here first). Pages by id, newest first."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tsmsyncd.db.schema import Database, iso

__all__ = ["Entry", "Kind", "entries", "prune", "record"]

KEEP = timedelta(days=90)


class Kind(StrEnum):
    REFRESH = "refresh"
    REFRESH_FAILED = "refresh.failed"
    GROUPS = "groups"
    PLANNED = "planned"
    PENDING = "pending"
    APPLIED = "applied"
    APPLY_FAILED = "apply.failed"
    UNDONE = "undone"
    BACKUP = "backup"
    JOB_FAILED = "job.failed"
    JOB_MISSED = "job.missed"
    DAEMON = "daemon"
    WATCH_ALERT = "watch.alert"
    UPDATE = "update"  # an update found, refused or installed (sync/updates.py)


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    kind: Kind
    target_id: str | None
    message: str
    data: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": iso(self.at), "kind": str(self.kind), "target_id": self.target_id,
                "message": self.message, "data": dict(self.data)}


def record(d: Database, kind: Kind, message: str, now: datetime, target_id: str | None = None,
           data: Mapping[str, Any] | None = None) -> int:
    with d.conn:
        cursor = d.conn.execute("insert into history (at, kind, target_id, message, data) values (?, ?, ?, ?, ?)",
                                (iso(now), str(kind), target_id, message, json.dumps(dict(data or {}), default=str)))
    return int(cursor.lastrowid or 0)


def entries(d: Database, limit: int = 50, before: int | None = None, target_id: str | None = None,
            kind: Kind | None = None) -> list[Entry]:
    """Newest first; ``before`` is the id to page back from."""
    where: list[str] = []
    args: list[object] = []
    if before is not None:
        where.append("id < ?")
        args.append(before)
    if target_id is not None:
        where.append("target_id = ?")
        args.append(target_id)
    if kind is not None:
        where.append("kind = ?")
        args.append(str(kind))
    clause = f"where {' and '.join(where)}" if where else ""
    rows = d.conn.execute(f"select id, at, kind, target_id, message, data from history {clause} "
                          f"order by id desc limit ?", (*args, limit))
    return [Entry(r[0], datetime.fromisoformat(r[1]), Kind(r[2]), r[3], r[4], json.loads(r[5] or "{}")) for r in rows]


def prune(d: Database, now: datetime) -> int:
    with d.conn:
        return int(d.conn.execute("delete from history where at < ?", (iso(now - KEEP),)).rowcount)

"""Group server mode's tokens, as the server keeps them: one row per token it gave out (the secret itself is
never stored, only its SHA-256), and which realms each token's client asked for.

A revoked token keeps its row (``revoked_at``), so its client is told it was revoked rather than that it
never existed, and ``tokens list`` still shows what it did; a new token may take a revoked one's name.
Usage (requests, the last one's time, which realms) is counted in memory by the server and written here
in batches (``record_usage``), never one write per request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tsmsyncd.db.schema import Database, iso, when

__all__ = ["TokenRecord", "Usage", "assigned_realms", "create_token", "find_token", "record_usage", "requested_realms",
           "revoke_token", "tokens"]

_COLUMNS = "id, name, hash, realms, rate, burst, created_at, last_used, requests, limited, revoked_at"


@dataclass(frozen=True)
class TokenRecord:
    """One token. ``realms`` are realm keys (``us/3678``) its client was given at creation; ``rate`` (per
    second) and ``burst`` its own limit (None: the server's settings)."""

    id: str
    name: str
    hash: str = field(repr=False)
    realms: tuple[str, ...] = ()
    rate: float | None = None
    burst: int | None = None
    created_at: datetime | None = None
    last_used: datetime | None = None
    requests: int = 0
    limited: int = 0
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_json(self) -> dict[str, object]:
        """What ``tokens list --json`` shows: everything but the hash."""
        return {"name": self.name, "id": self.id, "realms": list(self.realms),
                "rate_per_hour": round(self.rate * 3600, 3) if self.rate else None, "burst": self.burst,
                "created_at": iso(self.created_at) if self.created_at else None,
                "last_used": iso(self.last_used) if self.last_used else None, "requests": self.requests,
                "rate_limited": self.limited, "revoked_at": iso(self.revoked_at) if self.revoked_at else None}


@dataclass
class Usage:
    """What one token did since the last batch: requests answered, requests refused by its rate, when the
    last came, and per realm asked for (``us/3678``) the first and last time and how often."""

    requests: int = 0
    limited: int = 0
    last_used: datetime | None = None
    realms: dict[str, tuple[datetime, datetime, int]] = field(default_factory=dict)

    def saw(self, realm: str, now: datetime) -> None:
        first, _, count = self.realms.get(realm, (now, now, 0))
        self.realms[realm] = (first, now, count + 1)


def _record(row: tuple[Any, ...]) -> TokenRecord:
    tid, name, digest, realms, rate, burst, created, used, requests, limited, revoked = row
    return TokenRecord(tid, name, digest, tuple(json.loads(realms)), float(rate) if rate is not None else None,
                       int(burst) if burst is not None else None, when(created), when(used), int(requests),
                       int(limited), when(revoked))


def create_token(d: Database, record: TokenRecord) -> bool:
    """Store a new token; False when an active token already has that name (a revoked one's row, and what
    its client asked for, give way)."""
    with d.conn:
        taken = d.conn.execute("select revoked_at from server_tokens where name = ?", (record.name,)).fetchone()
        if taken is not None and taken[0] is None:
            return False
        d.conn.execute("delete from server_tokens where name = ?", (record.name,))
        d.conn.execute(f"insert into server_tokens ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, null, 0, 0, null)",
                       (record.id, record.name, record.hash, json.dumps(list(record.realms)), record.rate,
                        record.burst, iso(record.created_at) if record.created_at else None))
    return True


def tokens(d: Database) -> list[TokenRecord]:
    """Every token, active first, then by name."""
    rows = d.conn.execute(f"select {_COLUMNS} from server_tokens order by revoked_at is not null, name")
    return [_record(r) for r in rows]


def find_token(d: Database, token_id: str) -> TokenRecord | None:
    """The token with this id (the public part of a token), revoked or not."""
    row = d.conn.execute(f"select {_COLUMNS} from server_tokens where id = ?", (token_id,)).fetchone()
    return _record(row) if row else None


def revoke_token(d: Database, name: str, now: datetime) -> TokenRecord | None:
    """Revoke the active token of that name; None when there is none. The server reads this row on every
    request, so the next request with it is refused."""
    with d.conn:
        changed = d.conn.execute("update server_tokens set revoked_at = ? where name = ? and revoked_at is null",
                                 (iso(now), name)).rowcount
        row = d.conn.execute(f"select {_COLUMNS} from server_tokens where name = ?", (name,)).fetchone()
    return _record(row) if changed and row else None


def record_usage(d: Database, usage: Mapping[str, Usage]) -> None:
    """Add one batch of counts (token id → its usage) in one transaction; tokens removed meanwhile are
    skipped."""
    with d.conn:
        for token_id, used in usage.items():
            d.conn.execute("update server_tokens set requests = requests + ?, limited = limited + ?, "
                           "last_used = coalesce(?, last_used) where id = ?",
                           (used.requests, used.limited, iso(used.last_used) if used.last_used else None, token_id))
            for realm, (first, last, count) in used.realms.items():
                d.conn.execute(
                    "insert into server_requests (token_id, realm, first_at, last_at, requests) "
                    "select ?, ?, ?, ?, ? where exists (select 1 from server_tokens where id = ?) "
                    "on conflict (token_id, realm) do update set last_at = excluded.last_at, "
                    "requests = requests + excluded.requests",
                    (token_id, realm, iso(first), iso(last), count, token_id))


def requested_realms(d: Database, since: datetime) -> list[tuple[str, datetime]]:
    """(realm key, last asked) of what active tokens' clients asked for since ``since``, newest first (in
    the same second: the most asked for first)."""
    rows = d.conn.execute(
        "select r.realm, max(r.last_at) from server_requests r join server_tokens t on t.id = r.token_id "
        "where t.revoked_at is null and r.last_at >= ? group by r.realm "
        "order by max(r.last_at) desc, sum(r.requests) desc, r.realm",
        (iso(since),))
    return [(str(realm), datetime.fromisoformat(str(last))) for realm, last in rows]


def assigned_realms(d: Database) -> list[str]:
    """The realms active tokens were created with, oldest token first."""
    rows = d.conn.execute("select realms from server_tokens where revoked_at is null order by created_at, name")
    return [realm for (realms,) in rows for realm in json.loads(realms)]

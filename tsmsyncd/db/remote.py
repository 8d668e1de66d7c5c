"""A client daemon's side of a group server: for each realm whose groups come from one, where they were
last fetched and how that went (the ``ETag`` to send back, failures in a row, the wait the server asked
for, the last error). The GroupSets themselves are versioned in ``groupsets`` like local ones, under the
key ``remote:<realm>`` (``groups_key``), so a target may switch between local rules and a server without
either's versions replacing the other's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tsmsyncd.db.schema import Database, iso, when

__all__ = ["RemoteState", "groups_key", "remote_state", "remote_states", "save_remote_state"]

_COLUMNS = "realm, url, token_hash, etag, version, last_checked, last_ok, failures, retry_at, error"


def groups_key(realm: object) -> str:
    """Where a realm's GroupSets from a group server are kept (``remote:us/3678``)."""
    return f"remote:{realm}"


@dataclass(frozen=True)
class RemoteState:
    realm: str  # RealmKey text
    url: str  # the server it was fetched from (another server: the ETag no longer means anything)
    token_hash: str | None = None  # which token was used (another token: its own rate, no waiting on the old)
    etag: str | None = None
    version: int | None = None  # the version stored here of the newest GroupSet fetched
    last_checked: datetime | None = None
    last_ok: datetime | None = None
    failures: int = 0  # in a row, for the backoff
    retry_at: datetime | None = None  # not before this (the server's Retry-After, or the backoff)
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"realm": self.realm, "url": self.url, "version": self.version,
                "last_checked": iso(self.last_checked) if self.last_checked else None,
                "last_ok": iso(self.last_ok) if self.last_ok else None, "failures": self.failures,
                "retry_at": iso(self.retry_at) if self.retry_at else None, "error": self.error}


def _state(row: tuple[Any, ...]) -> RemoteState:
    realm, url, token_hash, etag, version, checked, ok, failures, retry, error = row
    return RemoteState(realm, url, token_hash, etag, int(version) if version is not None else None, when(checked),
                       when(ok), int(failures), when(retry), error)


def remote_state(d: Database, realm: str) -> RemoteState | None:
    row = d.conn.execute(f"select {_COLUMNS} from remote_groups where realm = ?", (realm,)).fetchone()
    return _state(row) if row else None


def remote_states(d: Database) -> list[RemoteState]:
    return [_state(r) for r in d.conn.execute(f"select {_COLUMNS} from remote_groups order by realm")]


def save_remote_state(d: Database, state: RemoteState) -> None:
    with d.conn:
        d.conn.execute(
            f"insert or replace into remote_groups ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (state.realm, state.url, state.token_hash, state.etag, state.version, _iso(state.last_checked),
             _iso(state.last_ok), state.failures, _iso(state.retry_at), state.error))


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None

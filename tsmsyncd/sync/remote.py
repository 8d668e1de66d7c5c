"""A client daemon's groups from a group server: poll a realm's GroupSet with ``If-None-Match``, validate
it like any other input, keep it as a new version only when its content changed, and keep the last good
one whatever goes wrong.

What a poll may end in, and what comes next (``next_poll``, pure):

    (another server: it starts afresh; another token: its ETag stays, the old token's waits do not)
    200, valid        stored (a new version if the content changed); next poll after ``poll_seconds``
    304               nothing to do; next poll after ``poll_seconds``
    429               the last groups stay; not before the server's ``Retry-After`` (and the backoff)
    anything else     (down, token refused or revoked, no groups yet, invalid groups) the last groups
                      stay, the error is kept to be shown; backoff: ``poll_seconds`` × 2, × 4 … up to an hour

The GroupSet a server sends is checked as strictly as a file given to ``merge``: the document (strict
JSON, ``GroupSet.from_dict``), that it is the realm asked for; and when it is merged, the merge's own
guard refuses a root that names a group of the player's (``store/roots.py``), as on every merge path.
The server's ``meta`` block (version numbers of its own) is not part of the GroupSet and is dropped.
Also here: a realm list from the server, for a client that has no Blizzard credentials of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tsmsyncd import groupclient
from tsmsyncd.config import GroupSource
from tsmsyncd.db import groups as groups_db
from tsmsyncd.db import history as history_db
from tsmsyncd.db import realms as realms_db
from tsmsyncd.db import remote as remote_db
from tsmsyncd.db.history import Kind
from tsmsyncd.db.realms import RealmInfo
from tsmsyncd.db.remote import RemoteState, groups_key
from tsmsyncd.errors import GroupServerError, GroupSetError
from tsmsyncd.events import EventBus, EventType
from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.tsm.groupset import GroupSet

if TYPE_CHECKING:
    import aiohttp

__all__ = ["MAX_BACKOFF", "Polled", "RemoteGroups", "current", "failed", "next_poll", "parse_groupset", "parse_realms",
           "token_hash"]

MAX_BACKOFF = timedelta(hours=1)
MAX_WAIT = timedelta(days=1)  # a Retry-After longer than this is a server's mistake, not a plan


def token_hash(token: str) -> str:
    """A token's fingerprint, to notice it changed (never the token itself in the database)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def current(state: RemoteState | None, realm: RealmKey, source: GroupSource) -> RemoteState:
    """The state that counts for this source: another server starts afresh; another token keeps the
    ETag (the same server's groups) but not the old token's failures and waits."""
    fingerprint = token_hash(source.token)
    if state is None or state.url != source.url:
        return RemoteState(str(realm), source.url, fingerprint)
    if state.token_hash != fingerprint:
        return replace(state, token_hash=fingerprint, failures=0, retry_at=None)
    return state


def next_poll(state: RemoteState | None, source: GroupSource, now: datetime) -> datetime:
    """When to ask the server about a realm next (``now``: at once)."""
    if state is None or state.url != source.url or state.token_hash != token_hash(source.token) \
            or state.last_checked is None:
        return now
    if state.retry_at is not None:
        return state.retry_at
    return state.last_checked + timedelta(seconds=source.poll_seconds)


def failed(state: RemoteState, error: GroupServerError | GroupSetError, source: GroupSource,
           now: datetime) -> RemoteState:
    """The state after a failed poll: the error kept, the next try later each time (and never before a
    ``Retry-After``)."""
    failures = state.failures + 1
    backoff = min(timedelta(seconds=source.poll_seconds) * 2 ** min(failures, 20),
                  max(MAX_BACKOFF, timedelta(seconds=source.poll_seconds)))
    wait = backoff
    asked = getattr(error, "retry_after", None)
    if asked is not None:
        wait = max(wait, min(timedelta(seconds=asked), MAX_WAIT))
    return replace(state, last_checked=now, failures=failures, retry_at=now + wait, error=str(error))


def parse_groupset(body: bytes, realm: RealmKey) -> GroupSet:
    """A server's GroupSet answer, checked: strict JSON, a valid GroupSet, of the realm asked for."""
    try:
        doc = parse(body)
    except JsonDocError as exc:
        raise GroupSetError("(document)", f"the group server's answer is not JSON: {exc.reason}") from exc
    if not isinstance(doc, dict):
        raise GroupSetError("(document)", "the group server's answer is not a JSON object")
    doc.pop("meta", None)  # the server's own version numbers, not part of the groups
    groupset = GroupSet.from_dict(doc)
    source = groupset.source or {}
    number, region = source.get("connected_realm_id"), source.get("region")
    if (number is not None and number != realm.connected_realm_id) or (region is not None and region != realm.region):
        raise GroupSetError("source", f"the group server sent the groups of {region}/{number}, not of {realm}")
    return groupset


def parse_realms(body: bytes, region: str) -> list[RealmInfo]:
    """A server's ``GET /realms/{region}`` answer as the realm index to store."""
    try:
        doc = parse(body)
        found: list[RealmInfo] = []
        for connected in doc["connected_realms"]:
            number = connected["connected_realm_id"]
            for realm in connected["realms"]:
                names = tuple(str(n) for n in realm.get("names") or [realm["name"]])
                found.append(RealmInfo(region, int(number), int(realm["realm_id"]), str(realm["name"]),
                                       str(realm["slug"]), str(connected.get("timezone") or ""),
                                       str(connected.get("locale") or ""), names))
    except (JsonDocError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GroupServerError(f"the group server's realm list for {region} is not of the expected shape") from exc
    return found


@dataclass(frozen=True)
class Polled:
    """One poll: the state it left, whether it stored a new version, and whether its error is news (the
    first of a run of failures, or another error than before), so history is not written every minute."""

    state: RemoteState
    new_version: int | None = None
    news: bool = False


class RemoteGroups:
    """Polls through the daemon's one HTTP session; every stored thing goes through the database writer."""

    def __init__(self, db: DbWriter, session: Callable[[], Awaitable[aiohttp.ClientSession]], bus: EventBus, *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._db, self._session, self._bus, self._now = db, session, bus, now
        self._list_errors: dict[tuple[str, str], str] = {}  # said once, until it changes or goes

    async def pull(self, realms: Sequence[RealmKey], source: GroupSource) -> tuple[dict[str, Any], str | None]:
        """Poll the realms that are due. What failed is said once (history, an event) and shown for as
        long as it lasts: (the status part, the first error still standing)."""
        for realm in realms:
            if not await self.due(realm, source):
                continue
            polled = await self.poll(realm, source)
            if polled.state.error and polled.news:
                await self._failed(f"{realm}: {polled.state.error}")
            elif polled.news:
                await self._history(Kind.REFRESH, f"the group server answers again for {realm}")
            if polled.new_version is not None:
                self._bus.publish(EventType.GROUPS_GENERATED, {"realm": str(realm), "version": polled.new_version,
                                                               "from": source.url})
                await self._history(Kind.GROUPS, f"new groups for {realm} from the group server {source.url}: "
                                                 f"version {polled.new_version}")
        states = await self.states()
        errors = [states[str(r)].error for r in realms if str(r) in states and states[str(r)].error]
        return shown(states, list(realms), source), (f"group server: {errors[0]}" if errors else None)

    async def realm_lists(self, source: GroupSource, region: str, flavors: Iterable[str], max_age: float) -> bool:
        """Store the server's realm lists of the region that are missing or older than ``max_age``
        seconds; whether any was stored (a failure is said in history and left for the next round)."""
        stored = False
        for flavor in sorted(flavors):
            age = await self._db(realms_db.index_age, region, flavor)
            if age is not None and (self._now() - age).total_seconds() < max_age:
                continue
            try:
                found = await self.realm_index(source, region, flavor)
            except GroupServerError as exc:
                if self._list_errors.get((region, flavor)) != str(exc):
                    await self._failed(f"the {region} {flavor} realm list: {exc}")
                self._list_errors[(region, flavor)] = str(exc)
                continue
            self._list_errors.pop((region, flavor), None)
            await self._db(realms_db.save_realms, region, found, self._now(), flavor)
            stored = True
        return stored

    async def next_polls(self, realms: Sequence[RealmKey], source: GroupSource, now: datetime) -> list[datetime]:
        states = await self.states()
        return [next_poll(states.get(str(r)), source, now) for r in realms]

    async def _failed(self, message: str) -> None:
        await self._history(Kind.REFRESH_FAILED, f"group server: {message}")
        self._bus.publish(EventType.REFRESH_FAILED, {"group_server": True, "error": message})

    async def _history(self, kind: Kind, message: str) -> None:
        await self._db(history_db.record, kind, message, self._now(), None, None)

    async def state(self, realm: RealmKey) -> RemoteState | None:
        return await self._db(remote_db.remote_state, str(realm))

    async def due(self, realm: RealmKey, source: GroupSource) -> bool:
        return next_poll(await self.state(realm), source, self._now()) <= self._now()

    async def poll(self, realm: RealmKey, source: GroupSource) -> Polled:
        """Ask the server for the realm's GroupSet now (the caller decides when: ``due``)."""
        now = self._now()
        state = current(await self.state(realm), realm, source)
        have = await self._db(groups_db.groupset_head, groups_key(realm))
        url = f"{source.url}/api/v1/groups/{realm.connected_realm_id}?region={quote(realm.region)}" \
              f"&flavor={quote(str(realm.flavor))}"
        try:
            fetched = await groupclient.fetch(await self._session(), url, source.token,
                                              etag=state.etag if have else None, ca_file=source.ca_file)
            version = None
            if fetched.status == 200:
                assert fetched.body is not None
                groupset = parse_groupset(fetched.body, realm)
                version, new = await self._db(groups_db.store_groupset, groups_key(realm), groupset.content_hash(),
                                              groupset.to_json(), "[]", now)
                state = replace(state, etag=fetched.etag, version=version)
                version = version if new else None
        except (GroupServerError, GroupSetError) as exc:
            after = failed(state, exc, source, now)
            await self._db(remote_db.save_remote_state, after)
            return Polled(after, None, news=after.error != state.error)
        after = replace(state, last_checked=now, last_ok=now, failures=0, retry_at=None, error=None)
        await self._db(remote_db.save_remote_state, after)
        return Polled(after, version, news=state.error is not None)

    async def realm_index(self, source: GroupSource, region: str, flavor: str) -> list[RealmInfo]:
        """The server's realm list of a region (for realm inference without Blizzard credentials)."""
        url = f"{source.url}/api/v1/realms/{quote(region)}?flavor={quote(flavor)}"
        fetched = await groupclient.fetch(await self._session(), url, source.token, ca_file=source.ca_file)
        assert fetched.body is not None
        return parse_realms(fetched.body, region)

    async def states(self) -> dict[str, RemoteState]:
        return {s.realm: s for s in await self._db(remote_db.remote_states)}


def shown(states: dict[str, RemoteState], realms: list[RealmKey], source: GroupSource) -> dict[str, Any]:
    """The group server part of the daemon's status: where from, and each realm's last poll."""
    return {"url": source.url, "realms": [states[str(r)].as_json() if str(r) in states else
                                          {"realm": str(r), "version": None, "error": None, "last_checked": None}
                                          for r in realms]}

"""Group server mode's tokens and realms: giving tokens out (``tokens create``), listing and revoking them,
checking the one a request carries, counting what each does, and which realms the server refreshes for
its clients.

A token reads ``tsms_<id>_<secret>``: the id (8 hex digits) finds its row, the secret (43 URL-safe
characters, 256 random bits) is checked against the SHA-256 kept there with ``hmac.compare_digest``. A
slow password hash would buy nothing: the secret is random, not a word someone chose. The row is read on
every request, so a revoke (another process, the CLI) holds from the very next one.

Which realms: those the tokens were created with (``--realms``), then those clients asked for in the last
week, most recent first, up to the server's ``max_realms``; a realm its realm list does not know is never
taken (a client cannot make the server ask Blizzard for nonsense).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tsmsyncd.config import REGIONS, Settings
from tsmsyncd.db import realms as realms_db
from tsmsyncd.db import tokens as tokens_db
from tsmsyncd.db.tokens import TokenRecord, Usage
from tsmsyncd.errors import FieldError, InputError, NotFoundError
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.wow.flavor import Flavor

__all__ = ["Check", "TokenService", "choose_realms", "hash_secret", "new_token", "parse_rate", "parse_token",
           "realm_keys"]

PREFIX = "tsms_"
TOKEN = re.compile(r"tsms_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}")
REQUESTS_KEPT = timedelta(days=7)  # a realm nobody asked for in a week is no longer refreshed for them
_NOBODY = "0" * 64  # the hash an unknown token id is compared against
_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "hour": 3600.0, "d": 86400.0, "day": 86400.0}


def new_token() -> tuple[str, str, str]:
    """(the token to hand out, its id, the hash to keep)."""
    token_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    return f"{PREFIX}{token_id}_{secret}", token_id, hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_token(text: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed token, else None."""
    found = TOKEN.fullmatch(text)
    return (found.group(1), found.group(2)) if found else None


def parse_rate(text: str) -> tuple[float, int]:
    """``"N/unit"`` (s, min, h, day) → (requests per second, burst N): a token's own limit."""
    count, _, unit = text.strip().partition("/")
    try:
        number = int(count)
    except ValueError:
        number = 0
    seconds = _UNITS.get(unit.strip().lower() or "min")
    if not 1 <= number <= 100_000 or seconds is None:
        raise FieldError("rate", f"{text!r} is not a rate such as 60/min, 2/h or 5/s")
    return number / seconds, number


def realm_keys(values: Sequence[str | int], settings: Settings) -> list[str]:
    """Realms as the CLI takes them (``3678`` in the server's region, or ``eu/1305``, ``us/classic/4372``),
    as realm keys."""
    out = []
    for value in values:
        text = str(value).strip()
        try:
            key = RealmKey(settings.region, int(text)) if text.isdigit() else RealmKey.parse(text)
        except ValueError as exc:
            raise FieldError("realms", f"{text!r} is not a connected realm id (3678) or key (eu/1305)") from exc
        if not 0 < key.connected_realm_id < 2**31 or key.region not in REGIONS:
            raise FieldError("realms", f"{text!r} is not a connected realm id (3678) or key (eu/1305)")
        out.append(str(key))
    return list(dict.fromkeys(out))


def choose_realms(assigned: Sequence[str], requested: Sequence[str], cap: int,
                  known: Callable[[RealmKey], bool] = lambda key: True) -> tuple[list[RealmKey], list[RealmKey]]:
    """(refreshed, left out): the tokens' own realms first, then what clients asked for (newest first),
    each once, unknown realms dropped, at most ``cap``."""
    chosen: list[RealmKey] = []
    left: list[RealmKey] = []
    for text in dict.fromkeys([*assigned, *requested]):
        try:
            key = RealmKey.parse(text)
        except ValueError:
            continue
        if not known(key):
            continue
        (chosen if len(chosen) < cap else left).append(key)
    return chosen, left


@dataclass(frozen=True)
class Check:
    """A token checked: its record when it may pass, else the code and the reason to answer 401 with."""

    record: TokenRecord | None
    code: str = "unauthorized"
    reason: str = ""


class TokenService:
    """The server's tokens through the one database writer; usage is counted here and written in batches."""

    def __init__(self, db: DbWriter, settings: Callable[[], Settings],
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._db, self._settings, self._now = db, settings, now
        self._usage: dict[str, Usage] = {}

    async def create(self, name: str, realms: Sequence[str | int] = (), rate: str | None = None
                     ) -> tuple[str, TokenRecord]:
        """A new token: (the token, shown once and never again, its record)."""
        name = name.strip()
        if not NAME.fullmatch(name):
            raise FieldError("name", "must be 1 to 64 letters, digits, spaces or . _ @ - (starting with a letter "
                                     "or digit)")
        per_second, burst = parse_rate(rate) if rate else (None, None)
        token, token_id, digest = new_token()
        record = TokenRecord(token_id, name, digest, tuple(realm_keys(realms, self._settings())), per_second,
                             burst, self._now())
        if not await self._db(tokens_db.create_token, record):
            raise InputError(f"there is already a token named {name!r}: revoke it first "
                             f"(`tsmsyncd tokens revoke {name!r}`) or choose another name")
        return token, record

    async def all(self) -> list[TokenRecord]:
        return await self._db(tokens_db.tokens)

    async def revoke(self, name: str) -> TokenRecord:
        record = await self._db(tokens_db.revoke_token, name.strip(), self._now())
        if record is None:
            active = [t.name for t in await self.all() if t.active]
            raise NotFoundError(f"there is no active token named {name!r} (tokens: {', '.join(active) or 'none'})")
        return record

    async def check(self, text: str) -> Check:
        """Whether a request's token may pass, read from the database now (a revoke holds at once)."""
        parsed = parse_token(text.strip())
        if parsed is None:
            return Check(None, reason="this is not a tsmsyncd token (tsms_…); ask the server's admin for one")
        token_id, secret = parsed
        record = await self._db(tokens_db.find_token, token_id)
        expected = record.hash if record is not None else _NOBODY  # the same work whether the id exists or not
        if not hmac.compare_digest(hash_secret(secret), expected) or record is None:
            return Check(None, reason="this token is not one of this server's; ask its admin for one")
        if not record.active:
            return Check(None, "token_revoked", "this token was revoked by the server's admin; ask for a new one")
        return Check(record)

    def count(self, token_id: str, *, limited: bool = False, realm: RealmKey | None = None) -> None:
        """One request of a token (answered, or refused by its rate): counted in memory until ``flush``."""
        used = self._usage.setdefault(token_id, Usage())
        now = self._now()
        used.last_used = now
        if limited:
            used.limited += 1
            return
        used.requests += 1
        if realm is not None:
            used.saw(str(realm), now)

    async def flush(self) -> None:
        """Write the counts gathered since the last flush (one transaction)."""
        usage, self._usage = self._usage, {}
        if usage:
            await self._db(tokens_db.record_usage, usage)

    async def wanted_realms(self) -> tuple[list[RealmKey], list[RealmKey]]:
        """(refreshed for the clients, left out by the cap) — see the module's docstring. A realm counts
        as known unless a stored realm list of its region leaves it out."""
        assigned = await self._db(tokens_db.assigned_realms)
        requested = [realm for realm, _ in await self._db(tokens_db.requested_realms, self._now() - REQUESTS_KEPT)]
        listed: dict[RealmKey, bool] = {}
        for text in dict.fromkeys([*assigned, *requested]):
            try:
                key = RealmKey.parse(text)
            except ValueError:
                continue
            found = await self._db(realms_db.is_listed, key.region, key.connected_realm_id, str(key.flavor))
            listed[key] = found is not False
        return choose_realms(assigned, requested, self._settings().server.max_realms, lambda k: listed.get(k, False))


def regions_of(realms: Collection[RealmKey]) -> dict[tuple[str, str], set[int]]:
    """Realm keys grouped as the engine refreshes them: (region, flavor) → connected realm ids."""
    out: dict[tuple[str, str], set[int]] = {}
    for key in realms:
        out.setdefault((key.region, str(Flavor(key.flavor))), set()).add(key.connected_realm_id)
    return out

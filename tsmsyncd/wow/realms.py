"""Which connected realm a TSM profile trades on, inferred from its characters' realm names.

Owns matching the realm names the client writes (``_currentProfile``'s ``"Name - Realm"``, as shown in the
game: ``Area 52``, ``Kil'jaeden``, ``Azjol-Nerub``, ``伊莫塔尔``) against a region's realm index from
Blizzard's API, and resolving them to the one connected realm whose auction house they share (DESIGN.md
Targets; blizzard-api.md "Connected realm").

Each realm name is looked up in tiers, and the first tier that finds anything decides for that name:
the realm's name exactly; the name normalized (Unicode casefold, without spaces, apostrophes, hyphens and
dots); the slug (``area-52``); any of its localized names, exactly or normalized. Realms of one connected
realm count as one answer; characters on several connected realms, or one name that matches several, are
*ambiguous* (and say which); nothing found is *unknown*. Pure: data in, a small record out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["IndexedRealm", "RealmInference", "RealmMatch", "infer_realm", "normalize_realm_name"]

INFERRED, AMBIGUOUS, UNKNOWN = "inferred", "ambiguous", "unknown"
# Apostrophes and hyphens in every form keyboards and fonts produce, spaces, dots: what slugs leave out.
_IGNORED = re.compile(r"[\s'\u2018\u2019\u02bc`\u00b4\-\u2010\u2011\u2012\u2013\u2014\u2015.]+")


@dataclass(frozen=True)
class IndexedRealm:
    """One realm of a region's index. ``names[0]`` is the name shown to the player; the rest are its other
    localized names (Blizzard's API gives every locale's when no ``locale`` is asked for)."""

    connected_realm_id: int
    realm_id: int
    slug: str
    names: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.names[0] if self.names else self.slug


@dataclass(frozen=True)
class RealmMatch:
    """What one realm name of the characters matched, and how (``name``, ``normalized``, ``slug``,
    ``localized``); empty ``realms`` when it matched nothing."""

    realm: str
    how: str | None
    realms: tuple[IndexedRealm, ...]

    @property
    def connected_realm_ids(self) -> tuple[int, ...]:
        return tuple(sorted({r.connected_realm_id for r in self.realms}))

    def as_json(self) -> dict[str, object]:
        return {"realm": self.realm, "how": self.how, "connected_realm_ids": list(self.connected_realm_ids),
                "matched": [{"realm_id": r.realm_id, "name": r.name, "slug": r.slug} for r in self.realms]}


@dataclass(frozen=True)
class RealmInference:
    """The answer. ``connected_realm_id`` and ``name`` (its first matched realm's) are set only when
    ``status`` is ``inferred``; ``candidates`` are the connected realms to choose from when ambiguous;
    ``reason`` says it in a sentence fit for a player."""

    status: str
    connected_realm_id: int | None
    name: str | None
    candidates: tuple[int, ...]
    matches: tuple[RealmMatch, ...]
    reason: str

    @property
    def unmatched(self) -> tuple[str, ...]:
        return tuple(m.realm for m in self.matches if not m.realms)

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "inferred": self.status == INFERRED,
                "connected_realm_id": self.connected_realm_id, "name": self.name,
                "candidates": list(self.candidates), "unmatched": list(self.unmatched), "reason": self.reason,
                "matches": [m.as_json() for m in self.matches]}


def normalize_realm_name(text: str) -> str:
    """A realm name or slug as a key: NFKC, casefolded, without spaces, apostrophes, hyphens and dots."""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text).casefold())


def _tiers() -> list[tuple[str, Callable[[IndexedRealm], Iterable[str]], Callable[[str], str]]]:
    same = lambda s: s  # noqa: E731
    return [
        ("name", lambda r: r.names[:1], same),
        ("normalized", lambda r: r.names[:1], normalize_realm_name),
        ("slug", lambda r: (r.slug,), normalize_realm_name),
        ("localized", lambda r: r.names[1:], same),
        ("localized", lambda r: r.names[1:], normalize_realm_name),
    ]


def _match(names: list[str], index: list[IndexedRealm]) -> list[RealmMatch]:
    tiers = []
    for how, keys_of, key in _tiers():
        table: dict[str, dict[int, IndexedRealm]] = {}
        for realm in index:
            for text in keys_of(realm):
                if text:
                    table.setdefault(key(text), {})[realm.realm_id] = realm
        tiers.append((how, table, key))
    out = []
    for name in names:
        for how, table, key in tiers:
            found = table.get(key(name))
            if found:
                out.append(RealmMatch(name, how, tuple(found.values())))
                break
        else:
            out.append(RealmMatch(name, None, ()))
    return out


def infer_realm(realm_names: Iterable[str], index: Iterable[IndexedRealm]) -> RealmInference:
    """The connected realm that ``realm_names`` (a profile's characters' realms) share in ``index``."""
    names = [n for n in dict.fromkeys(n.strip() for n in realm_names) if n]
    matches = tuple(_match(names, list(index)))
    if not names:
        return RealmInference(UNKNOWN, None, None, (), (), "no character uses this profile yet, so its realm "
                              "cannot be told; choose one by hand")
    connected = sorted({cid for m in matches for cid in m.connected_realm_ids})
    missing = [m.realm for m in matches if not m.realms]
    if not connected:
        return RealmInference(UNKNOWN, None, None, (), matches,
                              f"{_names(missing)} {'is' if len(missing) == 1 else 'are'} not in this region's realm "
                              "list (another region, or China?); choose the realm by hand")
    if len(connected) > 1:
        return RealmInference(AMBIGUOUS, None, None, tuple(connected), matches, _ambiguous(matches, connected))
    shown = [r for m in matches for r in m.realms]
    first = shown[0]
    realms = list(dict.fromkeys(r.name for r in shown))
    if len(realms) == 1:
        reason = f"{realms[0]} is connected realm {first.connected_realm_id}"
    else:
        reason = f"{_names(realms)} share connected realm {first.connected_realm_id}"
    if missing:
        reason += f"; {_names(missing)} not found in the realm list"
    return RealmInference(INFERRED, first.connected_realm_id, first.name, (), matches, reason)


def _ambiguous(matches: tuple[RealmMatch, ...], connected: list[int]) -> str:
    split = [m for m in matches if len(m.connected_realm_ids) > 1]
    if split:
        m = split[0]
        where = ", ".join(f"{r.name} ({r.connected_realm_id})" for r in m.realms)
        return f"'{m.realm}' matches realms of {len(m.connected_realm_ids)} connected realms: {where}; " \
               "choose one by hand"
    parts = []
    for cid in connected:
        realms = dict.fromkeys(m.realm for m in matches if cid in m.connected_realm_ids)
        parts.append(f"{_names(list(realms))} ({cid})")
    return f"the characters play on {len(connected)} connected realms: {'; '.join(parts)}; choose one by hand"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

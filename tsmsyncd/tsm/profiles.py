"""Which TSM profiles an account's TradeSkillMaster.lua has, and which characters (on which realms) use each.

Owns reading that cheaply. A real file is up to 50 MB of accounting data, and all we need is two meta keys:
``_scopeKeys`` (the profiles, and every character TSM has seen) and ``_currentProfile`` (``"Character -
Realm"`` → profile; reference tsm-savedvariables.md §1-§2). So the scanner finds the top-level fields of
``TradeSkillMasterDB`` in the bytes, only the ``_``-prefixed ones are loaded, in a small Lua 5.1 sandbox,
and savedvars' own meta checks (the ones TSM runs before it would wipe the database, §3) judge them. What
the meta cannot give is refused with one line (SavedVariablesError).

The rest of the file is not read by Lua here: a merge still loads and checks the whole file before it
writes. Realm names are as the client shows them, spaces, apostrophes and non-ASCII included (``伊莫塔尔``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tsmsyncd.errors import SavedVariablesError
from tsmsyncd.tsm.luasandbox import LuaLimits, LuaSandbox, to_python
from tsmsyncd.tsm.luascan import LayoutError, scan_global_table
from tsmsyncd.tsm.savedvars import DB_NAME, _check_meta, load_chunk, read_bytes

__all__ = ["AccountProfiles", "Character", "ProfileUse", "parse_profiles", "read_profiles"]

SCOPE_KEY_SEP = " - "  # TSM's SCOPE_KEY_SEP: "Character - Realm"


def _text(value: str) -> str:
    # Strings from the file may carry surrogate escapes (bytes that are not UTF-8); JSON cannot.
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@dataclass(frozen=True, order=True)
class Character:
    """A character as TSM keys it: ``"Name - Realm"``. Character names hold no spaces, realms may."""

    name: str
    realm: str

    @classmethod
    def parse(cls, key: str) -> Character:
        name, sep, realm = key.partition(SCOPE_KEY_SEP)
        return cls(name, realm) if sep else cls(key, "")

    @property
    def key(self) -> str:
        return f"{self.name}{SCOPE_KEY_SEP}{self.realm}" if self.realm else self.name

    def as_json(self) -> dict[str, str]:
        return {"name": _text(self.name), "realm": _text(self.realm)}


@dataclass(frozen=True)
class ProfileUse:
    """A profile and the characters whose current profile it is. ``listed`` is False for a profile that
    ``_currentProfile`` names but ``_scopeKeys.profile`` does not list (TSM repairs that on its next load)."""

    profile: str
    characters: tuple[Character, ...]
    listed: bool = True

    @property
    def realms(self) -> tuple[str, ...]:
        """The realms of its characters, each once, in the characters' order."""
        return tuple(dict.fromkeys(c.realm for c in self.characters if c.realm))

    def as_json(self) -> dict[str, object]:
        return {"profile": _text(self.profile), "listed": self.listed, "realms": [_text(r) for r in self.realms],
                "characters": [c.as_json() for c in self.characters]}


@dataclass(frozen=True)
class AccountProfiles:
    """The profiles of one file, in ``_scopeKeys.profile`` order. ``unassigned`` are characters TSM has seen
    (``_scopeKeys.char``) with no ``_currentProfile`` entry."""

    name: str
    version: float
    profiles: tuple[ProfileUse, ...]
    unassigned: tuple[Character, ...] = ()

    def profile(self, name: str) -> ProfileUse | None:
        return next((p for p in self.profiles if p.profile == name), None)

    def as_json(self) -> dict[str, object]:
        return {"file": _text(self.name), "version": self.version, "profiles": [p.as_json() for p in self.profiles],
                "unassigned": [c.as_json() for c in self.unassigned]}


def read_profiles(path: Path, limits: LuaLimits | None = None) -> AccountProfiles:
    """The profiles of the TradeSkillMaster.lua at ``path``; SavedVariablesError with the reason otherwise."""
    return parse_profiles(read_bytes(path), path.name, limits)


def parse_profiles(data: bytes, name: str, limits: LuaLimits | None = None) -> AccountProfiles:
    """The profiles in a TradeSkillMaster.lua's bytes, from its meta keys alone."""
    if not data or data.isspace():
        raise SavedVariablesError(f"{name} is empty; TSM has not saved anything there yet")
    sandbox = LuaSandbox(limits)
    db = load_chunk(sandbox, _meta_chunk(data, name), name)[DB_NAME.encode()]  # type: ignore[index]
    meta = _check_meta(sandbox, db, name)
    scope_keys = to_python(db[b"_scopeKeys"])
    assert isinstance(scope_keys, dict)  # _check_meta made sure it is a table
    known = _string_list(scope_keys.get("char", {}))
    return _uses(name, meta.version, meta.profiles, meta.current_profiles, known)


def _meta_chunk(data: bytes, name: str) -> bytes:
    """``TradeSkillMasterDB = { <only the _-prefixed fields, as written> }``, in the file's own order (Lua
    keeps the last of a key written twice, and so does this chunk). The scanner is made for files Lua has
    loaded; on anything else it fails or finds nonsense, and Lua then refuses the chunk."""
    try:
        layout = scan_global_table(data, DB_NAME)
    except LayoutError as exc:
        if "found 0" in str(exc):
            raise SavedVariablesError(f"{name} is not TradeSkillMaster's file: it has no {DB_NAME} table") from exc
        raise SavedVariablesError(f"{name} cannot be read: {exc}") from exc
    meta = [f for f in layout.fields if isinstance(f.key, str) and f.key.startswith("_")]
    if not meta:
        raise SavedVariablesError(f"{name}: {DB_NAME} has no meta keys (_version, _scopeKeys…); this is not a TSM4 "
                                  "database")
    # Fields not keyed by a string (a real file has none) go along, so the array-part check sees what TSM sees.
    wanted = [f for f in layout.fields if not isinstance(f.key, str) or f.key.startswith("_")]
    eol = layout.eol
    parts = [DB_NAME.encode(), b" = {", eol]
    for f in wanted:
        parts += [data[f.start : f.value_end], b",", eol]
    return b"".join([*parts, b"}", eol])


def _string_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(value[i] for i in range(1, len(value) + 1) if isinstance(value.get(i), str))


def _uses(name: str, version: float, listed: tuple[str, ...], current: dict[str, str],
          known: tuple[str, ...]) -> AccountProfiles:
    """Group characters by profile: ``_scopeKeys.char`` order first, then any only ``_currentProfile`` names."""
    order = list(dict.fromkeys([*known, *sorted(current)]))
    by_profile: dict[str, list[Character]] = {p: [] for p in listed}
    unassigned = []
    for key in order:
        profile = current.get(key)
        if profile is None:
            unassigned.append(Character.parse(key))
        else:
            by_profile.setdefault(profile, []).append(Character.parse(key))
    uses = tuple(ProfileUse(p, tuple(chars), p in listed) for p, chars in by_profile.items())
    return AccountProfiles(name, version, uses, tuple(unassigned))


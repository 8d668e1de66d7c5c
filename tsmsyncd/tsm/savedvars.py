"""Read a TradeSkillMaster.lua and decide whether it is a TSM4 database we may touch.

A file is accepted only if real Lua 5.1 loads it in the sandbox, it defines a ``TradeSkillMasterDB`` table
whose meta keys pass the checks TSM itself runs before it would wipe the database (reference §3:
``_version`` ≥ 10, numeric ``_hash``, a well-formed ``_scopeKeys``, ``_currentProfile`` of string→string,
no array part), and its bytes can be laid out by the scanner so a later splice is exact. Everything else
is refused with one line that says what was wrong.

The result keeps the Lua state alive: the merge reads a few tables from it, and the verify step compares
the written file against it without parsing the original twice.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import lupa.lua51 as lua51

from tsmsyncd.errors import LuaLimitError, SavedVariablesError
from tsmsyncd.tsm.luasandbox import LuaLimits, LuaSandbox, SandboxError, to_python
from tsmsyncd.tsm.luascan import EntryLayout, Field, LayoutError, TableLayout, scan_entries, scan_global_table

__all__ = ["DB_NAME", "ParseJob", "Preview", "SavedVariables", "TsmMeta", "Unread", "parse_savedvars", "read_savedvars"]

T = TypeVar("T")

DB_NAME = "TradeSkillMasterDB"
GROUPS_SUFFIX = "@userData@groups"  # a profile's groups table: p@<profile>@userData@groups
MIN_VERSION = 10  # "first TSM4 version - combined all module settings into a single DB"
SCOPES = ("profile", "realm", "factionrealm", "char", "sync")
GLOBAL_OPERATIONS_KEY = "g@ @coreOptions@globalOperations"
SHARED_OPERATIONS_RENAMED_AT = 121
# schema 121 renamed global.userData.operations to sharedOperations: (new name, old name)
SHARED_OPERATIONS_KEYS = ("g@ @userData@sharedOperations", "g@ @userData@operations")


@dataclass(frozen=True)
class TsmMeta:
    """What the meta keys say. Read-only: meta keys are never written."""

    version: float
    hash: float
    profiles: tuple[str, ...]  # _scopeKeys.profile
    current_profiles: dict[str, str]  # character → profile (_currentProfile)
    global_operations: bool

    def used_profiles(self) -> tuple[str, ...]:
        """Profiles characters actually use; "Default" (or the only profile) for a file no one used yet."""
        used = sorted({p for p in self.current_profiles.values() if p in self.profiles})
        if used:
            return tuple(used)
        if "Default" in self.profiles:
            return ("Default",)
        return self.profiles if len(self.profiles) == 1 else ()


class Unread:
    """An entry a lazy read left in Lua. Whoever holds it passes it through as it is (compared by
    identity), so its bytes are kept; it can never be written out."""

    __slots__ = ("key",)

    def __init__(self, key: object) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"Unread({self.key!r})"


class _Tables:
    """Reading top-level keys of a loaded ``TradeSkillMasterDB`` (the full file's or the preview's)."""

    name: str
    meta: TsmMeta
    db: object

    def has(self, key: str) -> bool:
        return self.db[key.encode("utf-8", "surrogateescape")] is not None  # type: ignore[index]

    def value(self, key: str, only: Callable[[str], bool] | None = None) -> object:
        """The Python value of a top-level key, or None when absent. With ``only``, a table's entries whose
        string key ``only`` rejects are not converted: each stands as an ``Unread`` placeholder."""
        raw = self.db[key.encode("utf-8", "surrogateescape")]  # type: ignore[index]
        if raw is None:
            return None
        try:
            if only is None or lua51.lua_type(raw) != "table":
                return to_python(raw)
            out: dict[object, object] = {}
            for k in raw.keys():
                entry = to_python(k)
                if entry in out:
                    raise TypeError(f"the table has both {entry!r} and an equal key of another type")
                keep = not isinstance(entry, str) or only(entry)
                out[entry] = to_python(raw[k]) if keep else Unread(entry)
            return out
        except TypeError as exc:
            raise SavedVariablesError(f"{self.name}: {key} cannot be read: {exc}") from exc

    def shared_operations_key(self) -> str:
        """Where global operations live in this file's schema version."""
        if self.has(SHARED_OPERATIONS_KEYS[0]) or self.meta.version >= SHARED_OPERATIONS_RENAMED_AT:
            return SHARED_OPERATIONS_KEYS[0]
        return SHARED_OPERATIONS_KEYS[1]


@dataclass
class SavedVariables(_Tables):
    """A loaded TradeSkillMaster.lua: its bytes, their layout, the meta, and the live Lua tables."""

    name: str
    data: bytes
    layout: TableLayout
    meta: TsmMeta
    sandbox: LuaSandbox = field(repr=False)
    env: object = field(repr=False)  # the chunk's globals, a Lua table
    entries: dict[str, EntryLayout | None] = field(default_factory=dict, repr=False)  # see _merge_table_entries

    @property
    def db(self) -> object:  # type: ignore[override]
        return self.env[DB_NAME.encode()]  # type: ignore[index]


def read_savedvars(path: Path, limits: LuaLimits | None = None) -> SavedVariables:
    """Read and check ``path``. Raises SavedVariablesError (or LuaLimitError) with a one-line reason."""
    return parse_savedvars(read_bytes(path), path.name, limits)


def read_bytes(path: Path) -> bytes:
    """A file's bytes, or SavedVariablesError saying why they cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SavedVariablesError(f"cannot read {path}: {exc.strerror or exc}") from exc


def parse_savedvars(data: bytes, name: str, limits: LuaLimits | None = None) -> SavedVariables:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lua-load") as pool:
        return ParseJob(data, name, limits, pool).result()


class ParseJob:
    """A parse in flight. Lua loads the whole file on ``pool`` (lupa releases the GIL) while the calling
    thread scans the bytes for field spans, so both are ready at about the same time. ``preview()`` reads
    the meta and the merge tables from their own bytes alone, so a merge can plan before the full load is
    done; ``result()`` is the authority and Lua's verdict comes first: a file Lua refuses is refused for
    that reason, whatever the scanner or the preview made of it."""

    def __init__(self, data: bytes, name: str, limits: LuaLimits | None, pool: ThreadPoolExecutor) -> None:
        if not data or data.isspace():
            raise SavedVariablesError(f"{name} is empty; there is nothing of TSM's in it to merge into")
        self.data, self.name, self.limits = data, name, limits
        self.sandbox = LuaSandbox(limits)
        self._pool = pool
        self._result: SavedVariables | None = None
        self._lock = threading.Lock()
        self._previewed: Preview | None = None
        self._loading = pool.submit(load_chunk, self.sandbox, data, name)
        self.layout: TableLayout | None = None
        self.layout_error: LayoutError | None = None
        self.entries: dict[str, EntryLayout | None] = {}
        try:
            self.layout = scan_global_table(data, DB_NAME)
            self.entries = _merge_table_entries(data, self.layout)
        except LayoutError as exc:
            self.layout_error = exc

    def close(self) -> None:
        """Let go of the Lua states (the full load and the preview), once nothing needs them."""
        with self._lock:
            self.sandbox = self._result = self._previewed = None  # type: ignore[assignment]
            self._loading = None  # type: ignore[assignment]

    def preview(self, groups: Callable[[str], bool] | None = None) -> Preview | None:
        """The meta and merge tables read from their own bytes in a small sandbox, or None when that is
        not possible (no layout, a key written twice, anything odd): then wait for ``result()``.
        With ``groups``, a groups table written one entry per line is previewed in part: the entries
        ``groups`` accepts, and ``false`` in place of every other entry (the merge never reads those)."""
        self._previewed = self._preview(groups)
        return self._previewed

    def _preview(self, groups: Callable[[str], bool] | None) -> Preview | None:
        if self.layout is None:
            return None
        wanted = [f for f in self.layout.fields if isinstance(f.key, str) and _previewed(f.key)]
        keys = tuple(f.key for f in wanted if isinstance(f.key, str))  # all of wanted's, typed as str
        if len(set(keys)) != len(keys):
            return None  # a key written twice: only the full load knows which one Lua keeps
        eol = self.layout.eol
        partial = frozenset(k for k in keys if groups and k.endswith(GROUPS_SUFFIX) and self.entries.get(k))
        parts = [DB_NAME.encode(), b" = {", eol]
        for f in wanted:
            parts.append(self._partial(f, groups, eol) if f.key in partial else self.data[f.start : f.value_end])
            parts += [b",", eol]
        chunk = b"".join([*parts, b"}", eol])
        sandbox = LuaSandbox(self.limits)
        try:
            db = sandbox.load(chunk, self.name)[DB_NAME.encode()]  # type: ignore[index]
            meta = _check_meta(sandbox, db, self.name)
        except (SandboxError, SavedVariablesError):
            return None
        return Preview(self.name, meta, sandbox, db, chunk, keys, partial)

    def _partial(self, field: Field, keep: Callable[[str], bool] | None, eol: bytes) -> bytes:
        layout = self.entries[field.key]  # type: ignore[index]
        assert layout is not None and keep is not None
        data = self.data
        lines = [data[field.start : field.value_start], b"{", eol]
        for e in layout.entries:
            kept = not isinstance(e.key, str) or keep(e.key)
            lines.append(data[e.start : e.end] if kept else data[e.start : e.value_start] + b"false," + eol)
        lines.append(b"}")
        return b"".join(lines)

    def then(self, work: Callable[[SavedVariables], T]) -> Future[T]:
        """Run ``work`` on the full load's result on the Lua thread (after the load, before anything
        submitted later); a refused file makes the future raise the same error as ``result()``."""
        return self._pool.submit(lambda: work(self.result()))

    def result(self) -> SavedVariables:
        with self._lock:  # the Lua thread (``then``) and the caller may both ask
            if self._result is None:
                self._result = self._finish()
            return self._result

    def _finish(self) -> SavedVariables:
        env = self._loading.result()
        db = env[DB_NAME.encode()]  # type: ignore[index]
        if db is None or not _is_table(db):
            found = sorted(k.decode("utf-8", "replace") for k in env.keys() if isinstance(k, bytes))  # type: ignore[attr-defined]
            what = f"globals found: {', '.join(found[:5])}" if found else "it defines no globals"
            raise SavedVariablesError(
                f"{self.name} is not TradeSkillMaster's file: no {DB_NAME} table ({what}); is it another addon's file?"
            )
        meta = _check_meta(self.sandbox, db, self.name)
        if self.layout is None:
            raise SavedVariablesError(
                f"{self.name} is laid out in a way tsmsyncd cannot edit safely: {self.layout_error}"
            )
        return SavedVariables(self.name, self.data, self.layout, meta, self.sandbox, env, self.entries)


@dataclass
class Preview(_Tables):
    """The meta and the tables a merge reads, loaded from only their own bytes. Cheap, and trusted only
    once ``matches()`` has compared it with the full load inside Lua."""

    name: str
    meta: TsmMeta
    sandbox: LuaSandbox = field(repr=False)
    db: object = field(repr=False)
    chunk: bytes = field(repr=False)
    keys: tuple[str, ...]
    partial: frozenset[str] = frozenset()  # groups tables previewed in part (see ParseJob.preview)

    def matches(self, sv: SavedVariables, keys: Iterable[str]) -> bool:
        """Whether the full load agrees with this preview on the meta and on every key in ``keys``
        (a key absent from both agrees). The preview's text is loaded again in the full load's state so
        the comparison is Lua's own, table by table."""
        if sv.meta != self.meta:
            return False
        try:
            small = sv.sandbox.load(self.chunk, self.name)[DB_NAME.encode()]  # type: ignore[index]
        except SandboxError:
            return False
        raw: list[object] = [k.encode("utf-8", "surrogateescape") for k in {*keys, *self.keys}]
        partial = [k.encode("utf-8", "surrogateescape") for k in self.partial]
        return not sv.sandbox.differing_at(sv.db, small, raw, partial)


# The tables a merge edits: a profile's groups, items and operations, and the global operations.
_MERGE_TABLE = re.compile(
    r"^(?:p@[^@]+@userData@(?:groups|items|operations)|g@ @userData@(?:sharedOperations|operations))$"
)


def _previewed(key: str) -> bool:
    return key.startswith("_") or key == GLOBAL_OPERATIONS_KEY or _MERGE_TABLE.match(key) is not None


def _merge_table_entries(data: bytes, layout: TableLayout) -> dict[str, EntryLayout | None]:
    """Entry layouts of the tables a merge may edit, found ahead of time."""
    found: dict[str, EntryLayout | None] = {}
    for f in layout.fields:
        if isinstance(f.key, str) and _MERGE_TABLE.match(f.key) and data[f.value_start : f.value_start + 1] == b"{":
            found[f.key] = scan_entries(data, f.value_start, f.value_end - 1)
    return found


def load_chunk(sandbox: LuaSandbox, data: bytes, name: str) -> object:
    """Load bytes in the sandbox, turning sandbox failures into player-facing errors."""
    try:
        return sandbox.load(data, name)
    except SandboxError as exc:
        raise _translate(exc, name, len(data)) from exc


def _translate(exc: SandboxError, name: str, size: int) -> SavedVariablesError:
    if exc.kind == "bytecode":
        return SavedVariablesError(f"{name} is precompiled Lua bytecode, not a SavedVariables file")
    if exc.kind in ("instructions", "memory"):
        return LuaLimitError(f"{name} was refused: loading it needed {exc.detail}; a real TSM file never does")
    if exc.kind == "syntax":
        if size == 0 or "<eof>" in exc.detail:
            return SavedVariablesError(f"{name} ends too early (truncated or damaged?): {exc.detail}")
        return SavedVariablesError(f"{name} is not valid Lua 5.1: {exc.detail}")
    return SavedVariablesError(f"{name} runs code instead of only assigning data: {exc.detail}")


def _is_table(value: object) -> bool:
    kind: str | None = lua51.lua_type(value)
    return kind == "table"


def _check_meta(sandbox: LuaSandbox, db: object, name: str) -> TsmMeta:
    """The checks TSM's ``ValidateTable`` runs; failing any of them makes TSM wipe the whole database."""

    def bad(reason: str) -> SavedVariablesError:
        return SavedVariablesError(f"{name}: {reason}; refusing to touch it")

    if sandbox.array_length(db) > 0:
        raise bad(f"{DB_NAME} has an array part, which TSM treats as corrupt")

    def get(key: str) -> object:
        return to_python(db[key.encode()])  # type: ignore[index]  # db is a Lua table; lupa is untyped

    version = get("_version")
    if version is None:
        raise bad(f"{DB_NAME} has no _version; this is not a TSM4 database (TSM3 or another addon?)")
    if not isinstance(version, (int, float)) or isinstance(version, bool):
        raise bad(f"_version is {type(version).__name__}, not a number")
    if version < MIN_VERSION:
        raise bad(f"_version is {version}, older than TSM4 (10); this looks like a TSM3 file")
    hash_ = get("_hash")
    if not isinstance(hash_, (int, float)) or isinstance(hash_, bool):
        raise bad("_hash is missing or not a number")
    scope_keys = get("_scopeKeys")
    if not isinstance(scope_keys, dict):
        raise bad("_scopeKeys is missing or not a table")
    for scope, names in scope_keys.items():
        if scope not in SCOPES:
            raise bad(f"_scopeKeys has an unknown scope {scope!r}")
        if not _is_string_list(names):
            raise bad(f"_scopeKeys.{scope} is not a list of names")
    current = get("_currentProfile")
    if current is None:
        current = {}
    if not isinstance(current, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in current.items()):
        raise bad("_currentProfile is not a table of character → profile names")
    last_modified = get("_lastModifiedVersion")
    if last_modified is not None and not isinstance(last_modified, dict):
        raise bad("_lastModifiedVersion is not a table")
    profiles = scope_keys.get("profile", {})
    return TsmMeta(
        version=version,
        hash=hash_,
        profiles=tuple(profiles[i] for i in range(1, len(profiles) + 1)),
        current_profiles=current,
        global_operations=get(GLOBAL_OPERATIONS_KEY) is True,
    )


def _is_string_list(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    return set(value) == set(range(1, len(value) + 1)) and all(isinstance(v, str) for v in value.values())

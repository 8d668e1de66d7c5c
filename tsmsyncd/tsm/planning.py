"""Planning a merge for a target, from a file being parsed: which profiles, what changes, the spliced
bytes, and whether new bytes hold exactly the plan. Pure with respect to files (the caller reads and
writes); this is where the merge meets Lua, so the flows in ``sync/`` never touch lupa themselves.

``plan_target`` plans and splices from the preview while Lua still loads the whole file, and keeps that
work only if the full load then agrees with the preview (compared inside Lua); otherwise it plans again
from the full load. ``verify_bytes`` is the check of the written bytes before they may replace the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import lupa.lua51 as lua51

from tsmsyncd.errors import ProfileError, SavedVariablesError, TsmSyncError
from tsmsyncd.tsm.groupset import GroupSet
from tsmsyncd.tsm.luaformat import lua_shape, splice
from tsmsyncd.tsm.luasandbox import to_python
from tsmsyncd.tsm.luascan import EntryLayout
from tsmsyncd.tsm.merge import MergePlan, is_managed, plan_merge, profile_keys
from tsmsyncd.tsm.savedvars import (
    DB_NAME,
    GROUPS_SUFFIX,
    SHARED_OPERATIONS_KEYS,
    ParseJob,
    Preview,
    SavedVariables,
    TsmMeta,
    load_chunk,
)
from tsmsyncd.wow.flavor import Flavor

__all__ = ["infer_flavor", "plan_for", "plan_target", "select_profiles", "verify_bytes"]


def plan_target(
    job: ParseJob, groupset: GroupSet, profiles: Sequence[str], owned: frozenset[str], adopt: bool,
) -> tuple[SavedVariables, tuple[str, ...], MergePlan, bytes | None]:
    """Plan and splice from the preview while Lua still loads the whole file; keep that work only if
    the full load then agrees with the preview, else plan again from the full load. Either way every
    error about the file itself comes from the full load first."""
    early = None
    preview = job.preview(groups=lambda path: path == "" or is_managed(path, groupset.root))
    if preview is not None:
        try:
            chosen = select_profiles(preview.meta, profiles)
            # Lua compares the preview with the full load on its own thread while we plan and splice.
            agrees = job.then(lambda sv: preview.matches(sv, _keys_read(chosen)))
            plan = plan_for(preview, groupset, chosen, job.entries, owned=owned, adopt=adopt)
            early = (chosen, plan, None if plan.unchanged else _splice(job, plan))
        except TsmSyncError:
            early = None  # the full load decides what is wrong with the file
    sv = job.result()
    if early is not None and agrees.result():
        return sv, *early
    chosen = select_profiles(sv.meta, profiles)
    plan = plan_for(sv, groupset, chosen, job.entries, owned=owned, adopt=adopt)
    return sv, chosen, plan, None if plan.unchanged else _splice(job, plan)


def _splice(job: ParseJob, plan: MergePlan) -> bytes:
    assert job.layout is not None  # there is a plan, so there is a layout
    try:
        return splice(job.data, job.layout, plan.changes, plan.previous, job.entries)
    except (ValueError, TypeError) as exc:
        raise SavedVariablesError(f"{job.name}: {exc}; refusing to guess which one TSM uses") from exc


def _keys_read(profiles: Sequence[str]) -> list[str]:
    """Every top-level key ``plan_for`` reads (or checks for) for these profiles."""
    return [SHARED_OPERATIONS_KEYS[0], SHARED_OPERATIONS_KEYS[1], *(k for p in profiles for k in profile_keys(p))]


def plan_for(
    sv: SavedVariables | Preview, groupset: GroupSet, profiles: Sequence[str],
    entries: Mapping[str, EntryLayout | None] | None = None, *, owned: frozenset[str] = frozenset(),
    adopt: bool = False,
) -> MergePlan:
    """Read the tables the merge needs from a loaded file (or its preview) and plan. A groups table the
    splice can edit entry by entry (``entries``) is read lazily: the player's own groups stand as
    placeholders the plan passes through untouched, so they are neither converted nor rewritten."""
    shared_key = sv.shared_operations_key()
    keys = {shared_key} | {k for p in profiles for k in profile_keys(p)}
    read = lambda path: path == "" or is_managed(path, groupset.root)  # noqa: E731  # base group + ours
    current = {
        key: sv.value(key, only=read) if key.endswith(GROUPS_SUFFIX) and (entries or {}).get(key) else sv.value(key)
        for key in keys
    }
    return plan_merge(
        groupset,
        current,
        tuple(profiles),
        global_operations=sv.meta.global_operations,
        shared_operations_key=shared_key,
        flavor=infer_flavor(current.values()),
        owned=owned,
        adopt=adopt,
    )


def verify_bytes(sv: SavedVariables, new_data: bytes, plan: MergePlan) -> str | None:
    """None if Lua 5.1 reads ``new_data`` as the original with exactly the planned changes, else what is
    wrong (one phrase): every untouched global and top-level key equal to before (compared inside Lua),
    every changed key equal to the plan."""
    try:
        env = load_chunk(sv.sandbox, new_data, sv.name)
    except SavedVariablesError as exc:
        return f"Lua 5.1 cannot load it: {exc}"
    other_globals = sv.sandbox.differing(sv.env, env, frozenset({DB_NAME.encode()}))
    if other_globals:
        return f"global {other_globals[0]} changed"
    db = env[DB_NAME.encode()]  # type: ignore[index]
    changed = frozenset(k.encode("utf-8", "surrogateescape") for k in plan.changes)
    untouched = sv.sandbox.differing(sv.db, db, changed)
    if untouched:
        return f"untouched key {untouched[0]!r} changed"
    for key, value in plan.changes.items():
        if not _holds_plan(sv, db, key, value, plan.previous.get(key)):
            return f"{key} does not hold the planned value"
    return None


def _holds_plan(sv: SavedVariables, db: object, key: str, value: object, previous: object) -> bool:
    """Whether the new file's ``key`` equals ``value``. For a table that was edited entry by entry, the
    entries the plan kept are compared with the original inside Lua and only the changed entries are
    converted to Python: a 100,000-item table costs milliseconds, not a full conversion."""
    raw_key = _lua_key(key)
    new_table = db[raw_key]  # type: ignore[index]
    old_table = sv.db[raw_key]  # type: ignore[index]
    if not (isinstance(value, dict) and isinstance(previous, dict) and old_table is not None):
        return to_python(new_table) == lua_shape(value)
    if lua51.lua_type(new_table) != "table":
        return False
    # The plan keeps the very objects it read for entries it does not change, so `is` settles most.
    changed = {k for k, v in value.items() if k not in previous or (previous[k] is not v and previous[k] != v)}
    changed.update(k for k in previous if k not in value)
    lua_changed = frozenset(_lua_key(k) for k in changed)
    if sv.sandbox.differing(old_table, new_table, lua_changed, limit=1):
        return False
    return all(to_python(new_table[_lua_key(k)]) == lua_shape(value.get(k)) for k in changed)


def _lua_key(key: object) -> object:
    return key.encode("utf-8", "surrogateescape") if isinstance(key, str) else key


def select_profiles(meta: TsmMeta, requested: Sequence[str]) -> tuple[str, ...]:
    """The requested profiles (each must exist), or the profiles characters actually use."""
    if requested:
        missing = [p for p in requested if p not in meta.profiles]
        if missing:
            have = ", ".join(meta.profiles) or "none"
            raise ProfileError(f"profile '{missing[0]}' is not in this file (it has: {have})")
        return tuple(dict.fromkeys(requested))
    used = meta.used_profiles()
    if not used:
        raise ProfileError(f"no character uses a profile yet; pass --profile (profiles: {', '.join(meta.profiles)})")
    return used


def infer_flavor(tables: object) -> Flavor:
    """Which client wrote the file, judged by the fields its Auctioning operations carry (TSM adds
    ``blacklist`` on classic clients and stack fields where the auction house still has stacks)."""
    keys: set[str] = set()
    for table in tables:  # type: ignore[attr-defined]
        auctioning = table.get("Auctioning") if isinstance(table, dict) else None
        if isinstance(auctioning, dict):
            for op in auctioning.values():
                if isinstance(op, dict):
                    keys.update(k for k in op if isinstance(k, str))
    if "matchStackSize" in keys:
        return Flavor.CLASSIC_ERA
    if "blacklist" in keys:
        return Flavor.CLASSIC
    return Flavor.RETAIL

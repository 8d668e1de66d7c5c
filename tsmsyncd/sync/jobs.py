"""The daemon's heavy work, as jobs a short-lived worker process runs (``tsmsyncd _worker``).

A refresh (pandas, numpy, a 700k-row ingest), a generation, and a merge into a 50 MB file (hundreds of MB
of Lua states) would leave the resident daemon big: so each runs in its own process, which exits and gives
every byte back. A job takes a JSON payload and returns a JSON result; what must survive the daemon (an
apply, its history entry, the end of a pending plan) the job writes to the database itself, in one
transaction after the file was replaced, so a daemon killed meanwhile finds it done on restart.

Jobs: ``realms`` (the region's realm index), ``cycle`` (refresh a region's sources and generate the
GroupSets of the given realms), ``merge`` (plan or apply one target), ``undo`` (restore the backup taken
before a target's last apply).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tsmsyncd.db import groups as groups_db
from tsmsyncd.db import history as history_db
from tsmsyncd.db import targets as targets_db
from tsmsyncd.db.history import Kind
from tsmsyncd.errors import InputError, StateError, TsmSyncError
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.store.locks import FileLock, LockTimeout
from tsmsyncd.store.playerfile import identity
from tsmsyncd.sync.transitions import UNDONE
from tsmsyncd.tsm.groupset import GroupSet
from tsmsyncd.wow.flavor import Flavor
from tsmsyncd.wow.targets import State

if TYPE_CHECKING:
    from tsmsyncd.app import Services

__all__ = ["JOBS", "run_job"]

Progress = Callable[[dict[str, Any]], None]  # a line the daemon turns into a ``progress`` event
Job = Callable[["Services", Mapping[str, Any], Progress], Awaitable[dict[str, Any]]]


def _now() -> datetime:
    return datetime.now(UTC)


async def realms_job(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    refresher = await services.refresher()
    found = await refresher.realm_list(str(payload["region"]), str(payload.get("flavor", "retail")))
    return {"realms": len(found), "connected_realms": len({r.connected_realm_id for r in found})}


async def cycle_job(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Refresh the region's commodities and these realms, then generate each realm's GroupSet."""
    region = str(payload["region"])
    flavor = str(payload.get("flavor", "retail"))
    realms = [int(r) for r in payload.get("realms", [])]
    wanted = [int(n) for n in payload.get("generate", realms)]
    total = 2 + len(wanted)

    def step(done: int, text: str) -> None:
        progress({"task": "refresh", "region": region, "flavor": flavor, "step": text, "done": done, "total": total})

    step(0, f"fetching the newest snapshots of {len(realms)} realm(s) and the region's commodities")
    refresher = await services.refresher()
    outcomes = await refresher.refresh(region, realms, flavor=flavor,
                                       progress=lambda what, n, of: step(0, f"fetching {what}… ({n}/{of})"))
    step(1, "looking up the names of new items")
    named, failed = await refresher.fill_item_info(region, flavor=flavor)
    generated = {}
    for done, number in enumerate(wanted, 2):
        realm = RealmKey(region, number, Flavor.parse(flavor))
        step(done, f"making the groups of {realm}")
        try:
            stored = await services.groups.generate(realm, _now())
            generated[str(realm)] = {"version": stored.version, "new": stored.new,
                                     "hash": stored.generated.content_hash,
                                     "items": sum(len(g.items) for g in stored.generated.groupset.groups)}
        except InputError as exc:
            generated[str(realm)] = {"error": str(exc)}
    step(total, "done")
    return {"sources": [o.as_json() for o in outcomes], "item_info": {"fetched": named, "failed": failed},
            "groups": generated}


async def merge_job(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Plan (``apply`` false) or apply the newest GroupSet of the target's realm to the target (``groups``:
    where it is kept, the realm's own key or a group server's copy; the same merge and root guard either
    way)."""
    target_id, file, profile = str(payload["target_id"]), Path(payload["file"]), str(payload["profile"])
    realm = RealmKey.parse(str(payload["realm"]))
    stored = await services.db(groups_db.groupset_row, str(payload.get("groups") or realm))  # or a server's copy
    if stored is None:
        raise InputError(f"no groups have been generated for {realm} yet")
    version, doc, _, content_hash = stored
    groupset = GroupSet.from_json(doc)
    apply = bool(payload.get("apply"))
    progress({"task": "apply" if apply else "plan", "target": target_id, "step": "reading, planning"
              + (", backing up, writing and verifying" if apply else ""), "done": 0, "total": 1})
    lock = FileLock(services.home / "locks" / f"apply-{target_id}.lock", timeout=0)
    lock.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        lock.acquire(blocking=False)
    except LockTimeout as exc:
        raise StateError("another tsmsyncd process is applying to this file right now") from exc
    try:
        outcome = services.merger.merge(file, groupset, [profile], dry_run=not apply, plan_while_playing=True,
                                        adopt_root=bool(payload.get("adopt_root")))
        result = {**outcome.as_json(), "groupset_version": version, "groupset_hash": content_hash,
                  "file_identity": list(identity(file.stat()))}
        record = apply or (result["status"] == "unchanged" and payload.get("record", True))
        if record and result["status"] == "unchanged":  # an apply's check, or a plan that found nothing to do
            result["interrupted"] = await _interrupted_apply(services, target_id, file, content_hash)
        if record:
            await services.db(_record_apply, target_id, result)
        return result
    finally:
        lock.release()


async def _interrupted_apply(services: Services, target_id: str, file: Path,
                             content_hash: str) -> dict[str, Any] | None:
    """The file already holds groups that were still only planned: an apply replaced the file and was
    stopped (the daemon killed, the machine off) before it could record itself. Its before-merge backup —
    the newest one made since the plan — is what an undo must put back; never an older apply's."""
    pending = (await services.db(targets_db.pending)).get(target_id)
    target = (await services.db(targets_db.load_targets)).get(target_id)
    now_identity = list(identity(file.stat()))
    if pending is None or pending.groupset_hash != content_hash or list(pending.file_identity) == now_identity:
        return None  # no plan of these groups, or the file is still the one the plan (with changes) was made on
    if target is not None and (target.last_apply or {}).get("file_identity") == now_identity:
        return None  # that apply was recorded: only the end of its plan was lost
    made = [b for b in services.backups.backups_of(file)
            if b.reason == "before-merge" and datetime.fromisoformat(b.created) >= pending.planned_at]
    return {"backup": made[-1].as_json() if made else None, "planned_at": pending.planned_at.isoformat()}


def _record_apply(d: Any, target_id: str, result: dict[str, Any]) -> None:
    """After the replace (or a check that found the file already holding the groups): the target's last
    apply with the identity of the file that holds them, the end of its pending plan and a history entry,
    in the one writer's thread (each a transaction of its own; a kill between them only repeats a no-op).
    The identity lets the engine notice when something else wrote the file since (the game at logout, a
    restored backup) and check it again."""
    now = _now()
    interrupted = result.get("interrupted")
    applied = result["status"] == "applied" or interrupted is not None
    backup = (interrupted or {}).get("backup") if interrupted is not None else result.get("backup")
    previous = targets_db.load_targets(d).get(target_id)
    last = {"at": now.isoformat(timespec="seconds"), "status": "applied" if applied else result["status"],
            "backup_id": (backup or {}).get("id"), "groupset_version": result["groupset_version"],
            "groupset_hash": result["groupset_hash"], "report": result.get("report"),
            "file_identity": result["file_identity"]}
    if not applied and previous is not None and previous.last_apply:
        last = {**dict(previous.last_apply), "groupset_hash": result["groupset_hash"],
                "groupset_version": result["groupset_version"], "file_identity": result["file_identity"],
                "checked_at": now.isoformat(timespec="seconds")}
    changes: dict[str, Any] = {"state": State.APPLIED, "reason": "up to date" if not applied else None,
                               "last_apply": last}
    targets_db.update_target(d, target_id, now, **changes)
    targets_db.clear_pending(d, target_id)
    if applied:
        summary = _summary(result) if interrupted is None else (
            f"applied to {result['file']} by an apply that was stopped before it could say so (found when "
            f"tsmsyncd started again)" + ("" if backup else "; no before-merge backup of it was found"))
        history_db.record(d, Kind.APPLIED, summary, now, target_id, last)


def _summary(result: Mapping[str, Any]) -> str:
    report = result.get("report") or {}
    parts = []
    for p in report.get("profiles", []):
        parts.append(f"profile {p['profile']}: groups +{len(p['groups_added'])} -{len(p['groups_removed'])}, "
                     f"items +{len(p['items_added'])} -{len(p['items_removed'])}")
    return f"applied to {result['file']}: " + "; ".join(parts)


async def undo_job(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Restore a backup: the before-merge one of a target's last apply (``target_id``), or any the player
    picked (``restore``, from the backups page)."""
    outcome = services.restorer.restore(Path(payload["file"]), str(payload["backup_id"]))
    now = _now()
    target = payload.get("target_id")
    message = f"restored backup {payload['backup_id']} to {payload['file']}"
    await services.db(history_db.record, Kind.UNDONE if target else Kind.BACKUP, message, now,
                      str(target) if target else None, outcome.as_json())
    if target:
        await services.db(_record_undo, str(target), list(identity(Path(payload["file"]).stat())))
    return outcome.as_json()


def _record_undo(d: Any, target_id: str, file_identity: list[int]) -> None:
    """The undone groups stay out: the engine applies only newer ones (``sync/transitions.py``)."""
    now = _now()
    previous = targets_db.load_targets(d).get(target_id)
    last = dict(previous.last_apply or {}) if previous is not None else {}
    last.update({"undone_at": now.isoformat(timespec="seconds"), "file_identity": file_identity})
    targets_db.update_target(d, target_id, now, state=State.IDLE, last_apply=last, reason=UNDONE)
    targets_db.clear_pending(d, target_id)


JOBS: dict[str, Job] = {"realms": realms_job, "cycle": cycle_job, "merge": merge_job, "undo": undo_job,
                        "restore": undo_job}


def _quiet(data: dict[str, Any]) -> None:
    pass


async def dispatch(table: Mapping[str, Job], kind: str, services: Services, name: str,
                   payload: Mapping[str, Any], progress: Progress = _quiet) -> dict[str, Any]:
    """Run ``table[name]`` (a job, or a query of ``sync/queries.py``); a payload missing a key or of the
    wrong type is the caller's error, named, never a crash of the worker."""
    work = table.get(name)
    if work is None:
        raise InputError(f"there is no {kind} {name!r} ({kind}s: {', '.join(table)})")
    try:
        return await work(services, payload, progress)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, TsmSyncError):
            raise
        raise InputError(f"{kind} {name}: malformed payload ({type(exc).__name__}: {exc})") from exc


async def run_job(services: Services, name: str, payload: Mapping[str, Any],
                  progress: Progress = _quiet) -> dict[str, Any]:
    return await dispatch(JOBS, "job", services, name, payload, progress)

"""The web UI's questions that need pandas, answered in the long-lived query worker (``sync/runner.py``
``QueryWorker``; ``tsmsyncd _worker --serve``): group previews with the reason each item was placed,
rules (list, add, replace, remove, check as the player types), and the market pages (a realm's items, one
item's history, its raw hourly rows: ``db/market.py``'s metrics, the ones ``tsmsyncd market show/list`` print).

Each query takes the worker's services and a JSON payload and returns a JSON object. Realms travel as
``RealmKey`` text (``us/3678``, ``us/classic-era/12``). Rule writes go through this process's database
writer; the daemon sees them on its next read (SQLite WAL). Errors are ours, raised as they are; the
worker sends them back and the runner rebuilds them (a ``CriteriaError`` keeps its position).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tsmsyncd.db import items as items_db
from tsmsyncd.errors import CriteriaError, InputError, NotFoundError, RuleError, TsmSyncError
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.sync.jobs import dispatch

if TYPE_CHECKING:
    from tsmsyncd.app import Services
    from tsmsyncd.db.items import ItemInfo
    from tsmsyncd.db.market import DataStatus, ItemMarket
    from tsmsyncd.groups.rules import Rule
    from tsmsyncd.sync.groups import BrokenRule

__all__ = ["QUERIES", "run_query"]

Progress = Callable[[dict[str, Any]], None]
Query = Callable[["Services", Mapping[str, Any], Progress], Awaitable[dict[str, Any]]]


def _now() -> datetime:
    return datetime.now(UTC)


def _realm(payload: Mapping[str, Any]) -> RealmKey:
    try:
        return RealmKey.parse(str(payload["realm"]))
    except ValueError as exc:
        raise InputError(f"realm: {exc}") from exc


# -- groups --------------------------------------------------------------------------------------------


async def groups_preview(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """What the enabled rules make now, and why each item is where it is."""
    made, why = await services.groups.explained(_realm(payload), _now())
    items = sorted({i for g in made.groupset.groups for i in g.items})
    names = await _names(services, items)
    groups = []
    for group in made.groupset.groups:
        groups.append({"path": list(group.path), "operations": {m: list(o) for m, o in group.operations.items()},
                       "items": [{"item": i, "name": names.get(i), "why": why.get(i, {}).get("why", {})}
                                 for i in group.items]})
    return {"generated_at": made.groupset.generated_at, "root": made.groupset.root, "groups": groups,
            "report": made.as_json()}


async def groups_diff(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """What changed from the version before to ``version`` (default the newest): per group, items added
    and removed. With ``"against": "preview"``, what generating now would change against the newest."""
    from tsmsyncd.db import groups as groups_db
    from tsmsyncd.groups.generate import groupset_diff
    from tsmsyncd.tsm.groupset import GroupSet

    realm = _realm(payload)
    if payload.get("against") == "preview":
        version, changes = await services.groups.diff(realm, _now())
        return {"version": version, "previous": version, "against": "preview", "changes": changes}
    newest = await services.db(groups_db.groupset, realm, payload.get("version"))
    if newest is None:
        raise NotFoundError(f"no groups have been generated for {realm} yet")
    version = int(newest[0])
    before = await services.db(groups_db.groupset, realm, version - 1) if version > 1 else None
    old = GroupSet.from_json(before[1]) if before else None
    changes = groupset_diff(old, GroupSet.from_json(newest[1]))
    return {"version": version, "previous": version - 1 if before else None, "against": "previous",
            "changes": changes}


async def _names(services: Services, items: list[str]) -> dict[str, str]:
    return {k: v.name for k, v in (await _info(services, items)).items() if v.name}


# -- rules ---------------------------------------------------------------------------------------------


def _rule_json(row: Rule | BrokenRule, position: int) -> dict[str, Any]:
    from tsmsyncd.sync.groups import BrokenRule

    if isinstance(row, BrokenRule):
        return {"name": row.name, "position": position, "enabled": row.enabled, "broken": row.reason,
                "doc_text": row.doc}
    return {"name": row.name, "position": position, "enabled": row.enabled, "doc": row.to_dict()}


async def rules_list(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    from tsmsyncd.groups.rules import load_templates
    from tsmsyncd.sync.groups import BrokenRule

    rows = await services.groups.rule_rows(_now())
    shown = [_rule_json(r, i) for i, r in enumerate(rows, 1)]
    return {"rules": [r for r in shown if "doc" in r],
            "broken": [r for r, row in zip(shown, rows, strict=True) if isinstance(row, BrokenRule)],
            "templates": [t.to_dict() for t in load_templates()]}


async def _rule_at(services: Services, name: str) -> dict[str, Any]:
    rows = await services.groups.rule_rows(_now())
    for position, row in enumerate(rows, 1):
        if row.name.lower() == name.lower():
            return _rule_json(row, position)
    raise NotFoundError(f"there is no rule named {name!r}")


async def rules_add(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    from tsmsyncd.groups.rules import Rule

    rule = Rule.from_dict(payload.get("doc"), "rule")
    taken = [r.name for r in await services.groups.rule_rows(_now()) if r.name.lower() == rule.name.lower()]
    if taken:
        raise RuleError("name", f"a rule named {taken[0]!r} exists already: change it instead, or pick another name")
    await services.groups.add(rule.to_json(), "rule", _now())
    return await _rule_at(services, rule.name)


async def rules_replace(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """``doc`` replaces the rule (a new name renames it); ``enabled`` alone switches it; ``position`` moves it."""
    name = str(payload["name"])
    current = await _rule_at(services, name)
    doc = payload.get("doc")
    if doc is None:
        if "doc" not in current:
            raise RuleError("doc", "this rule is broken: send a whole new rule document to repair it")
        doc = dict(current["doc"])
    if not isinstance(doc, dict):
        raise RuleError("doc", "must be a rule object")
    if "enabled" in payload:
        if not isinstance(payload["enabled"], bool):
            raise RuleError("enabled", "must be true or false")
        doc = {**doc, "enabled": payload["enabled"]}
    position = payload.get("position")
    if position is not None and (type(position) is not int or position < 1):
        raise RuleError("position", "must be a whole number from 1 (the first rule)")
    rule = await services.groups.replace(name, doc, _now(), position)
    return await _rule_at(services, rule.name)


async def rules_remove(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    return {"removed": await services.groups.remove(str(payload["name"]))}


async def rules_check(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Whether a rule (``doc``) or one condition (``where``) reads, and where it does not: ``position`` is
    the 0-based offset in that field's text, for the editor's caret."""
    return check_rule(payload)


def check_rule(payload: Mapping[str, Any]) -> dict[str, Any]:
    from tsmsyncd.groups.criteria import parse_criteria
    from tsmsyncd.groups.rules import Rule

    try:
        if "where" in payload:
            parse_criteria(payload["where"])
        else:
            Rule.from_dict(payload.get("doc"), "rule")
    except CriteriaError as exc:
        return {"valid": False, "errors": [{"field": "where", "message": str(exc), "position": exc.position - 1}]}
    except TsmSyncError as exc:
        field = getattr(exc, "field", None)
        cause = exc.__cause__
        error: dict[str, Any] = {"field": field, "message": getattr(exc, "reason", str(exc))}
        if isinstance(cause, CriteriaError):
            error["position"] = cause.position - 1
        return {"valid": False, "errors": [error]}
    return {"valid": True, "errors": []}


async def groups_custom(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """A GroupConfig from the UI: stored as a rule (DESIGN "POST /groups/custom"), then the realm's preview."""
    rule = await rules_add(services, payload, progress)
    preview = await groups_preview(services, payload, progress) if payload.get("realm") else None
    return {"rule": rule, "preview": preview}


async def watch_check(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Check tracked items on their realms: one ``{"watch": row}`` progress line per (item, realm) as it is
    known, then the counts by status (``watch/checker.py``)."""
    from tsmsyncd.market.watchitem import parse_item

    docs = payload["items"]
    items = [parse_item({k: v for k, v in doc.items() if k not in ("id", "max_price_text")}) for doc in docs]
    items = [replace(i, id=int(doc["id"])) for i, doc in zip(items, docs, strict=True)]
    checker = await services.checker()
    counts = await checker.check(str(payload["region"]), items, lambda row: progress({"watch": row}))
    return {"counts": counts, "fetches": checker.fetches, "cached_bytes": checker.cache.nbytes}


# -- market --------------------------------------------------------------------------------------------

# A realm's records, kept by this long-lived process for the pages that follow (another sort, the next page):
# keyed by the data folder, the realm and each of its sources' snapshot count and newest Last-Modified, so any
# snapshot stored (by the daemon's refresh, in another process) makes a new key.
_REALM_ROWS: OrderedDict[tuple[str, ...], list[ItemMarket]] = OrderedDict()
_REALMS_KEPT = 2


async def _market_status(services: Services, realm: RealmKey) -> DataStatus:
    """What is stored for the realm; a realm Blizzard's index does not list (or, without an index, one with
    no data at all) is not found."""
    from tsmsyncd.db import market as market_db

    status = await services.db(market_db.data_status, realm)
    if status.listed is False or (status.listed is None and status.realm_snapshot is None
                                  and status.commodities_snapshot is None):
        raise NotFoundError(status.missing("any item"))
    return status


def _status_json(status: DataStatus) -> dict[str, Any]:
    nothing = status.realm_snapshot is None and status.commodities_snapshot is None
    return {"listed": status.listed,
            "realm_snapshot": status.realm_snapshot.isoformat() if status.realm_snapshot else None,
            "commodities_snapshot": status.commodities_snapshot.isoformat() if status.commodities_snapshot else None,
            "message": status.missing("any item") if nothing else None}


async def _realm_rows(services: Services, realm: RealmKey) -> list[ItemMarket]:
    from tsmsyncd.db import market as market_db
    from tsmsyncd.db import sources as sources_db

    states = [await services.db(sources_db.source_state, s) for s in realm.sources()]
    key = (str(services.home), str(realm), *(f"{s.snapshots}@{s.last_modified}" for s in states))
    if key not in _REALM_ROWS:
        _REALM_ROWS[key] = await services.db(market_db.realm_market, realm, _now())
        while len(_REALM_ROWS) > _REALMS_KEPT:
            _REALM_ROWS.popitem(last=False)
    _REALM_ROWS.move_to_end(key)
    return _REALM_ROWS[key]


async def _info(services: Services, items: list[str]) -> dict[str, ItemInfo]:
    ids = [int(i[2:]) for i in items if i.startswith("i:") and i[2:].isdigit()]
    info = await services.db(items_db.item_info, ids) if ids else {}
    return {f"i:{k}": v for k, v in info.items()}


def item_json(found: ItemMarket, info: ItemInfo | None) -> dict[str, Any]:
    """``market show --json``'s object (``ItemMarket.as_json``) with the item's quality and class beside it."""
    return {**found.as_json(info.name if info and info.name else None),
            "quality": info.quality if info else None, "item_class": info.item_class if info else None,
            "item_subclass": info.item_subclass if info else None}


async def market_list(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """A realm's items as ``market list`` gives them, found by ``q``, sorted by ``sort``, a page at a time."""
    from tsmsyncd.market.browse import browse

    realm = _realm(payload)
    status = await _market_status(services, realm)
    rows = await _realm_rows(services, realm)
    info = await _info(services, [m.item for m in rows])
    offset, limit = int(payload.get("offset", 0)), int(payload.get("limit", 100))
    total, shown = browse(rows, {k: v.name for k, v in info.items() if v.name}, q=payload.get("q"),
                          sort=str(payload.get("sort", "-sold_per_day")), offset=offset, limit=limit)
    return {"realm": str(realm), "status": _status_json(status), "total": total, "offset": offset, "limit": limit,
            "items": [item_json(m, info.get(m.item)) for m in shown]}


async def market_history(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """One item on one realm: its hourly rows (48 hours) and days (60), oldest first, and its metrics now."""
    from tsmsyncd.db import market as market_db
    from tsmsyncd.db import markethistory

    realm, item = _realm(payload), str(payload["item"])
    await _market_status(services, realm)
    found = await services.db(market_db.item_market, item, realm, _now())
    info = (await _info(services, [item])).get(item)
    source = found.source if found else await services.db(markethistory.listed_source, realm.sources(), item)
    hourly = await services.db(markethistory.hourly_rows, [source], item) if source else []
    daily = await services.db(markethistory.daily_rows, source, item) if source else []
    return {"item": item, "name": info.name if info else None, "realm": str(realm),
            "source": source.key if source else None,
            "hourly": [{k: v for k, v in r.as_json().items() if k not in ("item", "source")} for r in reversed(hourly)],
            "daily": [r.as_json() for r in daily], "market": item_json(found, info) if found else None,
            "value_14d": found.market_value_14d if found else None}


async def market_raw(services: Services, payload: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """An item's stored hourly rows on a realm's sources, newest first, ``limit`` a page (a page never splits
    one snapshot time: it may hold a row or two more), older than ``before``; ``next_before`` asks for more."""
    from tsmsyncd.db import markethistory

    realm, item, limit = _realm(payload), str(payload["item"]), int(payload.get("limit", 200))
    await _market_status(services, realm)
    sources = realm.sources()
    rows = await services.db(markethistory.hourly_rows, sources, item, before=payload.get("before"),
                             limit=limit + len(sources))
    page = rows[:limit]
    while page and len(page) < len(rows) and rows[len(page)].at == page[-1].at:
        page.append(rows[len(page)])
    return {"realm": str(realm), "item": item, "rows": [r.as_json() for r in page],
            "next_before": page[-1].at if len(rows) > len(page) else None}


QUERIES: dict[str, Query] = {
    "groups.preview": groups_preview, "groups.diff": groups_diff, "groups.custom": groups_custom,
    "rules.list": rules_list, "rules.add": rules_add, "rules.replace": rules_replace,
    "rules.remove": rules_remove, "rules.check": rules_check, "watch.check": watch_check,
    "market.list": market_list, "market.history": market_history, "market.raw": market_raw,
}


async def run_query(services: Services, name: str, payload: Mapping[str, Any],
                    progress: Progress | None = None) -> dict[str, Any]:
    return await dispatch(QUERIES, "query", services, name, payload, progress or (lambda _: None))

"""Which events become a desktop notification, and which do not: the policy, pure (events and a clock
in, notices out); delivering them is the tray's business.

    applied   groups were applied to a target: "+n −m items" for which profile (an apply that changed
              nothing says nothing)
    failed    an apply failed, and why
    refresh   market data has been failing to refresh for an hour: said once per failing stretch, never at
              every attempt; a good refresh of that region re-arms it
    watch     a watched item became available at or below its price (``watch.alert``)
    update    a newer signed release is out (``update.available``, which the updater sends once per version;
              ``update_check: false`` turns both off)

Players complain about notification spam (prior-art.md §1: WeakAuras Companion de-duplicates its
update notice), so the same notice (same kind, target or region, and what it says) is shown at most once
an hour, several applies that arrive together become one notice (``summarize``), and each kind can be
turned off in settings (``notify_applied``, ``notify_failed``, ``notify_refresh``, ``notify_watch``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tsmsyncd.config import Settings
from tsmsyncd.events import Event, EventType
from tsmsyncd.tsm.money import format_money

__all__ = ["Notice", "NoticeKind", "NoticePolicy", "summarize"]

REPEAT_AFTER = timedelta(hours=1)  # the same notice again only after this long
FAILING_FOR = timedelta(hours=1)  # how long refreshes must have been failing before the player is told


class NoticeKind(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    REFRESH = "refresh"
    WATCH = "watch"
    UPDATE = "update"


SETTING = {NoticeKind.APPLIED: "notify_applied", NoticeKind.FAILED: "notify_failed",
           NoticeKind.REFRESH: "notify_refresh", NoticeKind.WATCH: "notify_watch"}  # UPDATE: see the updater


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    title: str
    message: str
    key: str  # what makes two notices "the same" for de-duplication
    items: tuple[int, int] = (0, 0)  # applied: (added, removed), so notices can be folded together


class NoticePolicy:
    """Feed it every event in order; it answers the notices to show now. ``names`` maps a target id to
    the words for it ("ACC1 · Default (retail)")."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC), *,
                 repeat_after: timedelta = REPEAT_AFTER, failing_for: timedelta = FAILING_FOR) -> None:
        self._clock, self._repeat_after, self._failing_for = clock, repeat_after, failing_for
        self._shown: dict[str, datetime] = {}  # notice key -> when it was last shown
        self._failing_since: dict[str, datetime] = {}  # region -> the first failure of this stretch
        self._told: set[str] = set()  # regions whose failing stretch was told already
        self._once: set[str] = set()  # notices told for good (a release)

    def feed(self, event: Event, settings: Settings, names: Mapping[str, str] | None = None) -> list[Notice]:
        now = self._clock()
        notice = self._notice(event, dict(names or {}), now)
        if notice is None or not getattr(settings, SETTING.get(notice.kind, ""), True):
            return []
        last = self._shown.get(notice.key)
        if last is not None and now - last < self._repeat_after or notice.key in self._once:
            return []
        if notice.kind is NoticeKind.UPDATE:
            self._once.add(notice.key)  # a release is news once, however often it is announced
        self._shown[notice.key] = now
        self._shown = {k: t for k, t in self._shown.items() if now - t < self._repeat_after}
        return [notice]

    def _notice(self, event: Event, names: dict[str, str], now: datetime) -> Notice | None:
        data = event.data
        if event.type is EventType.APPLY_APPLIED:
            return _applied(data, names)
        if event.type is EventType.APPLY_FAILED:
            target = str(data.get("target", ""))
            error = _one_line(data.get("error") or "the apply failed")
            return Notice(NoticeKind.FAILED, "Could not apply groups",
                          f"{names.get(target, 'a profile')}: {error}", f"failed:{target}:{error}")
        if event.type is EventType.REFRESH_FINISHED:
            region = str(data.get("region", ""))
            self._failing_since.pop(region, None)
            self._told.discard(region)
            return None
        if event.type is EventType.REFRESH_FAILED or (
                event.type is EventType.JOB_FAILED and data.get("job") == "refresh"):
            return self._refresh_failed(data, now)
        if event.type is EventType.WATCH_ALERT:
            return _watch(data)
        if event.type is EventType.UPDATE_AVAILABLE and data.get("version"):
            return _update(data)
        return None

    def _refresh_failed(self, data: Mapping[str, Any], now: datetime) -> Notice | None:
        region = str(data.get("region", "")) or "*"
        since = self._failing_since.setdefault(region, now)
        if now - since < self._failing_for or region in self._told:
            return None
        self._told.add(region)
        where = f" ({region.upper()})" if region != "*" else ""
        hours = max(1, int((now - since).total_seconds() // 3600))
        return Notice(NoticeKind.REFRESH, f"Market data has not refreshed for {_hours(hours)}{where}",
                      f"{_refresh_error(data)}. tsmsyncd keeps the last good data and keeps trying.",
                      f"refresh:{region}")


def _hours(n: int) -> str:
    return "an hour" if n == 1 else f"{n} hours"


def _refresh_error(data: Mapping[str, Any]) -> str:
    if data.get("error"):
        return _one_line(data["error"])
    if data.get("problem"):
        return _one_line(f"the refresh job {data['problem']}")
    failed = [s for s in data.get("sources") or () if isinstance(s, Mapping) and s.get("status") == "error"]
    if failed:
        return _one_line(f"{failed[0].get('source', 'a source')}: {failed[0].get('error', 'failed')}")
    return "the refresh failed"


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    return len(value) if isinstance(value, Sequence | set) and not isinstance(value, str) else 0


def _changes(report: Any) -> tuple[int, int]:
    """Items added and removed over every profile of an apply's report."""
    profiles = (report or {}).get("profiles") or () if isinstance(report, Mapping) else ()
    added = sum(_count(p.get("items_added")) for p in profiles if isinstance(p, Mapping))
    removed = sum(_count(p.get("items_removed")) for p in profiles if isinstance(p, Mapping))
    return added, removed


def _applied(data: Mapping[str, Any], names: Mapping[str, str]) -> Notice | None:
    if data.get("status") != "applied":
        return None  # "unchanged": nothing to tell
    target = str(data.get("target", ""))
    added, removed = _changes(data.get("report"))
    backup = (data.get("backup") or {}).get("id", "") if isinstance(data.get("backup"), Mapping) else ""
    return Notice(NoticeKind.APPLIED, "Groups applied",
                  f"{names.get(target, 'a profile')}: +{added} −{removed} items", f"applied:{target}:{backup}",
                  (added, removed))


def _watch(data: Mapping[str, Any]) -> Notice:
    """The watchlist's alert (``watch/service.py``): its own sentence when it has one, else one made here."""
    item = str(data.get("name") or data.get("item") or "a watched item")
    price = data.get("cheapest", data.get("unit_price"))
    key = f"watch:{data.get('item')}:{data.get('realm')}:{price}"
    title = f"Watchlist: {item} is available"
    if isinstance(data.get("message"), str) and data["message"].strip():
        return Notice(NoticeKind.WATCH, title, _one_line(data["message"]), key)
    realm = data.get("realm_name") or data.get("realm")
    where = " on the region's commodity market" if realm in (0, "0") else f" on {realm}" if realm else ""
    limit = data.get("max_price")
    at = f" at {format_money(int(price))}" if isinstance(price, int | float) and not isinstance(price, bool) else ""
    under = f" (your limit {limit if isinstance(limit, str) else format_money(int(limit))})" \
        if isinstance(limit, str | int) and not isinstance(limit, bool) else ""
    return Notice(NoticeKind.WATCH, title, f"{item}{at}{where}{under}", key)


def _update(data: Mapping[str, Any]) -> Notice:
    version = str(data["version"])
    how = (data.get("apply") or {}).get("kind") if isinstance(data.get("apply"), Mapping) else None
    then = {"bundle": "Open tsmsyncd to install it, or run `tsmsyncd update apply`",
            "pip": "Update it with pip (`tsmsyncd update apply` prints the command)"}.get(
        str(how), "Download it from the release page (`tsmsyncd update apply` gives the link)")
    notes = _one_line(data.get("notes") or "", 120).rstrip(".")
    return Notice(NoticeKind.UPDATE, f"tsmsyncd {version} is available",
                  f"{notes + '. ' if notes else ''}{then}.", f"update:{version}")


def summarize(notices: Iterable[Notice]) -> list[Notice]:
    """Notices that arrived together, with three or more applies folded into one."""
    found = list(notices)
    applied = [n for n in found if n.kind is NoticeKind.APPLIED]
    if len(applied) < 3:
        return found
    added, removed = sum(n.items[0] for n in applied), sum(n.items[1] for n in applied)
    folded = Notice(NoticeKind.APPLIED, "Groups applied", f"{len(applied)} profiles: +{added} −{removed} items",
                    "applied:" + ",".join(n.key for n in applied), (added, removed))
    rest = [n for n in found if n.kind is not NoticeKind.APPLIED]
    return [folded, *rest]


def _one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"

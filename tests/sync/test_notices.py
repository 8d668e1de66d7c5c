"""The notification policy: real events from a real EventBus, a clock the test moves; which notices come
out, and above all which do not (no spam over an hour of failures)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tsmsyncd.config import Settings
from tsmsyncd.events import Event, EventBus, EventType
from tsmsyncd.sync.notices import Notice, NoticeKind, NoticePolicy, summarize

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NAMES = {"t1": "ACC1 · Default (retail)", "t2": "ACC2 · Alt (retail)"}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def policy(clock: Clock) -> NoticePolicy:
    return NoticePolicy(clock)


def event(kind: EventType, **data: Any) -> Event:
    return EventBus().publish(kind, data)


def applied(target: str = "t1", backup: str = "b1", added: int = 12, removed: int = 3) -> Event:
    report = {"profiles": [{"items_added": [f"i:{n}" for n in range(added)],
                            "items_removed": [f"i:{n}" for n in range(removed)]}]}
    return event(EventType.APPLY_APPLIED, target=target, status="applied", backup={"id": backup}, report=report)


def feed(policy: NoticePolicy, e: Event, settings: Settings | None = None) -> list[Notice]:
    return policy.feed(e, settings or Settings(), NAMES)


def test_applied_says_plus_and_minus_for_which_profile(policy: NoticePolicy) -> None:
    [notice] = feed(policy, applied())
    assert notice.kind is NoticeKind.APPLIED and notice.title == "Groups applied"
    assert notice.message == "ACC1 · Default (retail): +12 −3 items"


def test_the_same_apply_announced_twice_is_shown_once(policy: NoticePolicy) -> None:
    assert feed(policy, applied()) and not feed(policy, applied())  # a replay after a reconnect
    assert feed(policy, applied(backup="b2"))  # the next apply is news


def test_an_apply_that_changed_nothing_says_nothing(policy: NoticePolicy) -> None:
    assert feed(policy, event(EventType.APPLY_APPLIED, target="t1", status="unchanged")) == []


def test_apply_failed_says_why(policy: NoticePolicy) -> None:
    [notice] = feed(policy, event(EventType.APPLY_FAILED, target="t2", error="the file\nchanged while merging"))
    assert notice.kind is NoticeKind.FAILED and notice.title == "Could not apply groups"
    assert notice.message == "ACC2 · Alt (retail): the file changed while merging"


def test_the_same_failure_every_few_minutes_is_told_once_an_hour(policy: NoticePolicy, clock: Clock) -> None:
    shown = []
    for _ in range(24):  # two hours, every five minutes
        shown += feed(policy, event(EventType.APPLY_FAILED, target="t1", error="disk full"))
        clock.advance(minutes=5)
    assert [n.kind for n in shown] == [NoticeKind.FAILED, NoticeKind.FAILED]  # at 0:00 and 1:00
    assert feed(policy, event(EventType.APPLY_FAILED, target="t1", error="another reason"))  # news again


def test_a_refresh_failing_for_an_hour_is_told_once(policy: NoticePolicy, clock: Clock) -> None:
    """Blizzard down for two hours, tried every five minutes: one notice, after the first hour."""
    shown: list[tuple[timedelta, Notice]] = []
    for _ in range(25):
        for notice in feed(policy, event(EventType.REFRESH_FAILED, region="eu", error="Blizzard answered 503")):
            shown.append((clock.now - START, notice))
        clock.advance(minutes=5)
    assert len(shown) == 1
    when, notice = shown[0]
    assert when == timedelta(hours=1)
    assert notice.kind is NoticeKind.REFRESH and notice.title == "Market data has not refreshed for an hour (EU)"
    assert notice.message == "Blizzard answered 503. tsmsyncd keeps the last good data and keeps trying."


def test_a_good_refresh_rearms_the_refresh_notice(policy: NoticePolicy, clock: Clock) -> None:
    failed = event(EventType.REFRESH_FAILED, region="us", sources=[
        {"source": "us/commodities", "status": "error", "error": "timed out"}])
    feed(policy, failed)
    clock.advance(minutes=59)
    assert feed(policy, failed) == []  # not an hour yet
    feed(policy, event(EventType.REFRESH_FINISHED, region="us", sources=[]))
    clock.advance(hours=2)
    assert feed(policy, failed) == []  # a new stretch starts here
    clock.advance(hours=1, minutes=1)
    [notice] = feed(policy, failed)
    assert notice.message.startswith("us/commodities: timed out.")
    assert "for an hour" in notice.title


def test_regions_fail_and_recover_on_their_own(policy: NoticePolicy, clock: Clock) -> None:
    feed(policy, event(EventType.REFRESH_FAILED, region="us", error="x"))
    feed(policy, event(EventType.REFRESH_FAILED, region="eu", error="y"))
    clock.advance(hours=1)
    feed(policy, event(EventType.REFRESH_FINISHED, region="eu"))
    assert feed(policy, event(EventType.REFRESH_FAILED, region="eu", error="y")) == []
    assert [n.key for n in feed(policy, event(EventType.REFRESH_FAILED, region="us", error="x"))] == ["refresh:us"]


def test_a_missed_or_failed_refresh_job_counts_as_a_failing_refresh(policy: NoticePolicy, clock: Clock) -> None:
    job = event(EventType.JOB_FAILED, job="refresh", problem="timed out after 1800 s")
    feed(policy, job)
    clock.advance(hours=1)
    [notice] = feed(policy, job)
    assert notice.message.startswith("the refresh job timed out after 1800 s")
    assert feed(policy, event(EventType.JOB_FAILED, job="backups", problem="failed")) == []


def test_a_watchlist_hit(policy: NoticePolicy, clock: Clock) -> None:
    alert = event(EventType.WATCH_ALERT, item="i:190396", name="Serevite Ore", realm=3678, realm_name="Illidan",
                  cheapest=951234, max_price="120g")
    [notice] = feed(policy, alert)
    assert notice.kind is NoticeKind.WATCH and notice.title == "Watchlist: Serevite Ore is available"
    assert notice.message == "Serevite Ore at 95g12s34c on Illidan (your limit 120g)"
    assert feed(policy, alert) == []  # the same hit replayed
    clock.advance(hours=1, seconds=1)
    assert feed(policy, alert)


def test_the_watchlists_own_alert_is_told_in_its_words(policy: NoticePolicy) -> None:
    """The event as ``watch/service.py`` publishes it: its sentence says where (0 is the commodity market)."""
    message = "i:190396 is up for 95g12s34c on the region's commodity market (your price 120g)"
    alert = event(EventType.WATCH_ALERT, id=7, item="i:190396", realm=0, cheapest=951234, max_price=1200000,
                  covered=True, listings=[], message=message)
    [notice] = feed(policy, alert)
    assert (notice.title, notice.message) == ("Watchlist: i:190396 is available", message)
    [plain] = feed(policy, event(EventType.WATCH_ALERT, item="i:2", realm=0, cheapest=5, max_price=10))
    assert plain.message == "i:2 at 5c on the region's commodity market (your limit 10c)"


@pytest.mark.parametrize(("setting", "e"), [
    ("notify_applied", applied()),
    ("notify_failed", event(EventType.APPLY_FAILED, target="t1", error="x")),
    ("notify_watch", event(EventType.WATCH_ALERT, item="i:1", realm=1, cheapest=1, max_price=2)),
])
def test_each_kind_can_be_turned_off(policy: NoticePolicy, setting: str, e: Event) -> None:
    assert feed(policy, e, dataclasses.replace(Settings(), **{setting: False})) == []
    assert feed(policy, e) != []  # turned back on, it shows (it was not counted as shown)


def test_refresh_notices_can_be_turned_off_and_the_stretch_is_still_tracked(policy: NoticePolicy,
                                                                           clock: Clock) -> None:
    off = dataclasses.replace(Settings(), notify_refresh=False)
    failed = event(EventType.REFRESH_FAILED, region="us", error="x")
    feed(policy, failed, off)
    clock.advance(hours=1)
    assert feed(policy, failed, off) == []


def test_other_events_are_not_notifications(policy: NoticePolicy) -> None:
    for kind in (EventType.STATUS, EventType.PROGRESS, EventType.TARGET_STATE, EventType.GROUPS_GENERATED,
                 EventType.BACKUP_CREATED, EventType.WATCH_UPDATE, EventType.SETTINGS_CHANGED):
        assert feed(policy, event(kind, target="t1")) == []


def test_many_applies_at_once_become_one_notice(policy: NoticePolicy) -> None:
    notices = [n for i in range(4) for n in feed(policy, applied(f"t{i}", f"b{i}", added=i, removed=1))]
    failed = feed(policy, event(EventType.APPLY_FAILED, target="t9", error="x"))
    folded = summarize(notices + failed)
    assert [(n.kind, n.message) for n in folded] == [(NoticeKind.APPLIED, "4 profiles: +6 −4 items"),
                                                     (NoticeKind.FAILED, "a profile: x")]
    assert summarize(notices[:2]) == notices[:2]  # two are told one by one


def test_a_new_release_is_told_once_with_how_to_install_it(policy: NoticePolicy, clock: Clock) -> None:
    """``update.available`` as ``sync/updates.py`` publishes it (once per version; the policy keeps it once)."""
    offer = event(EventType.UPDATE_AVAILABLE, version="1.1.0", current="1.0.0", channel="stable",
                  notes="Rollback-safe updates.", apply={"kind": "bundle", "size": 1000})
    [notice] = feed(policy, offer)
    assert notice.kind is NoticeKind.UPDATE and notice.title == "tsmsyncd 1.1.0 is available"
    assert notice.message == "Rollback-safe updates. Open tsmsyncd to install it, or run `tsmsyncd update apply`."
    clock.advance(hours=5)
    assert feed(policy, offer) == []  # the same version: told once, however often it is announced
    [newer] = feed(policy, event(EventType.UPDATE_AVAILABLE, version="1.2.0", apply={"kind": "pip"}))
    assert newer.message == "Update it with pip (`tsmsyncd update apply` prints the command)."

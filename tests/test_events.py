"""The event bus: ids rise by one, catch-up with since=, and a slow subscriber is dropped, never waited for."""

from __future__ import annotations

import asyncio
import threading

from tsmsyncd.events import EventBus, EventType


async def test_ids_rise_by_one_and_subscribers_get_events_in_order() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    first = bus.publish(EventType.REFRESH_STARTED, {"realm": 4})
    second = bus.publish(EventType.REFRESH_FINISHED, {"realm": 4})
    assert (first.id, second.id) == (1, 2)
    got = [await sub.get(), await sub.get()]
    assert [e.type for e in got] == [EventType.REFRESH_STARTED, EventType.REFRESH_FINISHED]
    assert got[0].as_json()["type"] == "refresh.started" and got[0].as_json()["at"].endswith("Z")


async def test_since_replays_what_the_ring_holds_and_says_when_events_were_missed() -> None:
    bus = EventBus(buffer=5)
    for i in range(12):
        bus.publish(EventType.PROGRESS, {"i": i})
    events, missed = bus.since(9)
    assert [e.id for e in events] == [10, 11, 12] and not missed
    events, missed = bus.since(2)
    assert [e.id for e in events] == [8, 9, 10, 11, 12] and missed
    assert bus.since(12) == ([], False)


async def test_a_slow_subscriber_is_dropped_and_never_blocks_publishing() -> None:
    bus = EventBus(queue_size=3)
    slow = bus.subscribe()
    fast = bus.subscribe()
    for i in range(10):
        bus.publish(EventType.PROGRESS, {"i": i})
        if fast.queue.qsize():
            await fast.get()
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert slow.dropped and await slow.get() is None
    assert not fast.dropped and bus.subscribers == 1


async def test_other_threads_may_publish() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    thread = threading.Thread(target=lambda: bus.publish(EventType.TARGET_STATE, {"id": "x"}))
    thread.start()
    thread.join()
    event = await asyncio.wait_for(sub.get(), 5)
    assert event is not None and event.data == {"id": "x"}

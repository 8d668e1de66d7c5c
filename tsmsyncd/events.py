"""The event bus: typed events with increasing ids, a ring buffer for catch-up, and subscribers that can
never block the core (Syncthing's ``lib/events``, STYLE habit 11).

``publish`` is synchronous and cheap: it numbers the event, keeps it in the ring buffer and puts it on each
subscriber's bounded queue. A subscriber whose queue is full is dropped (it reconnects with ``since=`` and
replays from the buffer), so a slow WebSocket client never holds up a refresh or a merge. ``since(id)``
answers what the buffer still holds after ``id``, and whether events were missed.

Events that must not be lost (an apply, a failed job) are also written to the history table; the bus only
announces them. Publishing is thread-safe: the tray thread and worker threads may publish too.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = ["Event", "EventBus", "EventType", "Subscription"]


class EventType(StrEnum):
    STATUS = "status"
    REFRESH_STARTED = "refresh.started"
    REFRESH_FINISHED = "refresh.finished"
    REFRESH_FAILED = "refresh.failed"
    GROUPS_GENERATED = "groups.generated"
    TARGET_STATE = "target.state"
    APPLY_APPLIED = "apply.applied"
    APPLY_FAILED = "apply.failed"
    BACKUP_CREATED = "backup.created"
    BACKUP_RESTORED = "backup.restored"
    WATCH_ROWS = "watch.rows"
    WATCH_UPDATE = "watch.update"
    WATCH_ALERT = "watch.alert"
    SETTINGS_CHANGED = "settings.changed"
    JOB_FAILED = "job.failed"
    PROGRESS = "progress"
    UPDATE_AVAILABLE = "update.available"  # a newer signed release (once per version): the tray's notice
    UPDATE_FAILED = "update.failed"  # a check was refused (signature, downgrade, replay, server): why, and when again
    UPDATE_APPLIED = "update.applied"  # a new version is installed and starts next time


@dataclass(frozen=True)
class Event:
    id: int
    type: EventType
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        stamp = self.at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"id": self.id, "type": str(self.type), "at": stamp, "data": dict(self.data)}


class Subscription:
    """One listener's bounded queue. ``dropped`` turns true when it fell too far behind; it then gets
    nothing more and should reconnect with ``since=<last id it saw>``."""

    def __init__(self, bus: EventBus, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self._bus, self._loop = bus, loop
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=size)
        self.dropped = False
        self._wake = asyncio.Event()

    async def get(self) -> Event | None:
        """The next event, or None once this subscription was dropped or closed."""
        while not self.dropped:
            try:
                return self.queue.get_nowait()
            except asyncio.QueueEmpty:
                self._wake.clear()
                await self._wake.wait()
        return None

    def _offer(self, event: Event) -> None:  # on the subscriber's loop
        if self.dropped:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            self._bus.unsubscribe(self)
        self._wake.set()

    def close(self) -> None:
        self.dropped = True
        self._bus.unsubscribe(self)
        self._loop.call_soon_threadsafe(self._wake.set)


class EventBus:
    """Numbers, buffers and fans out events. ``buffer`` events are kept for ``since=`` catch-up."""

    def __init__(self, buffer: int = 1000, queue_size: int = 500, now: Any = None) -> None:
        self._ids = itertools.count(1)
        self._ring: deque[Event] = deque(maxlen=buffer)
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()
        self._queue_size = queue_size
        self._now = now or (lambda: datetime.now(UTC))
        self.last_id = 0

    def publish(self, type: EventType, data: Mapping[str, Any] | None = None) -> Event:
        with self._lock:
            event = Event(next(self._ids), EventType(type), self._now(), dict(data or {}))
            self._ring.append(event)
            self.last_id = event.id
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub._loop.call_soon_threadsafe(sub._offer, event)
            except RuntimeError:  # its loop is closed: it is gone
                self.unsubscribe(sub)
        return event

    def subscribe(self) -> Subscription:
        """A new listener on the running loop; events published from now on reach it."""
        sub = Subscription(self, asyncio.get_running_loop(), self._queue_size)
        with self._lock:
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def since(self, event_id: int) -> tuple[list[Event], bool]:
        """The buffered events after ``event_id`` and whether some were missed (older than the buffer)."""
        with self._lock:
            events = [e for e in self._ring if e.id > event_id]
            oldest = self._ring[0].id if self._ring else self.last_id + 1
        missed = event_id + 1 < oldest and event_id < self.last_id
        return events, missed

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

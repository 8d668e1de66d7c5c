"""``update.json`` in the data folder: what the update checks remember (``update/policy.py`` ``UpdateState``):
the highest version verified per channel, the versions the player was told about, the last good check and
the version rolled back from. Written atomically under a lock, since the daemon and a ``tsmsyncd update``
command may both change it; written only after a manifest verified, never for a refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tsmsyncd.jsondoc import JsonDocError, parse
from tsmsyncd.store.atomic import write_atomic
from tsmsyncd.store.locks import FileLock
from tsmsyncd.update.policy import UpdateState

__all__ = ["FILE", "change_state", "load_state"]

FILE = "update.json"


def load_state(home: Path) -> UpdateState:
    try:
        return UpdateState.from_json(parse((home / FILE).read_bytes()))
    except (OSError, JsonDocError):
        return UpdateState()


def change_state(home: Path, change: Callable[[UpdateState], UpdateState]) -> UpdateState:
    """Read, change and write the state under the lock; nothing is written when nothing changed."""
    (home / "locks").mkdir(parents=True, exist_ok=True)
    lock = FileLock(home / "locks" / "update.lock", timeout=10)
    lock.acquire()
    try:
        before = load_state(home)
        after = change(before)
        if after != before:
            write_atomic(home / FILE, json.dumps(after.as_json(), indent=1).encode() + b"\n", mode=0o644)
        return after
    finally:
        lock.release()

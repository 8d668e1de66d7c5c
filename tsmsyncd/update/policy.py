"""Which release to offer and when to look again: pure (versions, state and a clock in, a verdict out).

Rollback attacks: a release server (or whoever sits in front of it) could serve an old manifest that was
once validly signed, to hold the player on a version with a known hole or to walk them back to it. So a
verified manifest is refused when its version is below the installed one (a downgrade) or below the
highest version this install has verified on that channel before (a replay). The highest seen is kept
per channel in the data folder (``store/updatestate.py``); the installed version always counts as seen.
A version the player rolled back from is not offered again; the next newer one is.

When to check (the daemon's job ticks often and asks ``next_check``): a few minutes after start, then a
day after the last good check plus up to two hours of jitter (thousands of daemons, one release server);
after a failure 1 h, 2 h, 4 h ... up to a day, never sooner: a manifest that fails verification is never
fetched again in a tight loop.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from packaging.version import InvalidVersion, Version

from tsmsyncd.errors import UpdateError

__all__ = ["FIRST_CHECK", "Status", "UpdateState", "Verdict", "backoff", "judge", "next_check", "pip_command",
           "platform_key"]

FIRST_CHECK = timedelta(minutes=10)  # after the daemon starts: let the first refresh go first
DAILY = timedelta(days=1)
JITTER = timedelta(hours=2)
FIRST_BACKOFF = timedelta(hours=1)
MAX_BACKOFF = timedelta(days=1)
STATE_FORMAT = "tsmsyncd.update-state/1"
KEEP_NOTIFIED = 20


class Status(StrEnum):
    AVAILABLE = "available"
    UP_TO_DATE = "up_to_date"
    SKIPPED = "skipped"  # the version the player rolled back from
    NO_BUILD = "no_build"  # newer, but not for this platform yet


@dataclass(frozen=True)
class Verdict:
    status: Status
    message: str


@dataclass(frozen=True)
class UpdateState:
    """What an install remembers between checks (``update.json`` in the data folder)."""

    seen: Mapping[str, str] = field(default_factory=dict)  # channel -> highest version verified there
    notified: tuple[str, ...] = ()  # versions the player was told about, so each is told once
    last_success: datetime | None = None  # the last check that verified a manifest
    rolled_back_from: str | None = None

    def highest(self, channel: str, current: Version) -> Version:
        seen = _parse(self.seen.get(channel))
        return max(seen, current) if seen is not None else current

    def verified(self, channel: str, version: Version, current: Version, now: datetime) -> UpdateState:
        """After a manifest of ``version`` verified and was accepted."""
        seen = dict(self.seen)
        seen[channel] = str(max(version, self.highest(channel, current)))
        return replace(self, seen=seen, last_success=now)

    def told(self, version: Version) -> UpdateState:
        return replace(self, notified=(*[v for v in self.notified if v != str(version)], str(version))[-KEEP_NOTIFIED:])

    def as_json(self) -> dict[str, Any]:
        return {"format": STATE_FORMAT, "seen": dict(sorted(self.seen.items())), "notified": list(self.notified),
                "last_success": self.last_success.isoformat(timespec="seconds") if self.last_success else None,
                "rolled_back_from": self.rolled_back_from}

    @classmethod
    def from_json(cls, doc: object) -> UpdateState:
        """A stored state; anything unreadable in it is dropped field by field (the installed version stays
        the floor of what is accepted, so a damaged file weakens nothing below it)."""
        if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
            return cls()
        seen = doc.get("seen")
        seen = {str(k): str(v) for k, v in seen.items() if _parse(v) is not None} if isinstance(seen, dict) else {}
        notified = doc.get("notified")
        told = tuple(str(v) for v in notified if isinstance(v, str)) if isinstance(notified, list) else ()
        try:
            last = datetime.fromisoformat(str(doc["last_success"])) if doc.get("last_success") else None
        except ValueError:
            last = None
        back = doc.get("rolled_back_from")
        return cls(seen, told, last, str(back) if isinstance(back, str) and _parse(back) else None)


def _parse(text: object) -> Version | None:
    if not isinstance(text, str):
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def judge(version: Version, *, channel: str, current: Version, state: UpdateState, has_build: bool) -> Verdict:
    """What to make of a verified manifest offering ``version``; an ``UpdateError`` for a downgrade or a
    replayed older manifest."""
    if version < current:
        raise UpdateError("downgrade", f"the {channel} manifest offers {version}, older than the installed "
                                       f"{current}; downgrades are refused")
    highest = state.highest(channel, current)
    if version < highest:
        raise UpdateError("replay", f"the {channel} manifest offers {version}, but {highest} was seen there before "
                                    "(an older manifest served again); refused")
    if version == current:
        return Verdict(Status.UP_TO_DATE, f"tsmsyncd {current} is the newest {channel} version")
    if state.rolled_back_from is not None and version == Version(state.rolled_back_from):
        return Verdict(Status.SKIPPED, f"{version} was rolled back; a newer version will be offered")
    if not has_build:
        return Verdict(Status.NO_BUILD, f"tsmsyncd {version} has no build for this platform yet")
    return Verdict(Status.AVAILABLE, f"tsmsyncd {version} is available (installed: {current})")


def backoff(failures: int) -> timedelta:
    """How long to wait after ``failures`` failed checks in a row: 1 h, 2 h, 4 h ... at most a day."""
    if failures <= 0:
        return timedelta(0)
    doubled: timedelta = FIRST_BACKOFF * (2 ** min(failures - 1, 16))
    return min(doubled, MAX_BACKOFF)


def next_check(now: datetime, *, last_success: datetime | None, failures: int, jitter: float,
               started: bool = False) -> datetime:
    """When the daemon looks next. ``jitter`` is a random number in [0, 1); ``started`` is true for the
    first plan after the daemon starts (never sooner than ``FIRST_CHECK`` then)."""
    spread = JITTER * jitter
    if failures:
        return now + backoff(failures) + spread / 2
    earliest = now + FIRST_CHECK if started else now
    if last_success is None:
        return earliest + spread / 4 if started else now
    return max(last_success + DAILY, earliest) + spread


def platform_key(system: str, machine: str) -> str | None:
    """``linux-x86_64`` for (``sys.platform``, ``platform.machine()``); None for a platform without builds."""
    os_name = {"linux": "linux", "win32": "windows", "darwin": "macos"}.get(system)
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(machine.lower())
    return f"{os_name}-{arch}" if os_name and arch else None


def pip_command(executable: str, version: Version, prefix: str) -> list[str]:
    """The exact command that updates a pip (or pipx) install to ``version``."""
    if f"pipx{os.sep}venvs" in prefix or "pipx/venvs" in prefix:
        return ["pipx", "install", "--force", f"tsmsyncd=={version}"]
    return [executable, "-m", "pip", "install", "--upgrade", f"tsmsyncd=={version}"]

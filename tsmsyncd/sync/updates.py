"""The update flow (issue 18): check, apply, roll back.

check     fetch ``<update_url>/<channel>.json`` and its ``.sig`` → verify the Ed25519 signature against
          the program's release key → parse → refuse a downgrade or a replayed older manifest → remember
          the highest version seen → tell the player (``update.available``, once per version)
apply     the one-folder app: check again (the sha256 comes from a manifest verified now) → download with a
          size cap and timeouts → size + sha256 → unpack beside the running version (paths checked) → start
          the new program once with ``--version`` → point ``current`` at it (the next start runs it; the old
          one stays for one rollback). A pip install is told the exact pip command instead. Never while a
          merge or restore runs (the engine, or without a daemon the apply locks, say so).
rollback  point ``current`` back at the version before (``store/bundle.py``)
tick      the daemon's job: a check when one is due (``update/policy.py`` ``next_check``: daily with jitter,
          backing off after failures), only with ``update_check`` on

A refusal is reported (the one-line reason in ``status()``, an ``update.failed`` event, the log, the
history) and changes nothing on disk: the state file is written only after a manifest verified. The data
folder holds only ``update.json``; the installed folders are only ever added to, pointed at, or pruned.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import shlex
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from platform import machine
from typing import TYPE_CHECKING, Any, Protocol

from packaging.version import Version

from tsmsyncd import __version__
from tsmsyncd.config import Settings
from tsmsyncd.errors import BusyError, InputError, UpdateError
from tsmsyncd.events import EventBus, EventType
from tsmsyncd.store import bundle as bundles
from tsmsyncd.store.locks import FileLock, LockTimeout
from tsmsyncd.store.updatestate import change_state, load_state
from tsmsyncd.update.keys import RELEASE_KEYS
from tsmsyncd.update.policy import Status, Verdict, judge, next_check, pip_command, platform_key

if TYPE_CHECKING:
    import aiohttp

    from tsmsyncd.releases.client import Timeouts
    from tsmsyncd.update.manifest import Manifest

__all__ = ["Guard", "OfflineGuard", "UpdateService", "shown_command"]

log = logging.getLogger(__name__)
PLATFORM = platform_key(sys.platform, machine())
SMOKE_TIMEOUT = 120.0  # a one-folder app's first start unpacks nothing, but a cold disk is slow


class Guard(Protocol):
    """What an update asks before it installs: the engine (``sync/engine.py``) or ``OfflineGuard``."""

    def busy(self) -> str | None: ...

    def exclusive(self) -> AbstractAsyncContextManager[None]: ...


class OfflineGuard:
    """Without a daemon: a merge job of another process holds its ``locks/apply-*.lock``."""

    def __init__(self, home: Path) -> None:
        self._locks = home / "locks"

    def _held(self) -> list[FileLock]:
        taken: list[FileLock] = []
        for path in sorted(self._locks.glob("apply-*.lock")) if self._locks.is_dir() else []:
            lock = FileLock(path, timeout=0)
            try:
                lock.acquire(blocking=False)
            except LockTimeout as exc:
                for other in taken:
                    other.release()
                raise BusyError("a merge is running in another tsmsyncd process; try again when it has "
                                "finished") from exc
            taken.append(lock)
        return taken

    def busy(self) -> str | None:
        try:
            for lock in self._held():
                lock.release()
        except BusyError as exc:
            return str(exc)
        return None

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        taken = self._held()
        try:
            yield
        finally:
            for lock in taken:
                lock.release()


@dataclass(frozen=True)
class _Checked:
    manifest: Manifest
    verdict: Verdict
    at: datetime


def shown_command(command: Sequence[str]) -> str:
    """A command as the player would type it on this system."""
    return subprocess.list2cmdline(list(command)) if sys.platform == "win32" else shlex.join(command)


class UpdateService:
    """Update checks and installs for one data folder. ``keys`` are the trusted release keys: the
    program's own unless a test passes throwaway ones (``update/keys.py`` says why nothing else can)."""

    def __init__(self, home: Path, settings: Callable[[], Settings],
                 session: Callable[[], Awaitable[aiohttp.ClientSession]], bus: EventBus, *,
                 install: bundles.Install, guard: Guard | None = None, keys: Sequence[str] = RELEASE_KEYS,
                 current: str = __version__, platform: str | None = PLATFORM, timeouts: Timeouts | None = None,
                 history: Callable[[str], Awaitable[None]] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), jitter: Callable[[], float] = random.random,
                 executable: str = sys.executable, prefix: str = sys.prefix) -> None:
        self.home, self._settings, self._session, self._bus = home, settings, session, bus
        self.install, self._guard, self._keys = install, guard or OfflineGuard(home), tuple(keys)
        self.current, self._platform, self._timeouts = Version(current), platform, timeouts
        self._history, self._now, self._jitter = history, now, jitter
        self._executable, self._prefix = executable, prefix
        self._lock = asyncio.Lock()
        self._checked: _Checked | None = None
        self._error: UpdateError | None = None
        self._failures = 0
        self._attempted: datetime | None = None
        self.due: datetime | None = None  # the next scheduled check

    @property
    def enabled(self) -> bool:
        """Whether the daemon checks on its own (``update_check``; by default only the one-folder app)."""
        chosen = self._settings().update_check
        return chosen if chosen is not None else self.install.kind == "bundle"

    # -- check ----------------------------------------------------------------------------------------

    async def check(self) -> dict[str, Any]:
        """Check now; the status, or an ``UpdateError`` saying why the release server's answer was refused."""
        async with self._lock:
            await self._check()
            return self.status()

    async def _check(self) -> _Checked:
        from tsmsyncd.releases.client import ReleaseClient, Timeouts
        from tsmsyncd.update.manifest import verified_manifest

        settings, now = self._settings(), self._now()
        channel = settings.update_channel
        self._attempted = now
        try:
            client = ReleaseClient(await self._session(), settings.update_url, self._timeouts or Timeouts())
            data, signature = await client.manifest(channel)
            manifest = verified_manifest(data, signature, channel, self._keys)
            bundle_build = self.install.kind == "pip" or (self._platform is not None
                                                          and manifest.artifact(self._platform) is not None)
            verdict = judge(manifest.version, channel=channel, current=self.current, state=load_state(self.home),
                            has_build=bundle_build)
        except UpdateError as exc:
            await self._failed(exc, now)
            raise
        self._failures, self._error = 0, None
        state = change_state(self.home, lambda s: s.verified(channel, manifest.version, self.current, now))
        self._checked = _Checked(manifest, verdict, now)
        self.due = next_check(now, last_success=now, failures=0, jitter=self._jitter())
        if verdict.status is Status.AVAILABLE and str(manifest.version) not in state.notified:
            change_state(self.home, lambda s: s.told(manifest.version))
            self._bus.publish(EventType.UPDATE_AVAILABLE, self._offer_json(manifest))
            await self._record(f"tsmsyncd {manifest.version} is available (installed: {self.current})")
        return self._checked

    async def _failed(self, exc: UpdateError, now: datetime) -> None:
        self._failures += 1
        self._error = exc
        last = self._checked.at if self._checked else load_state(self.home).last_success
        self.due = next_check(now, last_success=last, failures=self._failures, jitter=self._jitter())
        log.warning("update check refused (%s): %s", exc.reason, exc)
        self._bus.publish(EventType.UPDATE_FAILED, {"reason": exc.reason, "message": str(exc),
                                                    "retry_at": _stamp(self.due)})
        await self._record(f"update check refused: {exc}")

    async def tick(self) -> None:
        """The daemon's job: check when due and when turned on; a refusal is reported, not raised."""
        if not self.enabled:
            return
        now = self._now()
        if self.due is None:
            self.due = next_check(now, last_success=load_state(self.home).last_success, failures=0,
                                  jitter=self._jitter(), started=True)
        if now < self.due:
            return
        try:
            await self.check()
        except UpdateError:
            pass  # reported in _failed; the next try waits out the backoff

    # -- what the player sees -------------------------------------------------------------------------

    def _offer_json(self, manifest: Manifest) -> dict[str, Any]:
        return {"version": str(manifest.version), "current": str(self.current), "channel": manifest.channel,
                "date": _stamp(manifest.date), "notes": manifest.notes, "apply": self._apply_hint(manifest)}

    def _apply_hint(self, manifest: Manifest) -> dict[str, Any]:
        artifact = manifest.artifact(self._platform) if self._platform else None
        if self.install.kind == "pip":
            command = pip_command(self._executable, manifest.version, self._prefix)
            return {"kind": "pip", "command": shown_command(command)}
        if self.install.kind == "bundle" and artifact is not None:
            return {"kind": "bundle", "size": artifact.size}
        return {"kind": "download", "url": artifact.url if artifact else None}

    def status(self) -> dict[str, Any]:
        """``GET /api/v1/update`` and ``tsmsyncd update check --json``."""
        settings, bundle = self._settings(), self.install.bundle
        checked, staged = self._checked, bundle.staged if bundle else None
        available = checked is not None and checked.verdict.status is Status.AVAILABLE
        if staged is not None:
            state, message = "staged", f"tsmsyncd {staged} is installed and starts next time"
        elif self._error is not None:
            state, message = "failed", str(self._error)
        elif checked is not None:
            state, message = str(checked.verdict.status), checked.verdict.message
        else:
            state, message = "unknown", "not checked yet"
        return {"current": str(self.current), "install": self.install.kind, "channel": settings.update_channel,
                "url": settings.update_url, "automatic": self.enabled, "state": state, "message": message,
                "available": self._offer_json(checked.manifest) if available and checked else None,
                "checked_at": _stamp(checked.at) if checked else None, "next_check": _stamp(self.due),
                "error": {"reason": self._error.reason, "message": str(self._error)} if self._error else None,
                "staged": staged, "rollback": bundle.previous() if bundle else None}

    # -- apply and roll back --------------------------------------------------------------------------

    async def apply(self) -> dict[str, Any]:
        """Install the newest version (one-folder app), or say the pip command; see the module's doc."""
        async with self._lock:
            checked = await self._check()
            manifest, verdict = checked.manifest, checked.verdict
            if verdict.status is not Status.AVAILABLE:
                raise InputError(f"nothing to install: {verdict.message}")
            hint = self._apply_hint(manifest)
            if hint["kind"] == "pip":
                return {"status": "manual", "version": str(manifest.version), "command": hint["command"],
                        "message": f"tsmsyncd was installed with pip; update it with: {hint['command']}"}
            bundle = self.install.bundle
            if bundle is None or self._platform is None:
                where = f" from {hint['url']}" if hint.get("url") else ""
                raise InputError(f"this copy of tsmsyncd was not installed for updates; download {manifest.version}"
                                 f"{where} and install it")
            reason = self._guard.busy()
            if reason is not None:
                raise BusyError(f"the update waits: {reason}; try again when it has finished")
            try:
                previous = await self._install(bundle, manifest)
            except UpdateError as exc:
                self._error = exc
                log.warning("installing tsmsyncd %s refused (%s): %s", manifest.version, exc.reason, exc)
                self._bus.publish(EventType.UPDATE_FAILED, {"reason": exc.reason, "message": str(exc),
                                                            "version": str(manifest.version), "retry_at": None})
                await self._record(f"installing tsmsyncd {manifest.version} refused: {exc}")
                raise
        message = f"tsmsyncd {manifest.version} is installed; restart tsmsyncd to use it ({previous} stays for " \
                  "`tsmsyncd update rollback`)"
        self._bus.publish(EventType.UPDATE_APPLIED, {"version": str(manifest.version), "previous": previous,
                                                     "restart": True, "message": message})
        await self._record(message)
        return {"status": "installed", "version": str(manifest.version), "previous": previous, "restart": True,
                "message": message}

    async def _install(self, bundle: bundles.Bundle, manifest: Manifest) -> str | None:
        from tsmsyncd.releases.client import ReleaseClient, Timeouts
        from tsmsyncd.store.unpack import unpack

        assert self._platform is not None
        artifact = manifest.artifact(self._platform)
        assert artifact is not None
        name = str(manifest.version)
        if bundle.current() == name:
            raise UpdateError("installed", f"tsmsyncd {name} is installed already; restart tsmsyncd to use it")
        client = ReleaseClient(await self._session(), self._settings().update_url, self._timeouts or Timeouts())
        folder = bundles.staging(bundle)
        try:
            archive = folder / f"release.{artifact.format}"
            await client.download(artifact, archive, self._progress(name))
            unpacked = await asyncio.to_thread(unpack, archive, artifact.format, folder / "unpacked")
            await _smoke(unpacked, manifest.version, folder)
            async with self._guard.exclusive():  # no merge starts while the switch is made
                previous = await asyncio.to_thread(bundles.install, bundle, unpacked, name)
        except OSError as exc:
            raise UpdateError("disk", f"the update could not be written to {bundle.versions} "
                                      f"({exc.strerror or exc}); nothing was changed") from exc
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)
        await asyncio.to_thread(bundles.prune, bundle, [self.home])
        return previous

    def _progress(self, version: str) -> Callable[[int, int], None]:
        told = [-1]

        def tell(done: int, total: int) -> None:
            step = done * 20 // max(total, 1)  # every 5 %
            if step != told[0]:
                told[0] = step
                self._bus.publish(EventType.PROGRESS, {"task": "update", "step": f"downloading tsmsyncd {version}",
                                                       "done": done, "total": total})
        return tell

    def rollback(self) -> dict[str, Any]:
        """Start the version before the last update from the next start on (once)."""
        bundle = self.install.bundle
        if bundle is None:
            raise InputError("rollback is for the one-folder app; a pip install goes back with pip "
                             "(pip install tsmsyncd==<version>)")
        was, back = bundles.rollback(bundle)
        change_state(self.home, lambda s: replace(s, rolled_back_from=was))
        return {"status": "rolled_back", "from": was, "to": back, "restart": True,
                "message": f"tsmsyncd {back} starts next time (rolled back from {was}); {was} is not offered again"}

    async def _record(self, message: str) -> None:
        if self._history is not None:
            try:
                await self._history(message)
            except Exception:  # the history is a report; a full disk there must not fail an update
                log.exception("recording an update in the history failed")


async def _smoke(folder: Path, version: Version, scratch: Path) -> None:
    """Start the unpacked program once with ``--version`` (it must say ``tsmsyncd <version>``) before
    anything points at it; with an empty data folder of its own, so it cannot touch the player's."""
    program = next((folder / n for n in bundles.PROGRAMS if (folder / n).is_file()), None)
    if program is None:
        raise UpdateError("archive", "the unpacked release has no tsmsyncd program; refused")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "TSMSYNCD_WOW_ROOTS")}
    env["TSMSYNCD_HOME"] = str(scratch / "home")
    try:
        proc = await asyncio.create_subprocess_exec(str(program), "--version", stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                    env=env)
        out, err = await asyncio.wait_for(proc.communicate(), SMOKE_TIMEOUT)
    except TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise UpdateError("broken_release", f"the new version did not start within {SMOKE_TIMEOUT:.0f} s; "
                                            "nothing was changed") from exc
    except OSError as exc:
        raise UpdateError("broken_release", f"the new version cannot be started ({exc.strerror or exc}); nothing "
                                            "was changed") from exc
    said = out.decode("utf-8", "replace").split()
    try:
        started = proc.returncode == 0 and said[:1] == ["tsmsyncd"] and Version(said[1]) == version
    except (IndexError, ValueError):
        started = False
    if not started:
        tail = " ".join((out + err).decode("utf-8", "replace").split())[-200:]
        raise UpdateError("broken_release", f"the new version does not start as tsmsyncd {version} "
                                            f"(it said: {tail or 'nothing'}); nothing was changed")


def _stamp(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

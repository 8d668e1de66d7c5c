"""Running a job in a short-lived worker process and getting its result back (``sync/jobs.py`` says why).

``WorkerRunner.run(job, payload)`` starts ``tsmsyncd _worker`` (the same interpreter, or the frozen app
itself), writes the request on its stdin, reads the one JSON line it answers, and turns a failure back into
the error it was: a ``GameRunningError`` stays one, so the engine can make the plan wait. A worker that
runs past its timeout is killed; that is safe even during a merge, whose replace is atomic.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tsmsyncd import errors

__all__ = ["JobError", "WorkerRunner", "worker_command"]


class JobError(errors.TsmSyncError):
    """A job failed in its worker with an error that has no class of its own here."""

    def __init__(self, kind: str, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.kind, self.exit_code = kind, exit_code


def worker_command() -> list[str]:
    """How to start a worker: the frozen app runs it directly, an installed package through ``-m``."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "_worker"]
    return [sys.executable, "-m", "tsmsyncd", "_worker"]


_KNOWN = {name: getattr(errors, name) for name in errors.__all__}


def _error(error: Mapping[str, Any]) -> errors.TsmSyncError:
    """The worker's error as the class it was raised as (rebuilt from its message, kind and field; the
    message is kept exactly), so callers can tell a running game or a bad field from other failures."""
    kind, message = str(error.get("kind", "")), str(error.get("message", "the job failed"))
    cls = _KNOWN.get(kind)
    if not (isinstance(cls, type) and issubclass(cls, errors.TsmSyncError)):
        return JobError(kind, message, int(error.get("exit_code", 1)))
    rebuilt = cls.__new__(cls)
    Exception.__init__(rebuilt, message)
    if isinstance(rebuilt, errors.FieldError):
        rebuilt.field, rebuilt.reason = str(error.get("field") or ""), message
    return rebuilt


class WorkerRunner:
    """Starts job processes for one data folder. ``running`` counts those in flight."""

    def __init__(self, home: Path, *, environ: Mapping[str, str] | None = None, timeout: float = 900.0,
                 command: list[str] | None = None) -> None:
        self.home, self.timeout = home, timeout
        self._environ = dict(os.environ if environ is None else environ)
        self._environ["TSMSYNCD_HOME"] = str(home)
        self._command = command or worker_command()
        self.running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def run(self, job: str, payload: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        request = json.dumps({"job": job, "payload": dict(payload)}).encode()
        self.running += 1
        self._idle.clear()
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=self._environ)
            try:
                out, err = await asyncio.wait_for(proc.communicate(request), timeout or self.timeout)
            except (TimeoutError, asyncio.CancelledError):
                proc.kill()
                await proc.wait()
                raise
        except TimeoutError as exc:
            raise JobError("Timeout", f"the {job} job did not finish within {timeout or self.timeout:.0f} s and "
                                      "was stopped; nothing was left half-done") from exc
        finally:
            self.running -= 1
            if not self.running:
                self._idle.set()
        return self._answer(job, out, err)

    @staticmethod
    def _answer(job: str, out: bytes, err: bytes) -> dict[str, Any]:
        lines = [line for line in out.decode("utf-8", "replace").splitlines() if line.startswith("{")]
        try:
            message = json.loads(lines[-1])
        except (IndexError, ValueError) as exc:
            tail = " ".join(err.decode("utf-8", "replace").split()[-30:])
            raise JobError("Crashed", f"the {job} job ended without an answer ({tail or 'no output'})") from exc
        if message.get("ok"):
            return dict(message.get("result") or {})
        raise _error(message.get("error") or {})

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs (shutdown lets an apply in flight finish); False if one still does."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False

"""Running work in worker processes and getting its result back (``sync/jobs.py`` says why).

``WorkerRunner.run(job, payload)`` starts ``tsmsyncd _worker`` (the same interpreter, or the frozen app
itself), writes the request on its stdin, reads the JSON lines it answers — ``progress`` lines while it
works, then the one result — and turns a failure back into the error it was: a ``GameRunningError`` stays
one, so the engine can make the plan wait. A worker that runs past its timeout is killed; that is safe
even during a merge, whose replace is atomic.

``QueryWorker.ask(query, payload)`` serves the web UI's reads that need pandas (market data, previews,
rules) from one long-lived ``tsmsyncd _worker --serve`` process: started on the first question, asked one
question at a time, and told to exit after two idle minutes, so the resting daemon never holds pandas and
a page that asks ten questions pays the start once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tsmsyncd import errors

__all__ = ["JobError", "Progress", "QueryWorker", "WorkerRunner", "worker_command"]

log = logging.getLogger(__name__)
Progress = Callable[[dict[str, Any]], None]  # a job's progress line, as the worker sent it
MAX_LINE = 64 * 2**20  # a worker's answer (a market listing of every item) fits in one line


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
    if isinstance(rebuilt, errors.CriteriaError):
        rebuilt.position, rebuilt.expected = int(error.get("position") or 1), ""
    return rebuilt


class WorkerRunner:
    """Starts job processes for one data folder. ``running`` counts those in flight, ``active`` the same
    by job name (the engine tells an update whether a merge or a restore runs)."""

    def __init__(self, home: Path, *, environ: Mapping[str, str] | None = None, timeout: float = 900.0,
                 command: list[str] | None = None) -> None:
        self.home, self.timeout = home, timeout
        self._environ = dict(os.environ if environ is None else environ)
        self._environ["TSMSYNCD_HOME"] = str(home)
        self._command = command or worker_command()
        self.running = 0
        self.active: dict[str, int] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    async def run(self, job: str, payload: Mapping[str, Any], timeout: float | None = None,
                  progress: Progress | None = None) -> dict[str, Any]:
        request = json.dumps({"job": job, "payload": dict(payload)}).encode() + b"\n"
        limit = timeout or self.timeout
        self.running += 1
        self.active[job] = self.active.get(job, 0) + 1
        self._idle.clear()
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=self._environ, limit=MAX_LINE)
            try:
                return await asyncio.wait_for(self._talk(proc, job, request, progress), limit)
            except (TimeoutError, asyncio.CancelledError):
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
                raise
        except TimeoutError as exc:
            raise JobError("Timeout", f"the {job} job did not finish within {limit:.0f} s and "
                                      "was stopped; nothing was left half-done") from exc
        finally:
            self.running -= 1
            self.active[job] -= 1
            if not self.running:
                self._idle.set()

    @staticmethod
    async def _talk(proc: asyncio.subprocess.Process, job: str, request: bytes,
                    progress: Progress | None) -> dict[str, Any]:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(request)
        await proc.stdin.drain()
        proc.stdin.close()
        errors_task = asyncio.ensure_future(proc.stderr.read())
        answer: dict[str, Any] | None = None
        async for line in proc.stdout:
            message = _message(line)
            if message is None:
                continue
            if "progress" in message:
                if progress is not None:
                    _tell(progress, message["progress"])
            else:
                answer = message
        err = await errors_task
        await proc.wait()
        return _answer(job, answer, err)

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs (shutdown lets an apply in flight finish); False if one still does."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False


def _message(line: bytes) -> dict[str, Any] | None:
    """One JSON object line of a worker, or None for anything else a library may have printed."""
    if not line.startswith(b"{"):
        return None
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _tell(progress: Progress, data: object) -> None:
    try:
        progress(dict(data) if isinstance(data, Mapping) else {"step": str(data)})
    except Exception:  # a listener's bug must not fail the job
        log.exception("a progress listener failed")


def _answer(job: str, message: Mapping[str, Any] | None, err: bytes) -> dict[str, Any]:
    if message is None:
        tail = " ".join(err.decode("utf-8", "replace").split()[-30:])
        raise JobError("Crashed", f"the {job} job ended without an answer ({tail or 'no output'})")
    if message.get("ok"):
        result = message.get("result")
        return dict(result) if isinstance(result, Mapping) else {"value": result}
    raise _error(message.get("error") or {})


class QueryWorker:
    """The long-lived worker for the UI's heavy reads. One question at a time (a page's questions are
    small; the lock keeps answers in order); a question that takes longer than ``timeout`` kills the
    worker (the next question starts a fresh one); ``idle`` seconds without a question end it."""

    def __init__(self, home: Path, *, environ: Mapping[str, str] | None = None, idle: float = 120.0,
                 timeout: float = 60.0, command: list[str] | None = None) -> None:
        self.home, self.idle, self.timeout = home, idle, timeout
        self._environ = dict(os.environ if environ is None else environ)
        self._environ["TSMSYNCD_HOME"] = str(home)
        self._command = [*(command or worker_command()), "--serve"]
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._idle_timer: asyncio.TimerHandle | None = None
        self._leaving: set[asyncio.Task[None]] = set()  # retired workers finishing their exit
        self.started = 0  # processes started so far (the benchmark and tests read it)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def ask(self, query: str, payload: Mapping[str, Any], timeout: float | None = None,
                  progress: Progress | None = None) -> dict[str, Any]:
        async with self._lock:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            proc = await self._ensure()
            assert proc.stdin is not None and proc.stdout is not None
            number = next(self._ids)
            proc.stdin.write(json.dumps({"id": number, "job": query, "payload": dict(payload)}).encode() + b"\n")
            try:
                answer = await asyncio.wait_for(self._answer_to(proc, number, progress), timeout or self.timeout)
            except (TimeoutError, asyncio.CancelledError) as exc:
                await self._kill()
                if isinstance(exc, TimeoutError):
                    raise JobError("Timeout", f"the {query} question took longer than "
                                              f"{timeout or self.timeout:.0f} s and was stopped") from exc
                raise
            finally:
                self._arm()
            return _answer(query, answer, b"")

    async def _answer_to(self, proc: asyncio.subprocess.Process, number: int,
                         progress: Progress | None) -> dict[str, Any] | None:
        assert proc.stdin is not None and proc.stdout is not None
        await proc.stdin.drain()
        lines = 0
        async for line in proc.stdout:
            lines += 1
            if lines % 64 == 0:
                await asyncio.sleep(0)  # a burst of progress lines: let the event subscribers drain
            message = _message(line)
            if message is None or message.get("id") != number:
                continue
            if "progress" not in message:
                return message
            if progress is not None:
                _tell(progress, message["progress"])
        await self._kill()  # it ended without answering: a crash; the next question starts a new one
        return None

    async def _ensure(self) -> asyncio.subprocess.Process:
        if self._proc is None or self._proc.returncode is not None:
            self._proc = await asyncio.create_subprocess_exec(
                *self._command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL, env=self._environ, limit=MAX_LINE)
            self.started += 1
        return self._proc

    def _arm(self) -> None:
        self._idle_timer = asyncio.get_running_loop().call_later(self.idle, self._retire)

    def _retire(self) -> None:
        """Idle: close its stdin, so it finishes and exits on its own (reaped in the background)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            if proc.stdin is not None:
                proc.stdin.close()
            task = asyncio.get_running_loop().create_task(self._reap(proc))
            self._leaving.add(task)
            task.add_done_callback(self._leaving.discard)

    async def _reap(self, proc: asyncio.subprocess.Process) -> None:
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            await self._kill_proc(proc)

    async def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            await self._kill_proc(proc)

    async def restart(self) -> None:
        """Settings changed: the next question starts a worker that reads them anew."""
        async with self._lock:
            self._retire()

    async def close(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._retire()
        if self._leaving:
            await asyncio.gather(*self._leaving, return_exceptions=True)

    @staticmethod
    async def _kill_proc(proc: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()

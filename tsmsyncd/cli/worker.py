"""``tsmsyncd _worker``: the processes a daemon's heavy work runs in (``sync/jobs.py``, ``sync/queries.py``).

Not a command for players (it is not in ``tsmsyncd --help``). Two ways to run:

* one job: the daemon writes one JSON object on stdin, ``{"job": "...", "payload": {...}}``, and reads JSON
  lines from stdout: any number of ``{"progress": {...}}`` while it works, then ``{"ok": true, "result":
  {...}}`` or ``{"ok": false, "error": {"kind", "message", "exit_code", "field"}}``. Exit code 0 when the job
  ran (whatever its outcome), 1 when it failed.
* ``--serve``: questions, one JSON line each, ``{"id": 7, "job": "...", "payload": {...}}``, answered in
  order with the same shapes plus the ``id``, until stdin closes (the daemon closes it when idle). The
  services stay open between questions, so the second question does not pay pandas' import again.

Logs go to the data folder's log file, like the daemon's.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["run_worker"]


def run_worker(serve: bool = False) -> int:
    return asyncio.run(_serve()) if serve else _one()


def _one() -> int:
    from tsmsyncd.sync.jobs import run_job

    try:
        request = json.loads(sys.stdin.buffer.read() or b"{}")
        name, payload = str(request["job"]), request.get("payload") or {}
    except (ValueError, KeyError, TypeError) as exc:
        return _reply({"ok": False, "error": {"kind": "InputError", "message": f"bad job request: {exc}",
                                              "exit_code": 1}})

    def progress(data: dict[str, Any]) -> None:
        _write({"progress": data})

    async def main() -> dict[str, Any]:
        from tsmsyncd.app import open_services
        from tsmsyncd.config import data_dir, load_settings
        from tsmsyncd.logs import setup_file_logging

        settings = load_settings()
        setup_file_logging(data_dir() / "logs", secrets=[settings.client_secret])
        async with open_services(settings, data_dir()) as services:
            return await run_job(services, name, payload, progress)

    return _reply(_outcome(lambda: asyncio.run(main())))


async def _serve() -> int:
    from tsmsyncd.app import open_services
    from tsmsyncd.config import data_dir, load_settings
    from tsmsyncd.logs import setup_file_logging
    from tsmsyncd.sync.queries import run_query

    settings = load_settings()
    setup_file_logging(data_dir() / "logs", secrets=[settings.client_secret])
    async with open_services(settings, data_dir()) as services:
        while line := await asyncio.to_thread(sys.stdin.buffer.readline):
            try:
                request = json.loads(line)
                number, name, payload = request["id"], str(request["job"]), request.get("payload") or {}
            except (ValueError, KeyError, TypeError) as exc:
                _write({"id": None, "ok": False, "error": {"kind": "InputError", "exit_code": 1,
                                                            "message": f"bad question: {exc}"}})
                continue
            def progress(data: dict[str, Any], number: object = number) -> None:
                _write({"id": number, "progress": data})

            _write({"id": number, **await _outcome_async(run_query(services, name, payload, progress))})
    return 0


def _error(exc: BaseException) -> dict[str, Any]:
    from tsmsyncd.errors import CriteriaError, TsmSyncError

    if isinstance(exc, TsmSyncError):
        error = {"kind": type(exc).__name__, "message": " ".join(str(exc).split()),
                 "exit_code": exc.exit_code, "field": getattr(exc, "field", None)}
        if isinstance(exc, CriteriaError):
            error["position"] = exc.position
        return {"ok": False, "error": error}
    return {"ok": False, "error": {"kind": "InternalError", "exit_code": 1,
                                   "message": f"internal error ({type(exc).__name__}: {exc})"}}


def _outcome(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"ok": True, "result": work()}
    except Exception as exc:  # a bug is reported, never hidden; every write path is atomic
        return _error(exc)


async def _outcome_async(work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"ok": True, "result": await work}
    except Exception as exc:
        return _error(exc)


def _write(message: dict[str, Any]) -> None:
    try:
        line = json.dumps(message, default=str, allow_nan=False)
    except ValueError:  # NaN or Infinity: JSON has no words for them, and the daemon must get an answer
        line = json.dumps({"id": message.get("id"), "ok": False, "error": {
            "kind": "InternalError", "exit_code": 1, "message": "internal error (the answer held NaN)"}})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _reply(message: dict[str, Any]) -> int:
    _write(message)
    return 0 if message.get("ok") else 1

"""``tsmsyncd _worker``: the short-lived process a daemon job runs in (``sync/jobs.py``).

Not a command for players (it is not in ``tsmsyncd --help``): the daemon starts it with one JSON object on
stdin, ``{"job": "...", "payload": {...}}``, and reads one JSON line from stdout, ``{"ok": true,
"result": {...}}`` or ``{"ok": false, "error": {"kind", "message", "exit_code", "field"}}``. Exit code 0 when
the job ran (whatever its outcome), 1 when it failed. Logs go to the data folder's log file, like the
daemon's.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

__all__ = ["run_worker"]


def run_worker() -> int:
    from tsmsyncd.app import open_services
    from tsmsyncd.config import data_dir, load_settings
    from tsmsyncd.errors import TsmSyncError
    from tsmsyncd.sync.jobs import run_job

    try:
        request = json.loads(sys.stdin.buffer.read() or b"{}")
        name, payload = str(request["job"]), request.get("payload") or {}
    except (ValueError, KeyError, TypeError) as exc:
        return _reply({"ok": False, "error": {"kind": "InputError", "message": f"bad job request: {exc}",
                                              "exit_code": 1}})

    async def main() -> dict[str, Any]:
        async with open_services(load_settings(), data_dir()) as services:
            return await run_job(services, name, payload)

    try:
        return _reply({"ok": True, "result": asyncio.run(main())})
    except TsmSyncError as exc:
        return _reply({"ok": False, "error": {"kind": type(exc).__name__, "message": " ".join(str(exc).split()),
                                              "exit_code": exc.exit_code, "field": getattr(exc, "field", None)}})
    except Exception as exc:  # a bug: reported, never hidden; the write path is atomic
        return _reply({"ok": False, "error": {"kind": "InternalError", "exit_code": 1,
                                              "message": f"internal error ({type(exc).__name__}: {exc})"}})


def _reply(message: dict[str, Any]) -> int:
    sys.stdout.write(json.dumps(message, default=str) + "\n")
    sys.stdout.flush()
    return 0 if message.get("ok") else 1

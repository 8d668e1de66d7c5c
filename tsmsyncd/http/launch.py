"""Opening the web UI in the player's browser without a secret in a URL that lives on, or in argv.

The choice (Jupyter's ``use_redirect_file``, with a one-time token instead of the server's token):

1. ``Logins.issue()`` makes a random token (256 bits) that works once, for two minutes. Only its SHA-256
   is kept, so a lookup leaks nothing by timing, and the token is never logged (the access log writes the
   route's pattern ``/login/{token}``, never the path).
2. ``write_redirect_file`` writes a small HTML file (0600, in the data folder) whose meta refresh goes to
   ``http://127.0.0.1:<port>/login/<token>``; ``open_browser`` hands the browser that file's path, so the
   browser's argv and the process list show a file name, not a secret.
3. ``GET /login/<token>`` (``app``) redeems it: sets the ``tsmsyncd-csrf`` cookie (this process's CSRF
   token; ``SameSite=Strict``, ``Path=/``, readable by the page's JS) and redirects to ``/``. Used,
   expired or unknown → 403. The login URL stays in the browser's history, dead; ``Referrer-Policy:
   no-referrer`` keeps it from going anywhere else.

The CLI (another process) asks the daemon for a token with ``POST /api/v1/logins`` and the API key, then
writes the same file. The cookie is the browser's credential: it is handed out only here, never to whoever
asks for ``/``, or the 0600 on daemon.json would protect nothing.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

from tsmsyncd.store.atomic import write_atomic

__all__ = ["LOGIN_TTL", "REDIRECT_FILE", "Logins", "open_browser", "write_redirect_file"]

LOGIN_TTL = 120.0
MAX_PENDING = 16  # a burst of "open" clicks is fine; nothing grows without bound
REDIRECT_FILE = "open-tsmsyncd.html"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class Logins:
    """One-time login tokens. Thread-safe: the tray thread may issue while the loop redeems."""

    def __init__(self, ttl: float = LOGIN_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self._clock = ttl, clock
        self._pending: dict[bytes, float] = {}  # digest -> expiry, oldest first
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            self._pending = {d: t for d, t in self._pending.items() if t > now}
            while len(self._pending) >= MAX_PENDING:
                del self._pending[next(iter(self._pending))]
            self._pending[_digest(token)] = now + self.ttl
        return token

    def redeem(self, token: str) -> bool:
        """True once for a token issued less than ``ttl`` ago; False for anything else, ever after."""
        with self._lock:
            expiry = self._pending.pop(_digest(token), None)
            return expiry is not None and self._clock() < expiry


def login_path(token: str) -> str:
    return f"/login/{token}"


def write_redirect_file(folder: Path, url: str) -> Path:
    """The 0600 page that sends the browser to ``url`` (which holds the one-time token)."""
    folder.mkdir(parents=True, exist_ok=True)
    link = html.escape(url, quote=True)
    page = (f'<!doctype html>\n<html><head><meta charset="utf-8">\n'
            f'<meta http-equiv="refresh" content="0;url={link}">\n<title>tsmsyncd</title></head>\n'
            f'<body><p>Opening tsmsyncd… <a href="{link}">continue</a> (the link works once, for two minutes).'
            f'</p></body></html>\n')
    path = folder / REDIRECT_FILE
    write_atomic(path, page.encode("utf-8"), mode=0o600)
    return path


def open_browser(base_url: str, logins: Logins, folder: Path,
                 opener: Callable[[str], object] = webbrowser.open) -> Path:
    """Issue a one-time login, write the redirect file into ``folder`` and open it in the browser
    (``opener`` gets a ``file://`` URI, never the token). Returns the file's path."""
    path = write_redirect_file(folder, base_url.rstrip("/") + login_path(logins.issue()))
    opener(path.as_uri())
    return path

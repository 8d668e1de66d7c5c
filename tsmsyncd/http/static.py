"""The web UI's files: ``/`` is ``index.html``, ``/static/<path>`` the rest of one folder.

An allowlist, not a filter: only the types a vanilla UI needs are served, with their content type fixed
here (Windows' registry has been known to map ``.js`` to ``text/plain``, and a JS module with a wrong type
does not load); no listing; no dotfiles; a path that resolves outside the folder (``..``, a symlink, a
drive or a backslash) is 404. The page sets no cookie: the browser gets it from the one-time login.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from tsmsyncd.http.errors import Refusal
from tsmsyncd.http.route import Route

__all__ = ["CONTENT_TYPES", "static_routes"]

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}


def _not_found() -> Refusal:
    return Refusal(404, "not_found", "no such file")


def resolve(root: Path, relative: str) -> Path:
    """The file ``relative`` names inside ``root`` (already resolved), or 404."""
    parts = relative.split("/")
    if any(not p or p.startswith(".") or "\\" in p or ":" in p or "\x00" in p for p in parts):
        raise _not_found()
    path = root.joinpath(*parts).resolve()
    if not path.is_relative_to(root) or not path.is_file() or path.suffix.lower() not in CONTENT_TYPES:
        raise _not_found()
    return path


def _file(path: Path, **headers: str) -> web.FileResponse:
    return web.FileResponse(path, headers={"Content-Type": CONTENT_TYPES[path.suffix.lower()], **headers})


def static_routes(static_dir: Path) -> list[Route]:
    root = static_dir.resolve()

    async def index(request: web.Request) -> web.StreamResponse:
        # no-cache: the page names its assets by hash, so a new daemon's page must be fetched anew
        return _file(resolve(root, "index.html"), **{"Cache-Control": "no-cache"})

    async def asset(request: web.Request) -> web.StreamResponse:
        return _file(resolve(root, request.match_info["path"]))

    return [
        Route("GET", "/", index, auth=False, summary="The web UI's page"),
        Route("GET", "/static/{path:.+}", asset, auth=False, summary="The web UI's scripts, styles and images"),
    ]

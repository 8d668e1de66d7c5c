"""What the update tests share: throwaway release keys, manifests, archives (good and hostile), a real
release server on 127.0.0.1 in its own thread (so a test's own loop, and processes the test starts, can
both talk to it), and version folders of the real package laid out like the one-folder app.

A version folder (``version_folder``) is what ``dist/tsmsyncd/`` is for PyInstaller, with Python itself
standing in for the frozen interpreter: ``<folder>/tsmsyncd`` is a shell script that runs
``python -m tsmsyncd`` on a copy of the package in ``<folder>/_internal/``, whose ``__version__`` and
``RELEASE_KEYS`` are rewritten, which is what building a release of that version with that key means.
"""

from __future__ import annotations

import asyncio
import base64
import compileall
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PACKAGE = Path(__file__).resolve().parent.parent / "tsmsyncd"
PLATFORM = "linux-x86_64"


class Keys:
    """A throwaway Ed25519 key pair."""

    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public = base64.b64encode(raw).decode()

    def sign(self, data: bytes) -> bytes:
        return base64.b64encode(self.private.sign(data)) + b"\n"

    def pem(self, path: Path) -> Path:
        path.write_bytes(self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        path.chmod(0o600)
        return path


def manifest(version: str, *, channel: str = "stable", archive: bytes | None = None, url: str = "",
             size: int | None = None, sha256: str | None = None, fmt: str = "tar.gz",
             notes: str = "Faster merges.", platform: str = PLATFORM, **extra: Any) -> bytes:
    """A manifest's bytes; the platform entry describes ``archive`` unless ``size``/``sha256`` say otherwise."""
    platforms = {}
    if archive is not None or url:
        data = archive or b""
        platforms[platform] = {"url": url or "http://127.0.0.1:9/x.tar.gz", "size": len(data) if size is None else size,
                               "sha256": sha256 or hashlib.sha256(data).hexdigest(), "format": fmt}
    doc = {"format": "tsmsyncd.release/1", "channel": channel, "version": version, "date": "2027-01-10T12:00:00Z",
           "notes": notes, "platforms": platforms, **extra}
    return (json.dumps(doc, indent=2) + "\n").encode()


# -- archives -----------------------------------------------------------------------------------------


@dataclass
class Entry:
    name: str
    data: bytes = b""
    kind: str = "file"  # file, dir, symlink, hardlink, fifo
    link: str = ""
    mode: int = 0o644


PROGRAM = "#!/bin/sh\necho tsmsyncd {version}\n"


def program_entries(version: str = "9.9.9") -> list[Entry]:
    """The least a release holds: its folder and a program that says its version."""
    return [Entry("tsmsyncd", kind="dir", mode=0o755),
            Entry("tsmsyncd/tsmsyncd", PROGRAM.format(version=version).encode(), mode=0o755),
            Entry("tsmsyncd/_internal", kind="dir", mode=0o755),
            Entry("tsmsyncd/_internal/base_library.zip", b"PK\x05\x06" + b"\0" * 18)]


def tar_gz(entries: list[Entry]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.mode = e.mode
            info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                         "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE}[e.kind]
            info.linkname = e.link
            info.size = len(e.data) if e.kind == "file" else 0
            tar.addfile(info, io.BytesIO(e.data) if e.kind == "file" else None)
    return out.getvalue()


def zip_bytes(entries: list[Entry]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for e in entries:
            info = zipfile.ZipInfo(e.name + ("/" if e.kind == "dir" and not e.name.endswith("/") else ""))
            kind = {"file": 0o100000, "dir": 0o040000, "symlink": 0o120000, "fifo": 0o010000}[e.kind]
            info.external_attr = (kind | e.mode) << 16
            zf.writestr(info, e.link.encode() if e.kind == "symlink" else e.data)
    return out.getvalue()


# -- the release server -------------------------------------------------------------------------------


@dataclass
class ReleaseServer:
    """Serves ``files`` (path → bytes) on 127.0.0.1 from its own thread. ``stall`` paths answer their
    headers and the first bytes, then nothing (a stuck server); ``hang`` paths never answer at all;
    ``claim`` paths announce another Content-Length than they send. ``requests`` counts every request."""

    files: dict[str, bytes] = field(default_factory=dict)
    stall: set[str] = field(default_factory=set)
    hang: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="release-server", daemon=True)

    def put(self, path: str, data: bytes) -> None:
        self.files[path.lstrip("/")] = data

    def publish(self, keys: Keys, doc: bytes, channel: str = "stable") -> None:
        """A channel's manifest and its signature by ``keys``."""
        self.put(f"{channel}.json", doc)
        self.put(f"{channel}.json.sig", keys.sign(doc))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        self.requests.append(path)
        if path in self.hang:
            assert self._stop is not None
            await self._stop.wait()
        if path not in self.files:
            return web.Response(status=404, text="no such release file")
        data = self.files[path]
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        if path not in self.stall:
            response.content_length = len(data)
        await response.prepare(request)
        if path in self.stall:
            await response.write(data[:10])
            assert self._stop is not None
            await self._stop.wait()  # never sends the rest: the client's read timeout must end it
            return response
        await response.write(data)
        await response.write_eof()
        return response

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_get("/releases/{path:.+}", self._handle)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/releases"
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def __enter__(self) -> ReleaseServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()


# -- version folders and trees ------------------------------------------------------------------------


def bake(package: Path, version: str, public_key: str) -> None:
    """Make the copy of the package at ``package`` say ``version`` and trust ``public_key`` alone."""
    init = package / "__init__.py"
    init.write_text(re.sub(r'__version__ = "[^"]*"', f'__version__ = "{version}"', init.read_text()))
    keys = package / "update" / "keys.py"
    trusted = f'RELEASE_KEYS: tuple[str, ...] = ("{public_key}",)'
    text = re.sub(r"RELEASE_KEYS: tuple\[str, \.\.\.\] = \(.*?\n\)", trusted, keys.read_text(), flags=re.S)
    assert public_key in text and len(re.findall(r'"[A-Za-z0-9+/]{43}="', text)) == 1  # that key alone
    keys.write_text(text)


def version_folder(dest: Path, version: str, public_key: str) -> Path:
    """The real package as a one-folder app of ``version`` that trusts ``public_key``."""
    internal = dest / "_internal"
    shutil.copytree(PACKAGE, internal / "tsmsyncd", ignore=shutil.ignore_patterns("__pycache__"))
    bake(internal / "tsmsyncd", version, public_key)
    compileall.compile_dir(internal, quiet=1)  # so running it never writes into the folder
    program = dest / "tsmsyncd"
    # PYTHONSAFEPATH: the folder a command runs in is never searched for the package (here and in the
    # daemon's workers), as a frozen app never would
    program.write_text(f'#!/bin/sh\nhere=$(cd "$(dirname "$0")" && pwd -P)\n'
                       f'PYTHONPATH="$here/_internal" PYTHONSAFEPATH=1 exec "{sys.executable}" -m tsmsyncd "$@"\n')
    program.chmod(0o755)
    return dest


def pyinstaller_folder(work: Path, version: str, public_key: str) -> Path:
    """The real one-folder app, built by PyInstaller from ``installers/tsmsyncd.spec`` on a copy of the
    source whose version and key were baked in (what a release build with that key is); ``dist/tsmsyncd``."""
    source = work / "src"
    root = PACKAGE.parent
    shutil.copytree(root / "tsmsyncd", source / "tsmsyncd", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "installers", source / "installers")
    bake(source / "tsmsyncd", version, public_key)
    subprocess.run([sys.executable, "-m", "PyInstaller", str(source / "installers" / "tsmsyncd.spec"), "--noconfirm",
                    "--distpath", str(work / "dist"), "--workpath", str(work / "build")], cwd=source, check=True,
                   capture_output=True, timeout=1200)
    return work / "dist" / "tsmsyncd"


def tree(root: Path) -> dict[str, str]:
    """Every path under ``root`` with what it is (a file's sha256, a link's target): two equal trees are
    the same files with the same bytes."""
    found: dict[str, str] = {}
    if not root.exists():
        return found
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[rel] = "-> " + str(path.readlink())
        elif path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


"""The release server's client: a channel's manifest and signature, and a release archive, each fetched
with a size cap and timeouts, every failure translated once into an ``UpdateError`` with one line.

Nothing here decides whether to trust what came: the manifest's bytes are handed back as they arrived
(``update/manifest.py`` checks the signature), and an archive is accepted only at the exact size and
sha256 the signed manifest names. A download stops as soon as it passes that size, and when the server
goes quiet for ``read`` seconds or takes longer than ``download`` seconds in all (a slow or stuck server
must not hold an update, or the daemon, forever). Redirects are followed only to https (or to this machine).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tsmsyncd.errors import UpdateError
from tsmsyncd.update.manifest import MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, Artifact, check_url

__all__ = ["ReleaseClient", "Timeouts"]

CHUNK = 1 << 16
Progress = Callable[[int, int], None]  # (bytes so far, bytes in all)


@dataclass(frozen=True)
class Timeouts:
    manifest: float = 30.0  # the manifest and its signature, each in all
    connect: float = 15.0
    read: float = 60.0  # the longest silence within an answer
    download: float = 1800.0  # a whole archive


class ReleaseClient:
    """``base_url`` is the ``update_url`` setting: ``<base_url>/<channel>.json`` and ``.json.sig``."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, timeouts: Timeouts = Timeouts()) -> None:
        problem = check_url(base_url)
        if problem:
            raise UpdateError("url", f"update_url {problem}")
        self._session, self._base, self._timeouts = session, base_url.rstrip("/"), timeouts

    async def manifest(self, channel: str) -> tuple[bytes, bytes]:
        """The manifest's bytes and its signature file, unchecked."""
        url = f"{self._base}/{channel}.json"
        data = await self._fetch(url, MAX_MANIFEST_BYTES, "manifest")
        return data, await self._fetch(url + ".sig", MAX_SIGNATURE_BYTES, "manifest's signature")

    async def _fetch(self, url: str, limit: int, what: str) -> bytes:
        t = self._timeouts
        timeout = aiohttp.ClientTimeout(total=t.manifest, sock_connect=t.connect, sock_read=t.read)
        try:
            async with self._session.get(url, timeout=timeout) as resp:
                self._check(resp, url, what)
                if resp.content_length is not None and resp.content_length > limit:
                    raise UpdateError("too_large", f"the {what} at {url} is {resp.content_length:,} bytes (at most "
                                                   f"{limit:,}); refused")
                body = bytearray()
                async for chunk in resp.content.iter_chunked(CHUNK):
                    body += chunk
                    if len(body) > limit:
                        raise UpdateError("too_large", f"the {what} at {url} is larger than {limit:,} bytes; refused")
                return bytes(body)
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpdateError("timeout", f"the release server did not send the {what} within {t.manifest:g} s "
                                         f"({url}); try again later") from exc
        except aiohttp.ClientError as exc:
            raise UpdateError("unreachable", f"the release server could not be reached for the {what} ({url}: "
                                             f"{_why(exc)})") from exc

    @staticmethod
    def _check(resp: aiohttp.ClientResponse, url: str, what: str) -> None:
        for hop in (*resp.history, resp):
            problem = check_url(str(hop.url))
            if problem:
                raise UpdateError("redirect", f"the {what} was redirected to {hop.url} ({problem}); refused")
        if resp.status != 200:
            raise UpdateError("http_status", f"the release server answered HTTP {resp.status} for the {what} ({url})")

    async def download(self, artifact: Artifact, dest: Path, progress: Progress | None = None) -> None:
        """Write the archive to the new file ``dest``, checking its size and sha256 against ``artifact``."""
        t = self._timeouts
        timeout = aiohttp.ClientTimeout(total=t.download, sock_connect=t.connect, sock_read=t.read)
        digest, got = hashlib.sha256(), 0
        try:
            async with self._session.get(artifact.url, timeout=timeout) as resp:
                self._check(resp, artifact.url, "archive")
                if resp.content_length is not None and resp.content_length > artifact.size:
                    raise UpdateError("size", f"the archive is {resp.content_length:,} bytes, but the signed "
                                              f"manifest says {artifact.size:,}; refused")
                fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
                with os.fdopen(fd, "wb") as out:
                    async for chunk in resp.content.iter_chunked(CHUNK):
                        got += len(chunk)
                        if got > artifact.size:
                            raise UpdateError("size", f"the archive is larger than the {artifact.size:,} bytes the "
                                                      "signed manifest says; refused")
                        digest.update(chunk)
                        out.write(chunk)  # into the page cache: quick; the one fsync below is not
                        if progress is not None:
                            progress(got, artifact.size)
                    out.flush()
                    await asyncio.to_thread(os.fsync, out.fileno())
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpdateError("timeout", f"the download stalled or took too long ({got:,} of {artifact.size:,} "
                                         f"bytes; {artifact.url}); try again later") from exc
        except aiohttp.ClientError as exc:
            raise UpdateError("unreachable", f"the download failed after {got:,} of {artifact.size:,} bytes "
                                             f"({_why(exc)})") from exc
        if got != artifact.size:
            raise UpdateError("size", f"the archive is {got:,} bytes, but the signed manifest says {artifact.size:,} "
                                      "(truncated?); refused")
        if digest.hexdigest() != artifact.sha256:
            raise UpdateError("sha256", f"the archive's sha256 is {digest.hexdigest()[:16]}..., not the "
                                        f"{artifact.sha256[:16]}... the signed manifest says; refused")


def _why(exc: aiohttp.ClientError) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


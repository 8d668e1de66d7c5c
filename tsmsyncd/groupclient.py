"""The wire to a group server (another tsmsyncd in server mode): one authenticated GET, conditional on the
``ETag`` last seen, over HTTPS that checks the server's certificate (the system's CAs and ``SSL_CERT_FILE``,
or the group source's own ``ca_file`` for a private CA).

aiohttp's and the server's failures are translated here, once, into ``GroupServerError`` with the status
and any ``Retry-After``; its message names the server's host and what to do, never the token (which
travels only in the ``Authorization`` header). Bodies are capped.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp

from tsmsyncd.errors import GroupServerError

__all__ = ["MAX_BODY", "Fetched", "fetch", "retry_after_seconds"]

MAX_BODY = 32 * 1024 * 1024  # a GroupSet of 100,000 items is about 3 MB
TIMEOUT = 30.0


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304 (not modified: ``body`` is None)
    body: bytes | None
    etag: str | None


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date (None when absent or unreadable)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def _context(ca_file: str | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise GroupServerError(f"the group server's CA file {ca_file} cannot be read ({exc}); fix "
                               "group_source.ca_file") from exc


async def fetch(session: aiohttp.ClientSession, url: str, token: str, *, etag: str | None = None,
                ca_file: str | None = None, timeout: float = TIMEOUT) -> Fetched:
    """GET ``url`` with the token (and ``If-None-Match`` when ``etag`` is given)."""
    where = urlsplit(url).netloc
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    context = _context(ca_file) if url.startswith("https:") else None
    try:
        async with session.get(url, headers=headers, ssl=context if context is not None else True,
                               timeout=aiohttp.ClientTimeout(total=timeout), allow_redirects=False) as resp:
            if resp.status == 304:
                return Fetched(304, None, resp.headers.get("ETag") or etag)
            if resp.content_length is not None and resp.content_length > MAX_BODY:
                raise GroupServerError(f"the group server at {where} sent {resp.content_length:,} bytes, more than "
                                       f"{MAX_BODY:,}", resp.status)
            body = await resp.content.read(MAX_BODY + 1)
            if len(body) > MAX_BODY:
                raise GroupServerError(f"the group server at {where} sent more than {MAX_BODY:,} bytes", resp.status)
            if resp.status != 200:
                raise _refused(where, resp.status, body, resp.headers.get("Retry-After"))
            return Fetched(200, body, resp.headers.get("ETag"))
    except aiohttp.ClientConnectorCertificateError as exc:
        raise GroupServerError(f"the group server at {where} has a certificate this machine does not trust "
                               f"({exc.certificate_error}); if it uses a private CA, set group_source.ca_file "
                               "to that CA's certificate") from exc
    except aiohttp.ClientSSLError as exc:
        raise GroupServerError(f"the TLS connection to the group server at {where} failed ({exc})") from exc
    except TimeoutError as exc:
        raise GroupServerError(f"the group server at {where} did not answer within {timeout:.0f} s") from exc
    except (aiohttp.ClientConnectionError, OSError) as exc:
        raise GroupServerError(f"the group server at {where} did not answer ({_reason(exc)})") from exc
    except aiohttp.ClientError as exc:
        raise GroupServerError(f"talking to the group server at {where} failed ({type(exc).__name__})") from exc


def _reason(exc: BaseException) -> str:
    os_error = getattr(exc, "os_error", None) or (exc if isinstance(exc, OSError) else None)
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror.lower()
    return type(exc).__name__


def _message(body: bytes) -> str:
    """The server's own one-line message from its error envelope, if it sent one."""
    try:
        error = json.loads(body)["error"]
        text = str(error["message"])
    except (ValueError, KeyError, TypeError):
        return ""
    return " ".join(text.split())[:300]


def _refused(where: str, status: int, body: bytes, retry: str | None) -> GroupServerError:
    said = _message(body)
    if status in (401, 403):
        return GroupServerError(f"the group server at {where} refused the token: {said or f'HTTP {status}'}", status)
    if status == 429:
        wait = retry_after_seconds(retry, datetime.now(UTC))
        asks = f"; it asks to wait {wait:.0f} s" if wait is not None else ""
        return GroupServerError(f"the group server at {where} is answering too many requests{asks}", status, wait)
    if status == 404:
        return GroupServerError(f"the group server at {where} has none: {said or 'not found'}", status)
    return GroupServerError(f"the group server at {where} answered HTTP {status}" + (f": {said}" if said else ""),
                            status)

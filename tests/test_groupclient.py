"""The wire to a group server, against a real HTTPS server on 127.0.0.1 with a certificate from a test CA
(trustme): the server's certificate is verified (a private CA through ``ca_file`` or ``SSL_CERT_FILE``,
refused otherwise), the token goes only in ``Authorization``, ``If-None-Match`` brings a 304, and every
failure is one ``GroupServerError`` that names the host and never the token (issue 17)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import trustme
from aiohttp import web

from tsmsyncd.errors import GroupServerError
from tsmsyncd.groupclient import fetch, retry_after_seconds

TOKEN = "tsms_0123abcd_" + "s" * 43
BODY = b'{"format": "tsmsyncd.groupset/1"}'


@dataclass
class Fake:
    """A stand-in group server: answers what the test sets, records what it was sent."""

    url: str
    ca_file: Path
    answer: tuple[int, bytes, dict[str, str]] = (200, BODY, {"ETag": '"v1"'})
    seen: list[dict[str, str]] = field(default_factory=list)
    delay: float = 0.0


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def fake(ca: trustme.CA, tmp_path: Path) -> AsyncIterator[Fake]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    state = Fake("", ca_file)

    async def handler(request: web.Request) -> web.StreamResponse:
        state.seen.append(dict(request.headers))
        if state.delay:
            await asyncio.sleep(state.delay)
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        status, body, headers = state.answer
        return web.Response(status=status, body=body, headers=headers, content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/v1/groups/3678", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    state.url = f"https://127.0.0.1:{runner.addresses[0][1]}/api/v1/groups/3678"
    yield state
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_a_server_certified_by_the_given_ca_is_trusted_and_gets_the_token_in_its_header(
        fake: Fake, session: aiohttp.ClientSession) -> None:
    got = await fetch(session, fake.url, TOKEN, ca_file=str(fake.ca_file))
    assert (got.status, got.body, got.etag) == (200, BODY, '"v1"')
    assert fake.seen[0]["Authorization"] == f"Bearer {TOKEN}" and TOKEN not in fake.url


async def test_the_etag_sent_back_brings_a_304_without_a_body(fake: Fake, session: aiohttp.ClientSession) -> None:
    got = await fetch(session, fake.url, TOKEN, etag='"v1"', ca_file=str(fake.ca_file))
    assert (got.status, got.body, got.etag) == (304, None, '"v1"')
    assert fake.seen[0]["If-None-Match"] == '"v1"'


async def test_a_certificate_of_an_unknown_ca_is_refused_saying_what_to_set(fake: Fake,
                                                                           session: aiohttp.ClientSession) -> None:
    with pytest.raises(GroupServerError) as refused:
        await fetch(session, fake.url, TOKEN)
    message = str(refused.value)
    assert "certificate this machine does not trust" in message and "ca_file" in message
    assert "127.0.0.1" in message and TOKEN not in message
    assert fake.seen == []  # nothing was sent to a server that could not prove who it is


async def test_ssl_cert_file_is_honoured_for_a_private_ca(fake: Fake, session: aiohttp.ClientSession,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(fake.ca_file))
    assert (await fetch(session, fake.url, TOKEN)).status == 200


async def test_a_ca_file_that_cannot_be_read_is_named(fake: Fake, session: aiohttp.ClientSession,
                                                      tmp_path: Path) -> None:
    with pytest.raises(GroupServerError, match="CA file .*missing.pem cannot be read"):
        await fetch(session, fake.url, TOKEN, ca_file=str(tmp_path / "missing.pem"))


@pytest.mark.parametrize(("status", "body", "headers", "says", "retry"), [
    (401, b'{"ok": false, "error": {"code": "token_revoked", "message": "this token was revoked"}}', {},
     "refused the token: this token was revoked", None),
    (403, b"", {}, "refused the token: HTTP 403", None),
    (429, b'{"ok": false, "error": {"code": "rate_limited", "message": "slow down"}}', {"Retry-After": "30"},
     "too many requests; it asks to wait 30 s", 30.0),
    (404, b'{"ok": false, "error": {"code": "not_found", "message": "no groups for us/3678 yet"}}', {},
     "has none: no groups for us/3678 yet", None),
    (500, b"<html>oops</html>", {}, "answered HTTP 500", None),
])
async def test_each_refusal_is_one_error_with_the_servers_own_words(
        fake: Fake, session: aiohttp.ClientSession, status: int, body: bytes, headers: dict[str, str], says: str,
        retry: float | None) -> None:
    fake.answer = (status, body, headers)
    with pytest.raises(GroupServerError) as refused:
        await fetch(session, fake.url, TOKEN, ca_file=str(fake.ca_file))
    assert says in str(refused.value) and TOKEN not in str(refused.value)
    assert refused.value.status == status and refused.value.retry_after == retry


async def test_a_server_that_is_down_or_too_slow_is_said_so(fake: Fake, session: aiohttp.ClientSession) -> None:
    with pytest.raises(GroupServerError, match=r"at 127.0.0.1:1 did not answer \(connect"):
        await fetch(session, "https://127.0.0.1:1/api/v1/groups/3678", TOKEN, ca_file=str(fake.ca_file))
    fake.delay = 1.0
    with pytest.raises(GroupServerError, match="did not answer within 0 s"):
        await fetch(session, fake.url, TOKEN, ca_file=str(fake.ca_file), timeout=0.2)


def test_retry_after_reads_seconds_or_an_http_date() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Tue, 01 Dec 2026 12:05:00 GMT", now) == 300
    assert retry_after_seconds("Tue, 01 Dec 2026 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None

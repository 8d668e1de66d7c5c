"""Opening the browser the way Jupyter does: a one-time login in a 0600 redirect file, redeemed once for the
CSRF cookie, refused when used, expired or unknown, and never written to a log."""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

import pytest
from httpkit import Api, assert_envelope

from tsmsyncd.http.launch import LOGIN_TTL, MAX_PENDING, REDIRECT_FILE, Logins, open_browser, write_redirect_file


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def login_url_in(page: Path) -> str:
    match = re.search(r'url=(http://[^"]+)"', page.read_text())
    assert match, page.read_text()
    return match.group(1)


async def test_the_browser_is_opened_on_a_0600_file_that_holds_a_one_time_login(api: Api, tmp_path: Path) -> None:
    opened: list[str] = []
    page = open_browser(api.server.url, api.logins, tmp_path / "home", opener=opened.append)
    url = login_url_in(page)
    token = url.rsplit("/", 1)[1]
    assert page.name == REDIRECT_FILE and opened == [page.as_uri()] and token not in opened[0]
    assert url == f"{api.server.url}/login/{token}" and len(token) >= 43
    if os.name == "posix":
        assert stat.S_IMODE(page.stat().st_mode) == 0o600

    status, headers, _ = await api.call("GET", url.removeprefix(api.server.url))
    assert status == 302 and headers["Location"] == "/"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"tsmsyncd-csrf={api.config.csrf_token};")
    assert "SameSite=Strict" in cookie and "Path=/" in cookie and "HttpOnly" not in cookie
    assert headers["Cache-Control"] == "no-store" and headers["X-Frame-Options"] == "DENY"
    assert (await api.call("GET", "/api/v1/status", headers=api.browser()))[0] == 200  # what the page does next

    status, headers, body = await api.call("GET", url.removeprefix(api.server.url))  # a second time
    assert_envelope(body, 403, status, "login_refused")
    assert "Set-Cookie" not in headers


async def test_an_expired_or_unknown_login_is_refused(serve) -> None:
    clock = Clock()
    api = await serve(logins=Logins(clock=clock))
    token = api.logins.issue()
    clock.now += LOGIN_TTL + 1
    for attempt in (token, "x" * 43):
        status, headers, body = await api.call("GET", f"/login/{attempt}")
        assert_envelope(body, 403, status, "login_refused")
        assert "Set-Cookie" not in headers


async def test_the_cli_asks_for_a_login_with_its_key(api: Api) -> None:
    status, _, body = await api.call("POST", "/api/v1/logins")
    assert_envelope(body, 401, status, "unauthorized")
    status, _, body = await api.call("POST", "/api/v1/logins", headers=api.key())
    assert status == 201 and body["expires_in"] == int(LOGIN_TTL) and body["path"].startswith("/login/")
    assert (await api.call("GET", body["path"]))[0] == 302
    assert (await api.call("GET", body["path"]))[0] == 403


async def test_a_login_token_is_never_logged(api: Api, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    page = open_browser(api.server.url, api.logins, tmp_path, opener=lambda uri: None)
    path = login_url_in(page).removeprefix(api.server.url)
    await api.call("GET", path)
    await api.call("GET", path)
    await api.call("GET", path + "/more")
    _, _, body = await api.call("POST", "/api/v1/logins", headers=api.key())
    await api.call("GET", body["path"])
    assert "GET /login/{token} 302" in caplog.text and "GET /login/{token} 403" in caplog.text  # logged, redacted
    for token in (path.rsplit("/", 1)[1], body["path"].rsplit("/", 1)[1]):
        assert token not in caplog.text


def test_a_login_works_once_within_its_time() -> None:
    clock = Clock()
    logins = Logins(clock=clock)
    token = logins.issue()
    clock.now += LOGIN_TTL - 1
    assert logins.redeem(token) is True
    assert logins.redeem(token) is False
    assert logins.redeem("") is False


def test_pending_logins_are_bounded_oldest_first() -> None:
    logins = Logins(clock=Clock())
    tokens = [logins.issue() for _ in range(MAX_PENDING + 4)]
    assert [logins.redeem(t) for t in tokens[:4]] == [False] * 4
    assert all(logins.redeem(t) for t in tokens[4:])


def test_the_redirect_file_escapes_the_url_and_replaces_the_last_one(tmp_path: Path) -> None:
    write_redirect_file(tmp_path, "http://127.0.0.1:1/login/old")
    page = write_redirect_file(tmp_path, 'http://127.0.0.1:1/login/a"b<c')
    text = page.read_text()
    assert "old" not in text and 'a&quot;b&lt;c' in text and '"b<' not in text
    assert [p.name for p in tmp_path.iterdir()] == [REDIRECT_FILE]

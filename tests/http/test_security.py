"""The defences, each proved by real requests to a real server on 127.0.0.1: the Host check (DNS rebinding),
the API key and the CSRF pair on every /api call, no CORS, security headers on every kind of response, and
secrets that never leave except where the client sent them."""

from __future__ import annotations

import io
import logging

import pytest
from httpkit import Api, assert_envelope

# --- 1. Host ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", [
    "evil.com", "evil.com:{port}", "127.0.0.1.evil.com:{port}", "localhost:{other}", "[::1]:{other}",
    "127.0.0.1:{other}", "127.0.0.1", "localhost", "localhost.:{port}", "0.0.0.0:{port}", "[::ffff:127.0.0.1]:{port}",
    "127.0.0.2:{port}", "",
])
async def test_a_wrong_host_is_refused_with_the_envelope_even_with_the_key(api: Api, host: str) -> None:
    headers = api.key(Host=host.format(port=api.port, other=api.port + 1))
    status, _, body = await api.call("GET", "/api/v1/status", headers=headers)
    assert_envelope(body, 403, status, "host_refused")


async def test_a_wrong_host_gets_nothing_else_either_not_even_a_404_or_the_login(api: Api) -> None:
    for path in ("/nope", "/login/whatever", "/api/v1/openapi.json"):
        status, _, body = await api.call("GET", path, headers={"Host": "evil.com"})
        assert_envelope(body, 403, status, "host_refused")


async def test_a_request_without_any_host_header_is_refused(api: Api) -> None:
    key = api.config.api_key
    raw = await api.raw(f"GET /api/v1/status HTTP/1.0\r\nX-API-Key: {key}\r\nConnection: close\r\n\r\n".encode())
    assert_envelope(raw.json(), 403, raw.status, "host_refused")


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST:{port}"])
async def test_each_of_our_own_hosts_works(api: Api, host: str) -> None:
    status, _, body = await api.call("GET", "/api/v1/status", headers=api.key(Host=host.format(port=api.port)))
    assert (status, body) == (200, {"state": "idle"})


# --- 2. The key or the CSRF pair, on every /api call --------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_no_key_and_no_csrf_is_401_on_gets_and_posts(api: Api, method: str) -> None:
    path = "/api/v1/status" if method == "GET" else "/api/v1/things"
    status, _, body = await api.call(method, path, json={"name": "x"})
    assert_envelope(body, 401, status, "unauthorized")


@pytest.mark.parametrize("key", ["wrong", "", "x" * 43, "é" * 43])
async def test_a_wrong_key_is_401(api: Api, key: str) -> None:
    status, _, body = await api.call("GET", "/api/v1/status", headers={"X-API-Key": key.encode().decode("latin-1")})
    assert_envelope(body, 401, status, "unauthorized")


async def test_a_wrong_key_is_not_rescued_by_a_right_csrf_pair(api: Api) -> None:
    status, _, body = await api.call("GET", "/api/v1/status", headers=api.browser(**{"X-API-Key": "wrong"}))
    assert_envelope(body, 401, status, "unauthorized")


async def test_the_right_key_works_on_gets_and_posts(api: Api) -> None:
    assert (await api.call("GET", "/api/v1/status", headers=api.key()))[0] == 200
    status, _, body = await api.call("POST", "/api/v1/things", headers=api.key(), json={"name": "a"})
    assert (status, body) == (201, {"name": "a"})


@pytest.mark.parametrize(("cookie", "header"), [
    ("{token}", ""),               # the cookie alone: what a cross-site form or <img> sends
    ("", "{token}"),               # the header alone
    ("{token}", "{other}"),        # a mismatch
    ("{other}", "{other}"),        # equal to each other but not this daemon's: any program could send x/x
])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_broken_csrf_pair_is_403(api: Api, cookie: str, header: str, method: str) -> None:
    values = {"token": api.config.csrf_token, "other": "o" * 43}
    headers = api.browser(cookie.format(**values), header.format(**values))
    if not cookie:
        headers.pop("Cookie", None)
    status, _, body = await api.call(method, "/api/v1/things" if method == "POST" else "/api/v1/status",
                                     headers=headers, json={"name": "x"})
    assert_envelope(body, 403, status, "csrf_refused")


async def test_the_right_csrf_pair_works(api: Api) -> None:
    status, _, body = await api.call("POST", "/api/v1/things", headers=api.browser(), json={"name": "b"})
    assert (status, body) == (201, {"name": "b"})
    assert (await api.call("GET", "/api/v1/status", headers=api.browser()))[0] == 200


async def test_an_unknown_caller_learns_nothing_about_routes(api: Api) -> None:
    """401 before 404/405: without credentials every /api path looks the same."""
    for method, path in [("GET", "/api/v1/nope"), ("DELETE", "/api/v1/status"), ("GET", "/api")]:
        status, _, body = await api.call(method, path)
        assert_envelope(body, 401, status, "unauthorized")


# --- 4. No CORS -----------------------------------------------------------------------------------------

PREFLIGHT = {"Origin": "http://evil.com", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "x-api-key, content-type"}


@pytest.mark.parametrize("path", ["/api/v1/status", "/api/v1/things", "/api/v1/events", "/", "/login/x"])
async def test_a_preflight_is_refused_with_the_envelope_and_no_cors_headers(api: Api, path: str) -> None:
    status, headers, body = await api.call("OPTIONS", path, headers=PREFLIGHT)
    assert_envelope(body, 405, status, "cors_refused")
    assert not [h for h in headers if h.lower().startswith("access-control-")]


async def test_no_response_ever_carries_an_access_control_header(api: Api) -> None:
    evil = {"Origin": "http://evil.com"}
    await api.call("GET", "/api/v1/status", headers=api.key(**evil))
    await api.call("GET", "/api/v1/status", headers=evil)
    await api.call("POST", "/api/v1/things", headers=api.browser(**evil), json={"name": "c"})
    await api.call("GET", "/api/v1/nope", headers=api.key(**evil))
    await api.call("OPTIONS", "/api/v1/status", headers=api.key(**PREFLIGHT))
    assert len(api.seen) == 5
    for _, headers, _ in api.seen:
        assert not [h for h in headers if h.lower().startswith("access-control-")], headers


# --- 5. Security headers on every response --------------------------------------------------------------

def assert_security_headers(headers: object, api_path: bool) -> None:
    csp = headers["Content-Security-Policy"]  # type: ignore[index]
    for part in ("default-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"):
        assert part in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Frame-Options"] == "DENY"  # type: ignore[index]
    assert headers["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert headers["Referrer-Policy"] == "no-referrer"  # type: ignore[index]
    if api_path:
        assert headers["Cache-Control"] == "no-store"  # type: ignore[index]


@pytest.mark.parametrize(("method", "path", "status", "auth"), [
    ("GET", "/api/v1/status", 200, True),
    ("GET", "/api/v1/nope", 404, True),
    ("DELETE", "/api/v1/status", 405, True),
    ("GET", "/api/v1/boom", 500, True),
    ("GET", "/api/v1/nan", 500, True),
    ("GET", "/api/v1/status", 401, False),
    ("GET", "/api/v1/stream", 200, True),  # a prepared, streamed response
    ("GET", "/login/unknown", 403, False),
    ("GET", "/nope", 404, False),
])
async def test_security_headers_are_on_every_response(api: Api, method: str, path: str, status: int,
                                                      auth: bool) -> None:
    got, headers, _ = await api.call(method, path, headers=api.key() if auth else {})
    assert got == status
    assert_security_headers(headers, api_path=path.startswith(("/api", "/login")))


async def test_security_headers_are_on_a_413_and_a_wrong_host(api: Api) -> None:
    body = io.BytesIO(b"{" + b" " * (2 << 20))
    got, headers, _ = await api.call("POST", "/api/v1/things", headers=api.key(), data=body)
    assert got == 413
    assert_security_headers(headers, api_path=True)
    got, headers, _ = await api.call("GET", "/api/v1/status", headers={"Host": "evil.com"})
    assert got == 403 and "ws://evil.com" not in headers["Content-Security-Policy"]
    assert_security_headers(headers, api_path=True)


async def test_the_csp_lets_the_page_open_its_own_websocket(api: Api) -> None:
    _, headers, _ = await api.call("GET", "/api/v1/status", headers=api.key())
    assert f"connect-src 'self' ws://{api.host}" in headers["Content-Security-Policy"]


# --- Secrets ---------------------------------------------------------------------------------------------

async def test_secrets_never_leave_in_a_response_or_a_log(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """The API key and the CSRF token never appear in a body or header we send back (the login's
    Set-Cookie is the one place the CSRF token is handed out), nor in any log line, whatever happens."""
    caplog.set_level(logging.DEBUG)
    key, csrf = api.config.api_key, api.config.csrf_token
    for headers in (api.key(), api.browser(), {"X-API-Key": key[:-1]}, api.browser(header="z" * 43), {}):
        for method, path in [("GET", "/api/v1/status"), ("GET", "/api/v1/boom"), ("GET", "/api/v1/nan"),
                             ("POST", "/api/v1/things"), ("GET", "/api/v1/openapi.json"), ("GET", "/nope"),
                             ("OPTIONS", "/api/v1/status"), ("GET", "/api/v1/nope")]:
            await api.call(method, path, headers=headers, data=b'{"name": 5}')
    await api.call("GET", "/api/v1/status", headers={**api.key(), "Host": "evil.com"})
    assert len(api.seen) == 41
    for _, headers, body in api.seen:
        text = body.decode("latin-1") + "".join(f"{k}: {v}" for k, v in headers.items())
        assert key not in text and csrf not in text and key[:-1] not in text
    assert key not in caplog.text and csrf not in caplog.text
    assert "boom: a detail" in caplog.text and "Traceback" in caplog.text  # the log has what the answer lacks
    assert key not in repr(api.config) and csrf not in repr(api.config)

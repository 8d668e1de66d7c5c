"""What the HTTP tests share: a few test-only views and their route table, the client (``Api``) that
speaks to a running app with aiohttp or, where aiohttp's client would fix the request up (a missing Host,
a raw WebSocket handshake), with raw bytes over a socket, and the envelope's check."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from tsmsyncd.errors import FieldError, GameRunningError
from tsmsyncd.http.app import HttpConfig, Route, Server
from tsmsyncd.http.errors import json_response, read_json
from tsmsyncd.http.launch import Logins
from tsmsyncd.http.security import COOKIE, CSRF_HEADER, KEY_HEADER


async def status_view(request: web.Request) -> web.StreamResponse:
    return json_response({"state": "idle"})


async def create_thing(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise FieldError("name", "must be a non-empty string")
    if name == "busy":
        raise GameRunningError("World of Warcraft is running; the file was left alone")
    return json_response({"name": name}, status=201)


async def nan_view(request: web.Request) -> web.StreamResponse:
    return json_response({"value": float("nan")})


async def boom_view(request: web.Request) -> web.StreamResponse:
    raise RuntimeError("boom: a detail that must stay in the log")


async def stream_view(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    await response.write(b"streamed")
    return response


async def big_view(request: web.Request) -> web.StreamResponse:
    return json_response({"keys": len(await read_json(request))}, status=202)


THING = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
SAMPLE_ROUTES = [
    Route("GET", "/api/v1/status", status_view, summary="The daemon's state", response={"type": "object"}),
    Route("POST", "/api/v1/things", create_thing, summary="Create a thing", request=THING, response=THING,
          status=201),
    Route("GET", "/api/v1/things/{name}", status_view, summary="One thing"),
    Route("GET", "/api/v1/nan", nan_view),
    Route("GET", "/api/v1/boom", boom_view),
    Route("GET", "/api/v1/stream", stream_view),
    Route("POST", "/api/v1/big", big_view, max_body=4 * 1024 * 1024, status=202),
]


@dataclass
class Raw:
    status: int
    headers: CIMultiDict[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Api:
    server: Server
    config: HttpConfig
    session: aiohttp.ClientSession
    logins: Logins
    seen: list[tuple[int, CIMultiDict[str], bytes]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://{self.host}"

    def url(self, path: str) -> str:
        return self.server.url + path

    def key(self, **extra: str) -> dict[str, str]:
        return {KEY_HEADER: self.config.api_key, **extra}

    def browser(self, token: str | None = None, header: str | None = None, **extra: str) -> dict[str, str]:
        """What the page sends: the cookie and the same value in the header (override either, or drop one
        with an empty string)."""
        token = self.config.csrf_token if token is None else token
        header = token if header is None else header
        headers = dict(extra)
        if token:
            headers["Cookie"] = f"{COOKIE}={token}"
        if header:
            headers[CSRF_HEADER] = header
        return headers

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, CIMultiDict[str], Any]:
        """One request; (status, headers, parsed JSON or the text). Every answer is kept in ``seen``."""
        kw.setdefault("allow_redirects", False)
        async with self.session.request(method, self.url(path), **kw) as resp:
            body = await resp.read()
        self.seen.append((resp.status, CIMultiDict(resp.headers), body))
        is_json = resp.headers.get("Content-Type", "").startswith("application/json")
        return resp.status, CIMultiDict(resp.headers), json.loads(body) if is_json else body.decode("latin-1")

    async def raw(self, request: bytes) -> Raw:
        """Send exactly these bytes (add ``Connection: close``) and read the whole answer."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(request)
        await writer.drain()
        data = await reader.read()
        writer.close()
        await writer.wait_closed()
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers: CIMultiDict[str] = CIMultiDict()
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.add(name.strip(), value.strip())
        if headers.get("Transfer-Encoding") == "chunked":
            body = _unchunk(body)
        self.seen.append((int(lines[0].split()[1]), headers, body))
        return Raw(int(lines[0].split()[1]), headers, body)


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size, _, rest = data.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        out, data = out + rest[:n], rest[n + 2:]
    return out


def assert_envelope(body: object, status: int, got: int, code: str | None = None) -> None:
    """The one error shape: {"ok": false, "error": {"code", "message"[, "field"]}}."""
    assert got == status, body
    assert isinstance(body, dict) and set(body) == {"ok", "error"} and body["ok"] is False, body
    assert set(body["error"]) <= {"code", "message", "field"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body

"""The events WebSocket over a real connection: who may connect (key, or cookie + our own Origin), the
status first, since= replay and the missed flag, live events, a slow client dropped with a reason, client
messages and their errors, heartbeats, the upgrade's headers, and closing on shutdown."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from httpkit import Api, assert_envelope

from tsmsyncd.errors import FieldError
from tsmsyncd.events import EventBus, EventType
from tsmsyncd.http.ws import ClientMessage, events_route

PATH = "/api/v1/events"


def status() -> dict[str, Any]:
    return {"state": "idle"}


async def events_api(serve, bus: EventBus, **kw: Any) -> Api:
    return await serve([events_route(bus, kw.pop("status", status), **kw)])


async def connect(api: Api, query: str = "", **headers: str) -> aiohttp.ClientWebSocketResponse:
    return await api.session.ws_connect(api.url(PATH + query), headers=headers or api.key(), autoping=True)


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type == WSMsgType.TEXT, msg
    return json.loads(msg.data)


# --- who may connect --------------------------------------------------------------------------------------

@pytest.mark.parametrize("origin", ["http://evil.com", "http://127.0.0.1:{other}", "https://127.0.0.1:{port}",
                                    "null", "http://127.0.0.1.evil.com:{port}"])
async def test_a_cross_origin_socket_is_refused_before_the_upgrade(serve, origin: str) -> None:
    api = await events_api(serve, EventBus())
    headers = api.browser(header="", Origin=origin.format(port=api.port, other=api.port + 1))
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(api, **headers)
    assert refused.value.status == 403
    status, _, body = await api.call("GET", PATH, headers=headers)
    assert_envelope(body, 403, status, "origin_refused")


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({}, 401, "unauthorized"),
    ({"X-API-Key": "wrong"}, 401, "unauthorized"),
    ({"Cookie": "tsmsyncd-csrf={csrf}"}, 403, "origin_refused"),  # a cookie without any Origin
    ({"Cookie": "tsmsyncd-csrf=" + "o" * 43, "Origin": "{origin}"}, 403, "csrf_refused"),  # another daemon's
])
async def test_without_the_key_or_a_right_cookie_and_origin_no_socket(serve, headers: dict, status: int,
                                                                      code: str) -> None:
    api = await events_api(serve, EventBus())
    values = {"csrf": api.config.csrf_token, "origin": api.origin}
    headers = {k: v.format(**values) for k, v in headers.items()}
    got, _, body = await api.call("GET", PATH, headers={**headers, "Upgrade": "websocket", "Connection": "Upgrade"})
    assert_envelope(body, status, got, code)


async def test_the_key_or_the_cookie_with_our_own_origin_connects(serve) -> None:
    api = await events_api(serve, EventBus())
    for headers in (api.key(), api.browser(header="", Origin=api.origin),
                    api.browser(header="", Origin=f"http://localhost:{api.port}")):
        ws = await connect(api, **headers)
        assert (await receive(ws))["type"] == "status"
        await ws.close()


# --- what is sent -----------------------------------------------------------------------------------------

async def test_the_status_comes_first_with_the_newest_id_then_live_events(serve) -> None:
    bus = EventBus()
    for i in range(3):
        bus.publish(EventType.PROGRESS, {"i": i})

    async def async_status() -> dict[str, Any]:
        return {"state": "refreshing"}

    api = await events_api(serve, bus, status=async_status)
    ws = await connect(api)
    first = await receive(ws)
    assert first["type"] == "status" and first["id"] == 3 and first["at"].endswith("Z")
    assert first["data"] == {"state": "refreshing", "missed": False}
    bus.publish(EventType.TARGET_STATE, {"id": "t1", "state": "pending"})
    bus.publish(EventType.APPLY_APPLIED, {"id": "t1"})
    got = [await receive(ws), await receive(ws)]
    assert [(m["id"], m["type"]) for m in got] == [(4, "target.state"), (5, "apply.applied")]
    assert got[0]["data"] == {"id": "t1", "state": "pending"}
    await ws.close()


async def test_since_replays_what_the_buffer_holds_after_it(serve) -> None:
    bus = EventBus()
    for i in range(5):
        bus.publish(EventType.PROGRESS, {"i": i})
    api = await events_api(serve, bus)
    ws = await connect(api, "?since=2")
    first = await receive(ws)
    assert (first["id"], first["data"]["missed"]) == (5, False)
    assert [(await receive(ws))["id"] for _ in range(3)] == [3, 4, 5]
    bus.publish(EventType.PROGRESS, {"i": 5})
    assert (await receive(ws))["id"] == 6
    await ws.close()


@pytest.mark.parametrize(("since", "replayed"), [(1, [8, 9, 10]), (50, [])])
async def test_the_status_says_missed_when_since_is_older_than_the_buffer_or_from_another_life(
        serve, since: int, replayed: list[int]) -> None:
    """since=1 with a buffer of 3 after 10 events: 2..7 are gone. since=50 when the bus is at 10: the
    client saw another daemon process's ids, so it has missed everything."""
    bus = EventBus(buffer=3)
    for i in range(10):
        bus.publish(EventType.PROGRESS, {"i": i})
    api = await events_api(serve, bus)
    ws = await connect(api, f"?since={since}")
    first = await receive(ws)
    assert first["data"]["missed"] is True and first["id"] == 10
    assert [(await receive(ws))["id"] for _ in replayed] == replayed
    await ws.close()


async def test_an_event_that_is_not_valid_json_is_logged_and_skipped_never_sent_broken(
        serve, caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    api = await events_api(serve, bus)
    ws = await connect(api)
    await receive(ws)
    bus.publish(EventType.PROGRESS, {"ratio": float("nan")})
    bus.publish(EventType.PROGRESS, {"ratio": 0.5})
    got = await receive(ws)
    assert (got["id"], got["data"]) == (2, {"ratio": 0.5})
    assert "event 1 (progress) is not valid JSON; not sent" in caplog.text
    await ws.close()


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "", "%C2%B2", "1&since=2", "9" * 19])
async def test_a_since_that_is_not_a_non_negative_integer_is_400_before_the_upgrade(serve, since: str) -> None:
    api = await events_api(serve, EventBus())
    status, _, body = await api.call("GET", f"{PATH}?since={since}", headers=api.key())
    assert_envelope(body, 400, status, "invalid_field")
    assert body["error"]["field"] == "since"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(api, f"?since={since}")
    assert refused.value.status == 400


async def test_a_plain_get_of_the_socket_is_a_400_envelope(serve) -> None:
    api = await events_api(serve, EventBus())
    status, _, body = await api.call("GET", PATH, headers=api.key())
    assert_envelope(body, 400, status, "bad_request")


async def test_a_slow_client_is_dropped_with_a_reason_naming_where_to_resume(serve) -> None:
    bus = EventBus(queue_size=2)
    api = await events_api(serve, bus)
    ws = await connect(api)
    assert (await receive(ws))["id"] == 0
    for i in range(10):  # all at once, before the server's writer runs: more than its queue holds
        bus.publish(EventType.PROGRESS, {"i": i})
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type == WSMsgType.CLOSE and msg.data == 1013, msg
    assert msg.extra == "too slow, dropped: reconnect with since=0"
    assert bus.subscribers == 0
    ws = await connect(api, "?since=0")  # and catching up works
    assert (await receive(ws))["data"]["missed"] is False
    assert [(await receive(ws))["id"] for _ in range(10)] == list(range(1, 11))
    await ws.close()


# --- client messages --------------------------------------------------------------------------------------

async def test_client_messages_reach_the_callback_and_bad_ones_get_an_error_back(serve) -> None:
    got: list[ClientMessage] = []
    both = asyncio.Event()

    async def on_message(message: ClientMessage) -> None:
        if message.type == "watch.fail":
            raise FieldError("item", "must look like i:190396")
        if message.type == "watch.crash":
            raise RuntimeError("a bug")
        got.append(message)
        if len(got) == 2:
            both.set()

    api = await events_api(serve, EventBus(), on_message=on_message)
    ws = await connect(api)
    await receive(ws)
    cases = [
        ("{not json", "invalid_field", "message"),
        ("[1]", "invalid_field", "message"),
        ('{"type": 5}', "invalid_field", "type"),
        ('{"type": "watch.add", "data": [1]}', "invalid_field", "data"),
        ('{"type": "watch.add", "extra": 1}', "invalid_field", "extra"),
        ('{"type": "watch.add", "type": "watch.delete"}', "invalid_field", "message"),
        ('{"type": "watch.fail", "data": {}}', "invalid_field", "item"),
        ('{"type": "watch.crash"}', "internal_error", None),
    ]
    for text, code, field in cases:
        await ws.send_str(text)
        answer = await receive(ws)
        assert answer["type"] == "error" and answer["error"]["code"] == code, (text, answer)
        assert answer["error"].get("field") == field, (text, answer)
    await ws.send_bytes(b"\x00")
    assert (await receive(ws))["error"]["code"] == "invalid_message"
    await ws.send_str('{"type": "watch.add", "data": {"item": "i:190396"}}')
    await ws.send_str('{"type": "watch.check"}')
    await asyncio.wait_for(both.wait(), 5)  # the socket lived on after every error
    await ws.close()
    assert got == [ClientMessage("watch.add", {"item": "i:190396"}), ClientMessage("watch.check", {})]


async def test_without_a_callback_a_message_is_answered_unsupported(serve) -> None:
    api = await events_api(serve, EventBus())
    ws = await connect(api)
    await receive(ws)
    await ws.send_str('{"type": "watch.add", "data": {}}')
    assert (await receive(ws))["error"]["code"] == "unsupported_message"
    await ws.close()


# --- the connection itself --------------------------------------------------------------------------------

async def test_a_dead_client_is_noticed_by_the_heartbeat(serve) -> None:
    bus = EventBus()
    api = await events_api(serve, bus, heartbeat=0.05)
    ws = await api.session.ws_connect(api.url(PATH), headers=api.key(), autoping=False)  # never answers pings
    await receive(ws)
    while (msg := await asyncio.wait_for(ws.receive(), 5)).type == WSMsgType.PING:
        pass
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR), msg


async def test_the_upgrade_response_carries_the_security_headers(serve) -> None:
    api = await events_api(serve, EventBus())
    key = base64.b64encode(os.urandom(16)).decode()
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    writer.write((f"GET {PATH} HTTP/1.1\r\nHost: {api.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Cookie: tsmsyncd-csrf={api.config.csrf_token}\r\nOrigin: {api.origin}\r\n\r\n").encode())
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode("latin-1").lower()
    writer.close()
    await writer.wait_closed()
    assert head.startswith("http/1.1 101")
    for line in ("content-security-policy: default-src 'self'", "x-frame-options: deny",
                 "x-content-type-options: nosniff", "referrer-policy: no-referrer", "cache-control: no-store"):
        assert line in head, head
    assert "access-control" not in head


async def test_shutdown_closes_open_sockets_as_going_away(serve) -> None:
    api = await events_api(serve, EventBus())
    ws = await connect(api)
    await receive(ws)
    closing = asyncio.create_task(api.server.close())
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type == WSMsgType.CLOSE and msg.data == 1001
    await ws.close()
    await closing

"""The app factory: the config's secrets and limits, the route table (secure by default, one row per method
and path), the order of the layers as requests see it, and a server that binds loopback only."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aiohttp import web
from httpkit import Api, assert_envelope

from tsmsyncd.errors import SettingsError
from tsmsyncd.http.app import HttpConfig, Route, build_app, middlewares, new_api_key, start_server
from tsmsyncd.http.errors import envelope, json_response


async def hello(request: web.Request) -> web.StreamResponse:
    return json_response({"hello": True})


def test_a_new_key_is_long_random_and_url_safe() -> None:
    keys = {new_api_key() for _ in range(50)}
    assert len(keys) == 50 and all(len(k) >= 32 and k.replace("-", "").replace("_", "").isalnum() for k in keys)
    config = HttpConfig()
    assert config.api_key != config.csrf_token and HttpConfig().csrf_token != config.csrf_token


@pytest.mark.parametrize(("options", "field"), [
    ({"api_key": "short"}, "api_key"),
    ({"api_key": "x" * 31}, "api_key"),
    ({"api_key": "a b" * 20}, "api_key"),
    ({"csrf_token": "é" * 40}, "csrf_token"),
    ({"max_body": 0}, "max_body"),
])
def test_a_weak_secret_or_a_wrong_limit_is_refused(options: dict, field: str) -> None:
    with pytest.raises(SettingsError) as refused:
        HttpConfig(**options)
    assert refused.value.field == field


def test_nothing_is_allowed_before_the_port_is_known() -> None:
    config = HttpConfig()
    assert config.hosts == frozenset() and config.origins == frozenset()
    config.bind(47810)
    assert config.hosts == {"127.0.0.1:47810", "localhost:47810", "[::1]:47810"}
    assert "http://[::1]:47810" in config.origins


def test_a_server_mode_app_is_refused_without_its_tokens_and_limits() -> None:
    config = HttpConfig(server_mode=True)
    with pytest.raises(SettingsError) as refused:
        build_app(config, [])
    assert refused.value.field == "server_mode"


def test_two_routes_for_one_method_and_path_are_refused() -> None:
    with pytest.raises(ValueError, match="two routes for GET /api/v1/x"):
        build_app(HttpConfig(), [Route("GET", "/api/v1/x", hello), Route("GET", "/api/v1/x", hello)])


def test_the_envelope_is_the_outermost_layer() -> None:
    assert middlewares(HttpConfig(), lambda request: None)[0] is envelope


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.com", "::"])
async def test_the_server_binds_loopback_only(host: str) -> None:
    with pytest.raises(SettingsError) as refused:
        await start_server(build_app(HttpConfig(), []), host=host)
    assert refused.value.field == "host"


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 loopback here")
async def test_the_server_may_bind_ipv6_loopback() -> None:
    config = HttpConfig()
    server = await start_server(build_app(config, [Route("GET", "/api/v1/hello", hello)]), host="::1")
    try:
        assert server.url == f"http://[::1]:{server.port}" and config.port == server.port
        async with aiohttp.ClientSession() as session, session.get(
                server.url + "/api/v1/hello", headers={"X-API-Key": config.api_key}) as resp:
            assert resp.status == 200 and await resp.json() == {"hello": True}
    finally:
        await server.close()


async def test_the_config_learns_the_port_the_server_got(api: Api) -> None:
    assert api.port > 0 and api.config.port == api.port and api.server.url == f"http://127.0.0.1:{api.port}"


async def test_routes_need_auth_unless_they_say_otherwise_in_or_outside_api(serve) -> None:
    api = await serve([Route("GET", "/api/v1/health", hello, auth=False), Route("GET", "/private", hello)])
    assert (await api.call("GET", "/api/v1/health"))[0] == 200
    status, _, body = await api.call("GET", "/private")
    assert_envelope(body, 401, status, "unauthorized")
    assert (await api.call("GET", "/private", headers=api.key()))[0] == 200


async def test_the_layers_answer_in_their_order(api: Api) -> None:
    """Host first (even a preflight with a wrong Host is 403), then no-CORS (a preflight is 405, not 401),
    then credentials (401 before the router's 404/405)."""
    assert (await api.call("OPTIONS", "/api/v1/status", headers={"Host": "evil.com"}))[0] == 403
    assert (await api.call("OPTIONS", "/api/v1/status"))[0] == 405
    assert (await api.call("GET", "/api/v1/nope"))[0] == 401
    assert (await api.call("GET", "/api/v1/nope", headers=api.key()))[0] == 404


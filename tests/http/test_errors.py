"""One JSON error envelope for every /api failure, aiohttp's own 404/405/413 included; strict JSON in (the
body is parsed like every other document of ours) and out (NaN is a 500 envelope, never invalid JSON)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from httpkit import Api, assert_envelope

from tsmsyncd import errors as e
from tsmsyncd.http.app import Route
from tsmsyncd.http.errors import describe, json_response

# --- bodies in --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "says"), [
    (b'{"name": ', "is not valid JSON"),
    (b'{"name": "a", "name": "b"}', "twice"),
    (b'{"name": NaN}', "NaN"),
    (b'{"name": 1' + b"0" * 5000 + b"}", "digits"),
    (b"[" * 100_000 + b"]" * 100_000, "nests more than"),
    (b"[1, 2]", "must be a JSON object, not an array"),
    (b'"name"', "must be a JSON object, not a string"),
    (b"null", "not null"),
    (b"", "is empty"),
    (b"\xff\xfe{}", "not UTF-8"),
])
async def test_a_body_that_is_not_one_strict_json_object_is_400_naming_body(api: Api, body: bytes, says: str) -> None:
    status, _, got = await api.call("POST", "/api/v1/things", headers=api.key(), data=body)
    assert_envelope(got, 400, status, "invalid_field")
    assert got["error"]["field"] == "body" and says in got["error"]["message"], got


@pytest.mark.parametrize("body", [{"name": 5}, {"name": ""}, {}])
async def test_a_wrong_field_is_400_naming_that_field(api: Api, body: dict) -> None:
    status, _, got = await api.call("POST", "/api/v1/things", headers=api.key(), json=body)
    assert_envelope(got, 400, status, "invalid_field")
    message = "field name: must be a non-empty string"
    assert got["error"] == {"code": "invalid_field", "field": "name", "message": message}


async def test_an_oversize_body_is_413_by_its_length_or_as_it_streams(api: Api) -> None:
    big = b'{"name": "' + b"a" * (1024 * 1024) + b'"}'
    status, _, got = await api.call("POST", "/api/v1/things", headers=api.key(), data=io.BytesIO(big))
    assert_envelope(got, 413, status, "body_too_large")
    assert "1,048,576 bytes" in got["error"]["message"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(24):
            yield b" " * 65536
    status, headers, got = await api.call("POST", "/api/v1/things", headers=api.key(), data=chunks())
    assert_envelope(got, 413, status, "body_too_large")


async def test_a_route_may_take_a_bigger_body_and_still_has_a_cap(api: Api) -> None:
    doc = json.dumps({f"k{i}": "v" * 1000 for i in range(2000)}).encode()  # ~2 MB
    status, _, got = await api.call("POST", "/api/v1/big", headers=api.key(), data=io.BytesIO(doc))
    assert (status, got) == (202, {"keys": 2000})
    status, _, got = await api.call("POST", "/api/v1/big", headers=api.key(), data=io.BytesIO(doc * 3))
    assert_envelope(got, 413, status, "body_too_large")


async def test_aiohttps_own_413_is_the_envelope_too(serve) -> None:
    async def reads_raw(request: web.Request) -> web.StreamResponse:
        return json_response({"size": len(await request.read())})

    api = await serve([Route("POST", "/api/v1/raw", reads_raw)])
    status, _, got = await api.call("POST", "/api/v1/raw", headers=api.key(), data=io.BytesIO(b"x" * (2 << 20)))
    assert_envelope(got, 413, status, "body_too_large")


# --- failures out -----------------------------------------------------------------------------------------

async def test_a_view_returning_nan_is_a_logged_500_envelope_in_valid_json(api: Api,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    async with api.session.get(api.url("/api/v1/nan"), headers=api.key()) as resp:
        text = await resp.text()
    assert resp.status == 500 and "NaN" not in text
    assert_envelope(json.loads(text), 500, resp.status, "internal_error")
    assert "Out of range float values are not JSON compliant" in caplog.text


async def test_an_unhandled_exception_is_a_500_that_keeps_its_detail_in_the_log(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    status, _, got = await api.call("GET", "/api/v1/boom", headers=api.key())
    assert_envelope(got, 500, status, "internal_error")
    assert "boom" not in json.dumps(got) and "Traceback" not in json.dumps(got)
    assert "unhandled error in GET /api/v1/boom" in caplog.text and "boom: a detail" in caplog.text


async def test_an_unknown_route_is_a_404_envelope(api: Api) -> None:
    status, _, got = await api.call("GET", "/api/v1/nope", headers=api.key())
    assert_envelope(got, 404, status, "not_found")
    status, _, got = await api.call("GET", "/nope")
    assert_envelope(got, 404, status, "not_found")


async def test_a_wrong_method_is_a_405_envelope_saying_what_is_allowed(api: Api) -> None:
    status, headers, got = await api.call("DELETE", "/api/v1/things", headers=api.key())
    assert_envelope(got, 405, status, "method_not_allowed")
    assert headers["Allow"] == "POST" and "allowed: POST" in got["error"]["message"]


async def test_the_game_running_is_409(api: Api) -> None:
    status, _, got = await api.call("POST", "/api/v1/things", headers=api.key(), json={"name": "busy"})
    assert_envelope(got, 409, status, "game_running")


# --- the mapping of our errors ----------------------------------------------------------------------------

CASES = [
    (e.FieldError("realm", "must be a number"), 400, "invalid_field", "realm"),
    (e.GroupSetError("groups[2].path[0]", "is empty"), 400, "invalid_field", "groups[2].path[0]"),
    (e.SettingsError("region", "must be us, eu, kr or tw"), 400, "invalid_field", "region"),
    (e.RootError("Herbs", "the root Herbs is the player's own group"), 400, "invalid_field", "root"),
    (e.RuleError("Flips.subgroups[0].criteria", "is empty"), 400, "invalid_field", "Flips.subgroups[0].criteria"),
    (e.InputError("the input is wrong"), 400, "invalid_input", None),
    (e.NotFoundError("there is no target 'x'"), 404, "not_found", None),
    (e.LuaLimitError("loading it ran past the instruction limit"), 400, "invalid_input", None),
    (e.CriteriaError(3, "a number", "criteria: expected a number at 3"), 400, "invalid_input", None),
    (e.SavedVariablesError("TradeSkillMaster.lua is not TSM4"), 400, "invalid_input", None),
    (e.ProfileError("no profile Alt"), 400, "invalid_input", None),
    (e.CredentialsError("Blizzard refused the client id/secret"), 400, "blizzard_credentials", None),
    (e.BlizzardError("talking to Blizzard failed"), 502, "blizzard_unavailable", None),
    (e.ApiError("Blizzard answered 503 three times", 503), 502, "blizzard_unavailable", None),
    (e.SnapshotError("the snapshot is not JSON"), 502, "blizzard_unavailable", None),
    (e.GroupServerError("the group server did not answer", None), 502, "group_server_unavailable", None),
    (e.GameRunningError("World of Warcraft is running"), 409, "game_running", None),
    (e.FileChangedError("the file changed on disk"), 409, "file_changed", None),
    (e.ApplyError("writing failed; the original file is in place"), 500, "apply_failed", None),
    (e.VerifyError("the written file did not verify; the original is back"), 500, "apply_failed", None),
    (e.BackupError("the backup could not be written"), 500, "apply_failed", None),
    (e.StateError("tsmsyncd.db is damaged: remove it and restart"), 503, "state_damaged", None),
    (e.UpdateError("signature", "the manifest's signature does not verify; refused"), 502, "update_refused", None),
    (e.BusyError("a merge is running; try again when it has finished"), 409, "busy", None),
    (e.TsmSyncError("something of ours"), 500, "error", None),
]


def test_every_error_class_of_ours_has_a_mapping_case() -> None:
    assert {type(case[0]).__name__ for case in CASES} == set(e.__all__)


@pytest.mark.parametrize(("error", "status", "code", "field"), CASES, ids=[type(c[0]).__name__ for c in CASES])
async def test_our_errors_map_to_one_status_code_and_field(serve, error: Exception, status: int, code: str,
                                                           field: str | None) -> None:
    async def raises(request: web.Request) -> web.StreamResponse:
        raise error

    api = await serve([Route("GET", "/api/v1/raises", raises)])
    got_status, _, got = await api.call("GET", "/api/v1/raises", headers=api.key())
    assert_envelope(got, status, got_status, code)
    assert got["error"].get("field") == field and got["error"]["message"] == str(error)
    assert describe(error)[:2] == (status, code)  # type: ignore[arg-type]


async def test_successes_use_their_own_status(api: Api) -> None:
    assert (await api.call("GET", "/api/v1/status", headers=api.key()))[0] == 200
    assert (await api.call("POST", "/api/v1/things", headers=api.key(), json={"name": "n"}))[0] == 201
    assert (await api.call("POST", "/api/v1/big", headers=api.key(), json={}))[0] == 202


async def test_a_server_error_is_logged_as_a_warning_with_our_message(serve, caplog: pytest.LogCaptureFixture) -> None:
    async def damaged(request: web.Request) -> web.StreamResponse:
        raise e.StateError("tsmsyncd.db is damaged")

    api = await serve([Route("GET", "/api/v1/damaged", damaged)])
    with caplog.at_level(logging.WARNING):
        await api.call("GET", "/api/v1/damaged", headers=api.key())
    assert "GET /api/v1/damaged failed: tsmsyncd.db is damaged" in caplog.text

"""The full API of the real daemon (``tsmsyncd run --headless`` on a sandbox install and the fake Blizzard
server): every route answers as the OpenAPI document says, successes and failures alike; the security
layers hold on every route of the real table; and the player's actions (apply, undo, restore, rules,
settings, credentials) do what they say (issue 13)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import jsonschema
import pytest
import pytest_asyncio
from daemon_harness import SECRET, Daemon, Game, wait_for, warm

from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.store.backups import BackupStore

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def daemon(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Daemon]:
    async with FakeBlizzard(commodity_rows=1500, realm_rows=1000) as fake:
        tmp = tmp_path_factory.mktemp("api")
        d = Daemon(tmp, fake)
        # Autostart writes under the daemon's HOME: a home of its own, never the real one's login items.
        d.env.update(HOME=str(tmp / "user"), XDG_CONFIG_HOME=str(tmp / "user" / ".config"))
        await d.start()
        await warm(d)
        for target in await d.targets():
            if target["flavor"] == "retail":
                status, body = await d.api("PATCH", f"/api/v1/targets/{target['id']}", {"mode": "merge"})
                assert status == 200, body
        await wait_for(lambda: _all_applied(d), 90, "every merging target applied")
        yield d
        if d.proc is not None and d.proc.returncode is None:
            d.proc.kill()
            await d.proc.wait()
        await d.close_session()


async def _all_applied(d: Daemon) -> bool:
    return all(t["state"] == "applied" for t in await d.targets() if t["mode"] == "merge")


async def merging(d: Daemon) -> dict[str, Any]:
    return next(t for t in await d.targets() if t["mode"] == "merge")


async def settle(d: Daemon) -> None:
    """The route walk asks for a refresh and changes the rules; the newer groups that refresh makes are
    (rightly) applied. Wait until that is over, so a test sees only what it does itself."""
    async def settled() -> bool:
        _, status = await d.api("GET", "/api/v1/status")
        return status["state"] != "refreshing" and not status["jobs_running"] and await _all_applied(d)

    await wait_for(settled, 120, "the daemon to settle with every merging target applied")


async def request(d: Daemon, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any, Any]:
    assert d.session is not None
    sent = {"X-API-Key": d.info["api_key"], **headers}
    async with d.session.request(method, d.info["url"] + path, json=body, headers=sent) as resp:
        return resp.status, await resp.json(content_type=None), resp.headers


# -- every route, against the document ------------------------------------------------------------------


def examples(target: dict[str, Any], backup: str) -> dict[tuple[str, str], list[tuple[str, Any, int]]]:
    """Per documented operation: (concrete path, body, expected status), a success and a failure at least."""
    tid, file = target["id"], quote(target["file"])
    realm = target["realm"]["connected_realm_id"]
    rule = {"name": "Cheap Herbs", "criteria": {"where": "min_buyout < 50s and sold_per_day >= 1", "limit": 10}}
    return {
        ("get", "/api/v1/status"): [("/api/v1/status", None, 200)],
        ("post", "/api/v1/refresh"): [("/api/v1/refresh", None, 202)],
        ("post", "/api/v1/pause"): [("/api/v1/pause", {"paused": False}, 200), ("/api/v1/pause", {"paused": 1}, 400)],
        ("get", "/api/v1/targets"): [("/api/v1/targets", None, 200)],
        ("patch", "/api/v1/targets/{id}"): [(f"/api/v1/targets/{tid}", {"mode": "merge"}, 200),
                                            (f"/api/v1/targets/{tid}", {"mode": "always"}, 400),
                                            ("/api/v1/targets/nope", {"mode": "off"}, 404)],
        ("get", "/api/v1/targets/{id}/plan"): [(f"/api/v1/targets/{tid}/plan", None, 200),
                                               ("/api/v1/targets/nope/plan", None, 404)],
        ("post", "/api/v1/targets/{id}/apply"): [(f"/api/v1/targets/{tid}/apply", None, 202),
                                                 ("/api/v1/targets/nope/apply", None, 404)],
        ("post", "/api/v1/targets/{id}/undo"): [("/api/v1/targets/nope/undo", None, 404)],
        ("get", "/api/v1/installs"): [("/api/v1/installs", None, 200)],
        ("post", "/api/v1/auth/token"): [("/api/v1/auth/token",
                                          {"client_id": "fake-client-id", "client_secret": SECRET}, 200),
                                         ("/api/v1/auth/token", {"client_id": "fake-client-id",
                                                                 "client_secret": "not-it"}, 400),
                                         ("/api/v1/auth/token", {"client_id": "x"}, 400)],
        ("get", "/api/v1/settings"): [("/api/v1/settings", None, 200)],
        ("patch", "/api/v1/settings"): [("/api/v1/settings", {"watch_seconds": 0.5}, 200),
                                        ("/api/v1/settings", {"region": "cn"}, 400),
                                        ("/api/v1/settings", {"colour": "blue"}, 400)],
        ("get", "/api/v1/realms"): [("/api/v1/realms", None, 200)],
        ("get", "/api/v1/realms/{region}"): [("/api/v1/realms/us?q=kil", None, 200),
                                             ("/api/v1/realms/xx", None, 400)],
        ("get", "/api/v1/market-data/{realm_id}"): [(f"/api/v1/market-data/{realm}?limit=5&q=bloom", None, 200),
                                                   ("/api/v1/market-data/999999", None, 404),
                                                   (f"/api/v1/market-data/{realm}?sort=price", None, 400)],
        ("get", "/api/v1/market-data/{realm_id}/raw"): [(f"/api/v1/market-data/{realm}/raw?item=i:2447", None, 200),
                                                       (f"/api/v1/market-data/{realm}/raw", None, 400)],
        ("get", "/api/v1/items"): [("/api/v1/items?q=bloom", None, 200), ("/api/v1/items", None, 400)],
        ("get", "/api/v1/items/{item}/history"): [(f"/api/v1/items/i:2447/history?realm={realm}", None, 200),
                                                  ("/api/v1/items/i:2447/history?realm=999999", None, 404),
                                                  (f"/api/v1/items/bloom/history?realm={realm}", None, 400)],
        ("get", "/api/v1/groups/{realm_id}"): [(f"/api/v1/groups/{realm}", None, 200),
                                               ("/api/v1/groups/999999", None, 404),
                                               ("/api/v1/groups/abc", None, 400)],
        ("get", "/api/v1/groups/{realm_id}/diff"): [(f"/api/v1/groups/{realm}/diff", None, 200),
                                                    ("/api/v1/groups/999999/diff", None, 404)],
        ("get", "/api/v1/groups/{realm_id}/preview"): [(f"/api/v1/groups/{realm}/preview", None, 200),
                                                       (f"/api/v1/groups/{realm}/preview?flavor=tbc", None, 400)],
        ("post", "/api/v1/groups/custom"): [(f"/api/v1/groups/custom?realm={realm}", rule, 201),
                                            ("/api/v1/groups/custom", {"name": ""}, 400)],
        ("get", "/api/v1/import-string/{realm_id}"): [(f"/api/v1/import-string/{realm}", None, 200),
                                                      (f"/api/v1/import-string/{realm}?format=list", None, 200),
                                                      (f"/api/v1/import-string/{realm}?format=xml", None, 400)],
        ("get", "/api/v1/rules"): [("/api/v1/rules", None, 200)],
        ("post", "/api/v1/rules"): [("/api/v1/rules", {**rule, "name": "Cheap Herbs 2"}, 201),
                                    ("/api/v1/rules", {"name": "Bad", "criteria": {"where": "price >"}}, 400)],
        ("put", "/api/v1/rules/{name}"): [("/api/v1/rules/Cheap%20Herbs%202", {"enabled": False}, 200),
                                          ("/api/v1/rules/Nope", {"enabled": False}, 404)],
        ("delete", "/api/v1/rules/{name}"): [("/api/v1/rules/Cheap%20Herbs%202", None, 200),
                                             ("/api/v1/rules/Cheap%20Herbs%202", None, 404)],
        ("post", "/api/v1/rules/check"): [("/api/v1/rules/check", {"where": "discount >"}, 200),
                                          ("/api/v1/rules/check", [], 400)],
        ("get", "/api/v1/backups"): [("/api/v1/backups", None, 200), (f"/api/v1/backups?file={file}", None, 200),
                                     ("/api/v1/backups?file=%2Fetc%2Fpasswd", None, 400)],
        ("post", "/api/v1/backups"): [("/api/v1/backups", {"file": target["file"], "note": "by the test"}, 201),
                                      ("/api/v1/backups", {"file": "/etc/passwd"}, 400)],
        ("post", "/api/v1/backups/{id}/restore"): [(f"/api/v1/backups/{backup}/restore", {"file": target["file"]}, 200),
                                                   ("/api/v1/backups/nope/restore", {"file": target["file"]}, 404)],
        ("post", "/api/v1/backups/{id}/pin"): [(f"/api/v1/backups/{backup}/pin", {"file": target["file"]}, 200),
                                               (f"/api/v1/backups/{backup}/pin", {"file": target["file"],
                                                                                   "pinned": "yes"}, 400)],
        ("get", "/api/v1/backups/prune"): [(f"/api/v1/backups/prune?file={file}", None, 200)],
        ("post", "/api/v1/backups/prune"): [("/api/v1/backups/prune", {"file": target["file"]}, 200),
                                            ("/api/v1/backups/prune", {}, 400)],
        ("get", "/api/v1/history"): [("/api/v1/history?limit=3", None, 200), ("/api/v1/history?limit=0", None, 400),
                                     ("/api/v1/history?kind=nope", None, 400)],
        ("post", "/api/v1/watchlist"): [("/api/v1/watchlist", {"item": "i:2447", "max_price": "1g", "realms": [realm]},
                                          201),
                                         ("/api/v1/watchlist", {"item": "i:2447", "max_price": "2g", "realms": [5]},
                                          200),
                                         ("/api/v1/watchlist", {"item": "i:2447", "max_price": "12x"}, 400)],
        ("get", "/api/v1/watchlist"): [("/api/v1/watchlist", None, 200)],
        ("post", "/api/v1/watchlist/check"): [("/api/v1/watchlist/check", {}, 202),
                                               ("/api/v1/watchlist/check", {"id": 999}, 404)],
        ("patch", "/api/v1/watchlist/{id}"): [("/api/v1/watchlist/1", {"amount": 5}, 200),
                                              ("/api/v1/watchlist/1", {"amount": -5}, 400)],
        ("delete", "/api/v1/watchlist/{id}"): [("/api/v1/watchlist/1", None, 200),
                                               ("/api/v1/watchlist/1", None, 404)],
        ("get", "/api/v1/update"): [("/api/v1/update", None, 200)],
        # no release server answers (update_url is a closed port): a check reports that; there is nothing to
        # install (tests/sync/test_updates.py and tests/http/test_update_views.py serve real releases)
        ("post", "/api/v1/update/check"): [("/api/v1/update/check", None, 200)],
        ("post", "/api/v1/update/apply"): [("/api/v1/update/apply", None, 502)],
        ("get", "/api/v1/events"): [("/api/v1/events", None, 400)],  # no Upgrade: the envelope, not a socket
        ("post", "/api/v1/logins"): [("/api/v1/logins", None, 201)],
        ("get", "/api/v1/autostart"): [("/api/v1/autostart", None, 200)],
        ("put", "/api/v1/autostart"): [("/api/v1/autostart", {"enabled": False}, 200),
                                       ("/api/v1/autostart", {"enabled": "yes"}, 400),
                                       ("/api/v1/autostart", {"at": "login"}, 400)],
        ("get", "/api/v1/openapi.json"): [("/api/v1/openapi.json", None, 200)],
    }


def schema_for(doc: dict[str, Any], op: dict[str, Any], status: int) -> dict[str, Any]:
    responses = op["responses"]
    response = responses.get(str(status)) or responses["default"]
    schema = response["content"]["application/json"]["schema"]
    return {**schema, "components": doc["components"]} if "$ref" in schema else schema


async def test_every_route_answers_as_the_openapi_document_says(daemon: Daemon) -> None:
    target = await merging(daemon)
    status, made, _ = await request(daemon, "POST", "/api/v1/backups", {"file": target["file"]})
    assert status == 201, made
    _, doc, _ = await request(daemon, "GET", "/api/v1/openapi.json")
    table = examples(target, made["id"])
    documented = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert documented == set(table), f"undocumented or untested: {documented ^ set(table)}"
    for (method, path), cases in table.items():
        op = doc["paths"][path][method]
        assert any(200 <= s < 300 for _, _, s in cases) or path.endswith(("/undo", "/events", "/update/apply")), path
        for concrete, body, expected in cases:
            status, answer, headers = await request(daemon, method.upper(), concrete, body)
            assert status == expected, (method, concrete, status, answer)
            jsonschema.validate(answer, schema_for(doc, op, status))
            assert headers["Cache-Control"] == "no-store" and "Access-Control-Allow-Origin" not in headers
            if status >= 400:
                assert answer["ok"] is False and answer["error"]["message"]
                if answer["error"]["code"] == "invalid_field":
                    assert answer["error"]["field"], (concrete, answer)
    assert SECRET not in daemon.log()


# -- security, over the real route table ------------------------------------------------------------------


async def test_every_api_route_needs_credentials_and_the_right_host(daemon: Daemon) -> None:
    _, doc, _ = await request(daemon, "GET", "/api/v1/openapi.json")
    port = daemon.info["url"].rsplit(":", 1)[1]
    async with aiohttp.ClientSession() as bare:
        for path, item in doc["paths"].items():
            concrete = re.sub(r"\{[^}]+\}", "x", path)
            for method in item:
                url = daemon.info["url"] + concrete
                async with bare.request(method.upper(), url) as resp:
                    assert resp.status in (401, 403), (method, path, resp.status)  # nothing answers without a key
                    assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
                    assert "Access-Control-Allow-Origin" not in resp.headers
                cookie_only = {"Cookie": "tsmsyncd-csrf=" + "a" * 43}
                async with bare.request(method.upper(), url, headers=cookie_only) as resp:
                    assert resp.status == 403, (method, path, resp.status)
                for host in ("evil.com", f"127.0.0.1.evil.com:{port}", f"localhost:{int(port) + 1}"):
                    headers = {"Host": host, "X-API-Key": daemon.info["api_key"]}
                    async with bare.request(method.upper(), url, headers=headers) as resp:
                        assert resp.status == 403, (method, path, host, resp.status)


async def test_the_secret_is_never_in_a_response(daemon: Daemon) -> None:
    for path in ("/api/v1/settings", "/api/v1/status", "/api/v1/targets", "/api/v1/history?limit=500"):
        status, body, _ = await request(daemon, "GET", path)
        assert status == 200 and SECRET not in json.dumps(body)
    _, settings, _ = await request(daemon, "GET", "/api/v1/settings")
    assert settings["client_secret"] == "(set)"


# -- what the player asks for ----------------------------------------------------------------------------


async def test_apply_is_refused_while_the_game_runs_and_undo_puts_the_file_back(daemon: Daemon) -> None:
    await settle(daemon)
    target = await merging(daemon)
    file = Path(target["file"])
    game = Game(Path(target["install"]) / target["folder"]).start()
    try:
        status, body, _ = await request(daemon, "POST", f"/api/v1/targets/{target['id']}/apply")
        assert status == 409 and body["error"]["code"] == "game_running"
        status, body, _ = await request(daemon, "POST", f"/api/v1/targets/{target['id']}/undo")
        assert status == 409 and "World of Warcraft is running" in body["error"]["message"]
    finally:
        game.stop()
    backup = (await daemon.state_of(target["id"]))["last_apply"]["backup_id"]
    merged = file.read_bytes()
    status, body, _ = await request(daemon, "POST", f"/api/v1/targets/{target['id']}/undo")
    assert status == 200 and body["restored"] == backup and body["backup_before_restore"]
    store = BackupStore(daemon.home / "backups")
    assert file.read_bytes() == store.read(file, store.get(file, backup)) != merged
    for _ in range(4):  # the watch ticks every 0.5 s: the undone groups stay out
        await asyncio.sleep(0.5)
        assert file.read_bytes() != merged
    shown = await daemon.state_of(target["id"])
    assert shown["state"] == "idle" and shown["reason"].startswith("undone:")
    # the undo's own backup holds the merged bytes: restoring it undoes the undo
    status, body, _ = await request(daemon, "POST", f"/api/v1/backups/{body['backup_before_restore']}/restore",
                                    {"file": str(file)})
    assert status == 200 and file.read_bytes() == merged


async def test_a_rule_with_an_error_says_where_and_a_fixed_one_is_stored(daemon: Daemon) -> None:
    status, checked, _ = await request(daemon, "POST", "/api/v1/rules/check",
                                       {"where": "sold_per_day >= 20 and discount >"})
    assert status == 200 and not checked["valid"]
    assert checked["errors"][0]["position"] == len("sold_per_day >= 20 and discount >")
    doc = {"name": "Fast Sellers", "criteria": {"where": "sold_per_day >= 20 and discount > 10%"}}
    assert (await request(daemon, "POST", "/api/v1/rules/check", doc))[1] == {"valid": True, "errors": []}
    status, rule, _ = await request(daemon, "POST", "/api/v1/rules", doc)
    assert status == 201 and rule["enabled"] and rule["doc"]["criteria"]["where"] == doc["criteria"]["where"]
    status, moved, _ = await request(daemon, "PUT", "/api/v1/rules/Fast%20Sellers",
                                     {"position": 1, "doc": {**doc, "name": "Quick Sellers"}})
    assert status == 200 and moved["position"] == 1 and moved["name"] == "Quick Sellers"
    names = [r["name"] for r in (await request(daemon, "GET", "/api/v1/rules"))[1]["rules"]]
    assert names[0] == "Quick Sellers" and "Fast Sellers" not in names
    assert (await request(daemon, "DELETE", "/api/v1/rules/Quick%20Sellers"))[0] == 200


async def test_the_preview_says_why_each_item_is_in_its_group(daemon: Daemon) -> None:
    target = await merging(daemon)
    status, preview, _ = await request(daemon, "GET", f"/api/v1/groups/{target['realm']['connected_realm_id']}/preview")
    assert status == 200
    flips = next(g for g in preview["groups"] if g["path"] == ["Flips"])
    assert flips["items"] and {"min_buyout", "sold_per_day"} <= set(flips["items"][0]["why"])


async def test_credentials_are_checked_with_blizzard_before_they_are_saved(daemon: Daemon) -> None:
    before = (daemon.home / "settings.json").read_text()
    status, body, _ = await request(daemon, "POST", "/api/v1/auth/token",
                                    {"client_id": "fake-client-id", "client_secret": "wrong-secret"})
    assert status == 400 and body["error"]["code"] == "blizzard_credentials"
    assert (daemon.home / "settings.json").read_text() == before
    status, body, _ = await request(daemon, "POST", "/api/v1/auth/token",
                                    {"client_id": "fake-client-id", "client_secret": SECRET, "region": "us"})
    assert status == 200 and body["ok"] and body["expires_in"] > 0 and SECRET not in json.dumps(body)
    assert json.loads((daemon.home / "settings.json").read_text())["client_secret"] == SECRET


async def test_history_pages_back_without_repeating(daemon: Daemon) -> None:
    seen: list[int] = []
    before = ""
    for _ in range(4):
        status, page, _ = await request(daemon, "GET", f"/api/v1/history?limit=2{before}")
        assert status == 200
        seen += [e["id"] for e in page["entries"]]
        if page["next_before"] is None:
            break
        before = f"&before={page['next_before']}"
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) >= 4


async def test_autostart_turned_on_and_off_writes_and_removes_the_login_entry(daemon: Daemon) -> None:
    """What the first-run setup and the settings page do (``tsmsyncd/autostart/`` does the work): on writes
    the XDG autostart entry that starts this tsmsyncd minimized, off removes it, and answering at all
    records that the player was asked."""
    entry = Path(daemon.env["XDG_CONFIG_HOME"]) / "autostart" / "tsmsyncd.desktop"
    status, on, _ = await request(daemon, "PUT", "/api/v1/autostart", {"enabled": True})
    assert status == 200, on
    assert on["enabled"] is True and on["method"] == "xdg-autostart" and on["location"] == str(entry)
    assert on["command"][-4:] == ["-m", "tsmsyncd", "run", "--minimized"] and on["asked"] is True
    assert entry.is_file() and "run --minimized" in entry.read_text()
    assert json.loads((daemon.home / "settings.json").read_text())["autostart_asked"] is True
    _, seen, _ = await request(daemon, "GET", "/api/v1/autostart")
    assert seen["enabled"] is True
    status, off, _ = await request(daemon, "PUT", "/api/v1/autostart", {"enabled": False})
    assert status == 200 and off["enabled"] is False and not entry.exists()


async def test_pause_holds_applies_and_resume_lets_them_through(daemon: Daemon) -> None:
    target = [t for t in await daemon.targets() if t["mode"] == "merge"][-1]  # not the one undone above
    await wait_for(lambda: _state(daemon, target["id"], "applied"), 60, "the target to settle")
    status, body, _ = await request(daemon, "POST", "/api/v1/pause", {"paused": True})
    assert status == 200 and body["state"] == "paused" and body["paused"]
    file = Path(target["file"])
    file.write_bytes(file.read_bytes() + b"\n-- the game wrote the file at logout\n")  # it must be checked again
    await wait_for(lambda: _state(daemon, target["id"], "planned"), 30, "the target to wait while paused")
    for _ in range(4):
        await asyncio.sleep(0.5)
        assert (await daemon.state_of(target["id"]))["state"] == "planned"
    status, body, _ = await request(daemon, "POST", "/api/v1/pause", {"paused": False})
    assert status == 200 and not body["paused"]
    await wait_for(lambda: _state(daemon, target["id"], "applied"), 30, "the check after resuming")


async def _state(d: Daemon, target_id: str, state: str) -> bool:
    return bool((await d.state_of(target_id))["state"] == state)


async def test_a_refresh_reports_its_progress_over_the_websocket(daemon: Daemon) -> None:
    assert daemon.session is not None

    async def quiet() -> bool:  # an earlier test's refresh must not be mistaken for this one
        _, status, _ = await request(daemon, "GET", "/api/v1/status")
        return bool(status["state"] != "refreshing" and not status["jobs_running"])

    await wait_for(quiet, 120, "the refreshes before to end")
    url = daemon.info["url"].replace("http://", "ws://") + "/api/v1/events"
    async with daemon.session.ws_connect(url, headers={"X-API-Key": daemon.info["api_key"]}) as ws:
        first = await ws.receive_json(timeout=10)
        assert first["type"] == "status"
        await request(daemon, "POST", "/api/v1/refresh")
        steps: list[dict[str, Any]] = []
        while not steps or steps[-1]["step"] != "done":  # one region and flavor's cycle, start to end
            event = await ws.receive_json(timeout=120)
            if event["type"] == "progress" and event["data"]["task"] == "refresh":
                if steps and event["data"]["flavor"] != steps[0]["flavor"]:
                    continue
                steps.append(event["data"])
    done = [s["done"] for s in steps]
    assert done == sorted(done) and done[0] == 0 and steps[-1]["done"] == steps[-1]["total"]
    assert any(s["step"].startswith("making the groups of ") for s in steps)
    fetching = [s["step"] for s in steps if s["step"].startswith("fetching ") and "…" in s["step"]]
    assert fetching and fetching[-1].endswith(f"({len(fetching)}/{len(fetching)})"), "each source by its name"

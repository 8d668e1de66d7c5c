"""`tsmsyncd realms list`, `refresh --once`, `market show` and `market list`, run as real processes against the
fake Blizzard server over loopback, with the settings a player would give them through the environment."""

from __future__ import annotations

import json
from pathlib import Path

from clirun import SECRET, tsmsyncd


async def test_realms_list_prints_connected_realms_with_their_names(env) -> None:
    code, out, err = await tsmsyncd(env, "realms", "list", "--region", "us")
    assert code == 0, err
    assert "Kilrogg, Winterhoof" in out and "connected realms in us" in out
    code, out, _ = await tsmsyncd(env, "realms", "list", "--region", "us", "--json")
    realms = {r["connected_realm_id"]: r for r in json.loads(out)}
    assert {r["name"] for r in realms[4]["realms"]} == {"Kilrogg", "Winterhoof"}


async def test_refresh_then_market_show(env, fake) -> None:
    code, out, err = await tsmsyncd(env, "refresh", "--once", "--region", "us", "--realm", "4", "--json")
    assert code == 0, err
    sources = {s["source"]: s for s in json.loads(out)["sources"]}
    assert sources["us/realm/4"]["status"] == "updated" and sources["us/commodities"]["auctions"] > 0
    code, out, err = await tsmsyncd(env, "refresh", "--once", "--realm", "4")
    assert code == 0 and out.count("not modified") == 2, err

    code, out, err = await tsmsyncd(env, "market", "show", "i:2447", "--realm", "4", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["item"] == "i:2447" and shown["source"] == "us/commodities"  # Peacebloom is a commodity
    assert shown["min_buyout"] > 0 and shown["market_value"] >= shown["min_buyout"] // 2
    assert shown["sales"]["sold"] is None and shown["sales"]["confidence"] == "none"  # one snapshot: no estimate
    assert shown["sales"]["caveats"][0].startswith("No estimate yet")
    code, text, _ = await tsmsyncd(env, "market", "show", "2447", "--realm", "4")
    assert code == 0 and "i:2447" in text and "min buyout" in text and "14-day value" in text


async def test_a_failed_source_exits_1_and_says_the_data_was_kept(env, fake) -> None:
    fake.fault("503", count=None, path="/connected-realm/4/auctions")
    code, out, err = await tsmsyncd(env, "refresh", "--once", "--realm", "4")
    assert code == 1
    assert "us/realm/4" in out and "error" in out and "stored data unchanged" in out
    log = (Path(env["TSMSYNCD_HOME"]) / "logs" / "tsmsyncd.log").read_text()
    assert "HTTP 503" in log  # the retries were logged...
    tokens = {r.headers["Authorization"].split()[1] for r in fake.requests if "Authorization" in r.headers
              and r.headers["Authorization"].startswith("Bearer")}
    assert tokens and not any(t in log for t in (SECRET, *tokens))  # ...and no secret with them


async def test_wrong_credentials_give_one_line_without_the_secret(env) -> None:
    env = {**env, "TSMSYNCD_BLIZZARD_CLIENT_SECRET": "not-the-secret"}
    code, out, err = await tsmsyncd(env, "refresh", "--once", "--realm", "4")
    assert code == 1
    assert "refused the client id/secret" in out + err
    assert "not-the-secret" not in out + err


async def test_missing_credentials_china_and_unknown_items_are_clear_errors(env) -> None:
    no_creds = {k: v for k, v in env.items() if not k.startswith("TSMSYNCD_BLIZZARD_CLIENT")}
    code, _, err = await tsmsyncd(no_creds, "refresh", "--once", "--realm", "4")
    assert code == 1 and "credentials are not set" in err
    code, _, err = await tsmsyncd(env, "refresh", "--once", "--region", "cn", "--realm", "4")
    assert code == 1 and "China (cn) is not supported" in err
    code, _, err = await tsmsyncd(env, "market", "show", "herb", "--realm", "4")
    assert code == 1 and "is not an item id" in err
    code, _, err = await tsmsyncd(env, "market", "show", "i:2447", "--realm", "4")
    assert code == 1 and "run `tsmsyncd refresh --once --region us --realm 4` first" in err


async def test_inputs_that_name_nothing_say_so_and_point_the_right_way(env, fake) -> None:
    """Issue 10, class 7: a realm id that cannot exist is refused at once; an item missing from a realm
    that was just refreshed is "not listed", not "run refresh first"; flavors take every spelling."""
    for bad in ("-5", "0", "x", "9" * 400):
        code, _, err = await tsmsyncd(env, "market", "show", "i:2447", "--realm", bad)
        assert code == 2 and "is not a connected realm id" in err, err
    code, _, err = await tsmsyncd(env, "groups", "preview", "--realm", "0")
    assert code == 2 and "is not a connected realm id" in err
    assert (await tsmsyncd(env, "refresh", "--once", "--realm", "4"))[0] == 0
    code, _, err = await tsmsyncd(env, "market", "show", "i:999999", "--realm", "4")
    assert code == 1 and "i:999999 is not listed in us realm 4's newest snapshot" in err and "refresh" not in err
    code, _, err = await tsmsyncd(env, "realms", "list")
    code, _, err = await tsmsyncd(env, "market", "show", "i:2447", "--realm", "99999")
    assert code == 1 and "99999 is not a connected realm of us" in err
    code, _, err = await tsmsyncd(env, "refresh", "--once", "--realm", "4", "--flavor", "classic_era")
    assert "not a game flavor" not in err
    code, _, err = await tsmsyncd(env, "refresh", "--once", "--realm", "4", "--flavor", "tbc")
    assert code == 2 and "'tbc' is not a game flavor" in err


async def test_a_connection_error_names_the_host(env, fake) -> None:
    env = {**env, "TSMSYNCD_BLIZZARD_API_URL": "http://127.0.0.1:9/{region}"}  # the discard port: refused
    code, out, err = await tsmsyncd(env, "refresh", "--once", "--realm", "4")
    assert code == 1 and "could not connect to 127.0.0.1:9" in out + err


async def test_hours_of_refreshes_then_market_show_and_list_tell_the_estimate_with_its_window(env, fake) -> None:
    """Four hourly refreshes of the real fake (the first pair learns deadlines; two are counted), then `market
    show` and `market list`: the same record in both, the estimate beside its 2-hour window, the per-day rate
    said to be scaled up, a range, a confidence and the caveats — in text and in JSON."""
    for hour in range(4):
        if hour:
            fake.advance()
        code, _, err = await tsmsyncd(env, "refresh", "--once", "--region", "us", "--realm", "4")
        assert code == 0, err

    code, out, err = await tsmsyncd(env, "market", "list", "--realm", "4", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert listed["realm"] == "us/4"
    items = {i["item"]: i for i in listed["items"]}
    assert len(items) == len(listed["items"]) > 100 and {i["source"] for i in items.values()} == {
        "us/commodities", "us/realm/4"}
    sales = items["i:2447"]["sales"]
    assert sales["kind"] == "commodities" and sales["window_hours"] == 2.0 and sales["extrapolated"] is True
    assert sales["window_end"] == fake.now.isoformat() and sales["sold"] > 0
    assert sales["per_day"] == round(sales["sold"] * 12, 1) and sales["confidence"] == "low"
    assert sales["range"][0] < sales["per_day"] < sales["range"][1]
    assert sales["caveats"][0].startswith("Per day is scaled up from only 2 hours") and len(sales["caveats"]) == 5
    realm_item = next(i for i in items.values() if i["source"] == "us/realm/4" and i["sales"]["sold"])
    assert realm_item["sales"]["kind"] == "realm" and "relist" in " ".join(realm_item["sales"]["caveats"])

    code, out, err = await tsmsyncd(env, "market", "show", "i:2447", "--realm", "4", "--json")
    assert code == 0, err
    assert json.loads(out) == items["i:2447"]  # one record, shown the same way everywhere

    code, text, err = await tsmsyncd(env, "market", "show", "i:2447", "--realm", "4")
    assert code == 0, err
    assert f"{sales['sold']:,} units in the last 2 h of snapshots" in text
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "units in the last 2 h of snapshots" in line)
    assert lines[at + 1].strip() == "! scaled up from only 2 h of snapshots: a rough guess"  # at once, in its line
    assert lines[at + 2].strip().startswith("likely ") and lines[at + 2].endswith("confidence low")
    assert "caveats" in text and "not recorded sales" in text and "read high" in text

    code, text, err = await tsmsyncd(env, "market", "list", "--realm", "4")
    assert code == 0, err
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["item", "name", "source"] and "sold/day" in lines[0]
    row = next(line for line in lines if line.startswith("i:2447 "))
    rate = f"{sales['per_day']:,.0f}" if sales["per_day"] >= 100 else f"{sales['per_day']:,.1f}"
    assert "Peacebloom" in row and f" {rate}*" in row and row.endswith("low")
    assert f"{len(items):,} items on us/4" in text and "us/commodities 2 h" in text and "us/realm/4 2 h" in text
    assert "* scaled up from less than a day of snapshots" in text


async def test_market_list_before_any_refresh_says_what_to_run(env) -> None:
    code, _, err = await tsmsyncd(env, "market", "list", "--realm", "4")
    assert code == 1 and "run `tsmsyncd refresh --once --region us --realm 4` first" in err

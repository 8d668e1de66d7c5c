"""What a group server refreshes (issue 17): the realms its tokens were created with and those its clients
asked for, newest first, never one its realm list does not know, up to ``max_realms``: a whole engine cycle
on the fake Blizzard server, with real worker processes, and no WoW install of its own."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from tsmsyncd.app import open_services
from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.config import ServerLimits, Settings, save_settings
from tsmsyncd.db import groups as groups_db
from tsmsyncd.db import realms as realms_db
from tsmsyncd.market.sources import RealmKey


async def test_a_group_server_refreshes_its_clients_realms_up_to_its_cap(tmp_path: Path) -> None:
    home = tmp_path / "home"
    environ = {**os.environ, "TSMSYNCD_WOW_ROOTS": str(tmp_path / "no-install")}
    async with FakeBlizzard(commodity_rows=300, realm_rows=300) as fake:
        settings = Settings(region="us", client_id="fake-client-id", client_secret="fake-client-secret",
                            api_url=fake.api_url, oauth_url=fake.oauth_url, server=ServerLimits(max_realms=2))
        save_settings(settings, {"TSMSYNCD_HOME": str(home)})  # the job processes read it
        async with open_services(settings, home, environ=environ) as services:
            engine = services.engine
            assert (await engine.cycle())["regions"] == []  # a plain daemon without targets refreshes nothing
            engine.serving = True
            await engine.cycle()  # nobody asked for anything yet: only the realm list is fetched
            known = sorted({r.connected_realm_id for r in await services.db(realms_db.realms, "us")})
            assert len(known) >= 3
            _, alice = await services.tokens.create("alice", [str(known[0])])
            _, bob = await services.tokens.create("bob")
            for number in (known[1], 999_999, known[2], known[2]):  # known[2]: asked for most (and last)
                services.tokens.count(bob.id, realm=RealmKey("us", number))
            await services.tokens.flush()
            summary = await engine.cycle()
            (region,) = summary["regions"]
            assert sorted(region["groups"]) == sorted([f"us/{known[0]}", f"us/{known[2]}"])
            refreshed = {s["source"] for s in region["sources"]}
            assert f"us/realm/{known[0]}" in refreshed and f"us/realm/{known[1]}" not in refreshed
            assert not any("999999" in s for s in refreshed)
            for number in (known[0], known[2]):
                assert await services.db(groups_db.groupset_head, RealmKey("us", number)) is not None
            assert datetime.fromisoformat(engine.last_refresh["at"]) <= datetime.now(UTC)  # type: ignore[index]

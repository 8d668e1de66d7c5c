"""Targets from a real install tree: profiles and characters read from each TradeSkillMaster.lua, the
connected realm inferred through Blizzard's realm index (localized names, connected realms), the
player's choices kept (issue 12)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sv_factory import render, tsm_db

from tsmsyncd.blizzard.client import BlizzardClient, Credentials
from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.config import Settings
from tsmsyncd.errors import FieldError
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.sync.refresh import Refresher
from tsmsyncd.sync.targets import TargetService
from tsmsyncd.wow.targets import Mode, target_id


def install(root: Path, characters: dict[str, str], account: str = "ME") -> Path:
    """A retail install with one account whose file's profiles are used by ``characters`` (key → profile)."""
    folder = root / "World of Warcraft" / "_retail_" / "WTF" / "Account" / account / "SavedVariables"
    folder.mkdir(parents=True)
    db = tsm_db(profiles=tuple(dict.fromkeys(characters.values())))
    db["_currentProfile"] = characters
    db["_scopeKeys"]["char"] = list(characters)
    path = folder / "TradeSkillMaster.lua"
    path.write_bytes(render(db))
    return path


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[TargetService, DbWriter]]:
    writer = DbWriter(tmp_path / "tsmsyncd.db")
    async with FakeBlizzard(commodity_rows=100, realm_rows=100) as fake, aiohttp.ClientSession() as session:
        client = BlizzardClient(session, Credentials("fake-client-id", "fake-client-secret"), api_url=fake.api_url,
                                oauth_url=fake.oauth_url)
        await Refresher(client, writer, now=lambda: fake.now + timedelta(minutes=1)).realm_list("us")
        roots = {"TSMSYNCD_WOW_ROOTS": str(tmp_path / "World of Warcraft")}
        yield TargetService(writer, lambda: Settings(region="us"), roots), writer
    writer.close()


async def test_a_localized_realm_and_the_realms_of_one_connection_infer_one_connected_realm(
    tmp_path: Path, service: tuple[TargetService, DbWriter]
) -> None:
    targets, _ = service
    path = install(tmp_path, {"Méi - 白银之手": "Main", "Alt - Странники": "Main", "Bank - Thorium Brotherhood": "Main",
                              "Tank - Kil'jaeden": "Other"})
    found = {t.profile: t for t in await targets.discover()}
    main = found["Main"]
    assert main.id == target_id(path, "Main") and main.mode is Mode.STRING  # new targets: strings only
    assert main.realm is not None and main.realm.connected_realm_id == 12 and main.realm.inferred
    assert found["Other"].realm is not None and found["Other"].realm.connected_realm_id == 9
    assert set(main.characters) == {"Méi - 白银之手", "Alt - Странники", "Bank - Thorium Brotherhood"}


async def test_ambiguous_and_unknown_realms_say_why_and_a_realm_set_by_hand_is_kept(
    tmp_path: Path, service: tuple[TargetService, DbWriter]
) -> None:
    targets, _ = service
    install(tmp_path, {"A - Kilrogg": "Split", "B - Proudmoore": "Split", "C - Nowhere Realm": "Lost"})
    found = {t.profile: t for t in await targets.discover()}
    assert found["Split"].realm is None and "4" in found["Split"].realm_reason and "5" in found["Split"].realm_reason
    assert found["Lost"].realm is None and "Nowhere Realm" in found["Lost"].realm_reason
    chosen = await targets.change(found["Split"].id, {"realm": 4, "mode": "merge"})
    assert chosen.realm is not None and chosen.realm.connected_realm_id == 4 and not chosen.realm.inferred
    again = {t.profile: t for t in await targets.discover()}
    assert again["Split"].realm == chosen.realm and again["Split"].mode is Mode.MERGE


async def test_bad_changes_name_the_field_and_store_nothing(tmp_path: Path,
                                                            service: tuple[TargetService, DbWriter]) -> None:
    targets, _ = service
    install(tmp_path, {"A - Kilrogg": "Default"})
    (target,) = await targets.discover()
    for change, field in (({"mode": "always"}, "mode"), ({"realm": 99999}, "realm"), ({"realm": "4"}, "realm"),
                          ({"adopt_root": "yes"}, "adopt_root"), ({"file": "/etc/passwd"}, "file")):
        with pytest.raises(FieldError) as err:
            await targets.change(target.id, change)
        assert err.value.field == field
    assert (await targets.get(target.id)) == target


async def test_a_file_caught_half_written_keeps_its_targets_present(
    tmp_path: Path, service: tuple[TargetService, DbWriter]
) -> None:
    """The game truncates and rewrites its SavedVariables at logout: a discovery that reads the file in that
    moment cannot tell its profiles, and must not mark them gone (the engine skips targets that are not
    present, so merges would stop until the next day's discovery). A file that really lost a profile does."""
    targets, _ = service
    path = install(tmp_path, {"Mirelle - Kilrogg": "Default"})
    (found,) = await targets.discover()
    await targets.change(found.id, {"mode": "merge"})
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # the game, halfway through its write
    (seen,) = await targets.discover()
    assert seen.present and seen.mode is Mode.MERGE and targets.problems
    path.write_bytes(whole)
    (seen,) = await targets.discover()
    assert seen.present and not targets.problems
    path.unlink()
    (seen,) = await targets.discover()
    assert not seen.present  # gone for real: kept for its history, not merged into

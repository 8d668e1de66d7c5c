"""The update flow against a real release server on 127.0.0.1 (sync/updates.py, issue 18).

A valid signed manifest is offered (and told once per version); a tampered manifest, another key, a
truncated signature, a downgrade, an older manifest replayed, an archive of the wrong sha256 or size, a
slow server and an archive with ``../`` paths are each refused with a one-line reason, and the install and
the data folder are byte for byte what they were (``tree`` before and after). An install unpacks beside
the running version and switches at the next start; one rollback goes back.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from releasekit import Entry, Keys, ReleaseServer, manifest, program_entries, tar_gz, tree, zip_bytes

from tsmsyncd.config import Settings
from tsmsyncd.errors import BusyError, InputError, UpdateError
from tsmsyncd.events import Event, EventBus, EventType, Subscription
from tsmsyncd.releases.client import Timeouts
from tsmsyncd.store.bundle import Bundle, Install
from tsmsyncd.store.locks import FileLock
from tsmsyncd.store.updatestate import load_state
from tsmsyncd.sync.updates import UpdateService

KEYS = Keys()
FAST = Timeouts(manifest=5, connect=5, read=0.5, download=10)  # the slow-server cases end in half a second


@pytest.fixture
def server() -> Iterator[ReleaseServer]:
    with ReleaseServer() as running:
        yield running


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class World:
    """A one-folder install of 0.2.0, its data folder, and the update service of it."""

    def __init__(self, tmp: Path, server: ReleaseServer, session: aiohttp.ClientSession) -> None:
        self.root, self.home, self.server = tmp / "app", tmp / "home", server
        running = self.root / "versions" / "0.2.0"
        running.mkdir(parents=True)
        (running / "tsmsyncd").write_text("#!/bin/sh\necho tsmsyncd 0.2.0\n")
        (self.root / "current").write_text("0.2.0\n")
        self.home.mkdir()
        (self.home / "settings.json").write_text("{}")
        self.settings = Settings(update_url=server.url)
        self.session, self.bus, self.clock = session, EventBus(), Clock()
        self.events: list[tuple[EventType, dict[str, Any]]] = []

    def service(self, kind: str = "bundle", **options: Any) -> UpdateService:
        async def session() -> aiohttp.ClientSession:
            return self.session

        bundle = Bundle(self.root, "0.2.0") if kind == "bundle" else None
        defaults: dict[str, Any] = {"keys": (KEYS.public,), "current": "0.2.0", "platform": "linux-x86_64",
                                    "timeouts": FAST, "now": self.clock, "jitter": lambda: 0.0}
        return UpdateService(self.home, lambda: self.settings, session, self.bus, install=Install(kind, bundle),
                             **{**defaults, **options})

    def release(self, version: str, *, entries: list[Entry] | None = None, fmt: str = "tar.gz",
                **manifest_options: Any) -> bytes:
        """Serve ``version``: its archive and its manifest, signed."""
        archive = (tar_gz if fmt == "tar.gz" else zip_bytes)(entries or program_entries(version))
        name = f"tsmsyncd-{version}-linux-x86_64.{fmt}"
        self.server.put(name, archive)
        doc = manifest(version, archive=archive, url=f"{self.server.url}/{name}", fmt=fmt, **manifest_options)
        self.server.publish(KEYS, doc)
        return archive

    def trees(self) -> tuple[dict[str, str], dict[str, str]]:
        return tree(self.root), tree(self.home)


async def drain(subscription: Subscription) -> list[Event]:
    """The events published so far (each reaches the queue through the loop: let it run once)."""
    await asyncio.sleep(0)
    got = []
    while not subscription.queue.empty():
        got.append(subscription.queue.get_nowait())
    return got


@pytest.fixture
async def world(tmp_path: Path, server: ReleaseServer) -> AsyncIterator[World]:
    async with aiohttp.ClientSession() as session:
        yield World(tmp_path, server, session)


# -- a valid release ------------------------------------------------------------------------------------


async def test_a_valid_signed_release_is_offered_and_told_once_per_version(world: World) -> None:
    world.release("0.3.0")
    subscription = world.bus.subscribe()
    status = await world.service().check()
    assert status["state"] == "available" and status["available"]["version"] == "0.3.0"
    assert status["available"]["apply"] == {"kind": "bundle", "size": status["available"]["apply"]["size"]}
    assert status["error"] is None and status["rollback"] is None and status["staged"] is None
    (event,) = await drain(subscription)
    assert event.type is EventType.UPDATE_AVAILABLE
    assert event.data["version"] == "0.3.0" and event.data["notes"] == "Faster merges."
    await world.service().check()  # again, and from a restarted daemon: the player was told already
    assert await drain(subscription) == []
    assert load_state(world.home).seen == {"stable": "0.3.0"}


async def test_the_newest_version_installed_is_up_to_date(world: World) -> None:
    world.release("0.2.0")
    status = await world.service().check()
    assert status["state"] == "up_to_date" and status["available"] is None


# -- refusals: a reason, and nothing changed on disk ----------------------------------------------------


async def refused(world: World, reason: str, action: str = "check", **service: Any) -> str:
    """Refused with ``reason`` and one line; the install and the data folder unchanged. An install is
    tried as a player would: after a check that offered it (and so recorded the version it saw)."""
    updates = world.service(**service)
    if action == "apply":
        assert (await updates.check())["state"] == "available"
    before = world.trees()
    subscription = world.bus.subscribe()
    with pytest.raises(UpdateError) as caught:
        await (updates.check() if action == "check" else updates.apply())
    message = str(caught.value)
    assert caught.value.reason == reason, message
    assert "\n" not in message and len(message) < 300
    assert world.trees() == before, "a refusal changed files"
    assert updates.status()["state"] == "failed" and updates.status()["error"]["message"] == message
    failed = [e for e in await drain(subscription) if e.type is EventType.UPDATE_FAILED]
    assert failed and failed[0].data["message"] == message
    assert bool(failed[0].data["retry_at"]) is (action == "check")  # a scheduled check backs off; an install waits
    return message


async def test_a_tampered_manifest_is_refused(world: World) -> None:
    world.release("0.3.0")
    world.server.put("stable.json", world.server.files["stable.json"].replace(b"0.3.0", b"0.9.0"))
    assert "changed after signing" in await refused(world, "signature")


async def test_a_manifest_signed_with_another_key_is_refused(world: World) -> None:
    world.release("0.3.0")
    world.server.put("stable.json.sig", Keys().sign(world.server.files["stable.json"]))
    assert "signed with another key" in await refused(world, "signature")


async def test_a_truncated_signature_is_refused(world: World) -> None:
    world.release("0.3.0")
    signature = base64.b64decode(world.server.files["stable.json.sig"])
    world.server.put("stable.json.sig", base64.b64encode(signature[:32]))
    assert "truncated" in await refused(world, "signature")


async def test_a_signed_downgrade_is_refused(world: World) -> None:
    world.release("0.1.0")
    assert "older than the installed 0.2.0" in await refused(world, "downgrade")


async def test_an_older_manifest_replayed_after_a_newer_one_is_refused(world: World) -> None:
    world.release("0.4.0")
    await world.service().check()
    world.release("0.3.0")  # validly signed once, and newer than what runs: but 0.4.0 was seen
    assert "0.4.0 was seen there before" in await refused(world, "replay")


async def test_an_archive_with_the_wrong_sha256_is_refused(world: World) -> None:
    world.release("0.3.0")
    name = "tsmsyncd-0.3.0-linux-x86_64.tar.gz"
    good = world.server.files[name]
    world.server.put(name, good[:-1] + bytes([good[-1] ^ 1]))  # same size, one bit flipped
    assert "sha256" in await refused(world, "sha256", "apply")


async def test_an_archive_larger_than_signed_is_refused(world: World) -> None:
    world.release("0.3.0")
    name = "tsmsyncd-0.3.0-linux-x86_64.tar.gz"
    world.server.put(name, world.server.files[name] + b"\0" * 100_000)
    assert "the signed manifest says" in await refused(world, "size", "apply")


async def test_an_archive_shorter_than_signed_is_refused(world: World) -> None:
    world.release("0.3.0")
    name = "tsmsyncd-0.3.0-linux-x86_64.tar.gz"
    world.server.put(name, world.server.files[name][:-10])
    assert "truncated" in await refused(world, "size", "apply")


async def test_a_server_that_never_answers_is_given_up_on(world: World) -> None:
    world.release("0.3.0")
    world.server.hang.add("stable.json")
    assert "did not send the manifest" in await refused(world, "timeout")


async def test_a_download_that_stalls_is_given_up_on(world: World) -> None:
    world.release("0.3.0")
    world.server.stall.add("tsmsyncd-0.3.0-linux-x86_64.tar.gz")
    assert "stalled" in await refused(world, "timeout", "apply")


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
async def test_an_archive_with_dotdot_paths_is_refused(world: World, fmt: str) -> None:
    world.release("0.3.0", fmt=fmt, entries=[*program_entries("0.3.0"), Entry("tsmsyncd/../../../evil", b"x")])
    assert "leaves its folder" in await refused(world, "archive", "apply")
    assert not (world.root.parent / "evil").exists()


async def test_an_archive_with_a_link_out_of_the_bundle_is_refused(world: World) -> None:
    world.release("0.3.0", entries=[*program_entries("0.3.0"),
                                    Entry("tsmsyncd/_internal/x", kind="symlink", link="../../../../home")])
    assert "outside the tsmsyncd/ folder" in await refused(world, "archive", "apply")


async def test_a_release_whose_program_does_not_start_as_that_version_is_refused(world: World) -> None:
    world.release("0.3.0", entries=program_entries("0.2.9"))
    assert "does not start as tsmsyncd 0.3.0" in await refused(world, "broken_release", "apply")


async def test_an_unreachable_server_is_reported(world: World) -> None:
    world.settings = replace(world.settings, update_url="http://127.0.0.1:9/releases")
    assert "could not be reached" in await refused(world, "unreachable")


# -- install, rollback ----------------------------------------------------------------------------------


async def test_an_install_unpacks_beside_the_running_version_and_switches_at_the_next_start(world: World) -> None:
    world.release("0.3.0")
    running_before = tree(world.root / "versions" / "0.2.0")
    home_before = tree(world.home)
    subscription = world.bus.subscribe()
    updates = world.service()
    result = await updates.apply()
    assert result["status"] == "installed" and result["previous"] == "0.2.0" and result["restart"] is True
    assert (world.root / "current").read_text() == "0.3.0\n" and (world.root / "previous").read_text() == "0.2.0\n"
    assert (world.root / "versions" / "0.3.0" / "tsmsyncd").read_text() == "#!/bin/sh\necho tsmsyncd 0.3.0\n"
    assert tree(world.root / "versions" / "0.2.0") == running_before  # the running version is never touched
    assert sorted(p.name for p in (world.root / "versions").iterdir()) == ["0.2.0", "0.3.0"]  # no staging left
    changed = {k for k in tree(world.home).keys() | home_before.keys() if tree(world.home).get(k) != home_before.get(k)}
    assert changed <= {"update.json", "locks", "locks/update.lock"}  # the data folder: only the update state
    status = updates.status()
    assert status["state"] == "staged" and status["staged"] == "0.3.0" and status["rollback"] == "0.2.0"
    types = [e.type for e in await drain(subscription)]
    assert EventType.UPDATE_APPLIED in types and EventType.PROGRESS in types
    with pytest.raises(UpdateError, match="installed already"):
        await updates.apply()


async def test_a_rollback_returns_to_the_version_before_and_it_is_not_offered_again(world: World) -> None:
    world.release("0.3.0")
    updates = world.service()
    await updates.apply()
    result = updates.rollback()
    assert (result["from"], result["to"]) == ("0.3.0", "0.2.0")
    assert (world.root / "current").read_text() == "0.2.0\n" and not (world.root / "previous").exists()
    assert (await updates.check())["state"] == "skipped"
    with pytest.raises(InputError, match="no previous version"):
        updates.rollback()
    world.release("0.3.1")
    assert (await updates.check())["state"] == "available"


async def test_a_pip_install_is_told_the_exact_command_and_nothing_is_downloaded(world: World) -> None:
    world.release("0.3.0")
    updates = world.service("pip", executable="/venv/bin/python", prefix="/venv")
    status = await updates.check()
    assert status["available"]["apply"] == {"kind": "pip",
                                            "command": "/venv/bin/python -m pip install --upgrade tsmsyncd==0.3.0"}
    result = await updates.apply()
    assert result["status"] == "manual" and "tsmsyncd==0.3.0" in result["command"]
    assert not any(r.endswith(".tar.gz") for r in world.server.requests)


async def test_a_copy_not_laid_out_for_updates_points_at_the_download(world: World) -> None:
    world.release("0.3.0")
    with pytest.raises(InputError, match="not installed for updates; download 0.3.0 from http"):
        await world.service("frozen").apply()


async def test_no_install_while_a_merge_runs(world: World) -> None:
    world.release("0.3.0")
    (world.home / "locks").mkdir()
    merge = FileLock(world.home / "locks" / "apply-target1.lock", timeout=0)
    merge.acquire()  # what a merge job of another tsmsyncd process holds while it writes
    before = world.trees()
    try:
        with pytest.raises(BusyError, match="a merge is running"):
            await world.service().apply()
    finally:
        merge.release()
    assert world.trees()[0] == before[0] and not any(r.endswith(".tar.gz") for r in world.server.requests)


# -- the daemon's job -----------------------------------------------------------------------------------


async def test_the_daily_job_waits_after_starting_and_backs_off_after_a_refusal(world: World) -> None:
    world.release("0.3.0")
    world.server.put("stable.json.sig", Keys().sign(world.server.files["stable.json"]))  # refused every time
    updates = world.service(jitter=lambda: 0.0)
    world.settings = replace(world.settings, update_check=True)

    async def tick_after(delta: timedelta) -> int:
        world.clock.now += delta
        before = len(world.server.requests)
        await updates.tick()
        return len(world.server.requests) - before

    assert await tick_after(timedelta(0)) == 0  # just started: the first check comes ten minutes later
    assert await tick_after(timedelta(minutes=11)) == 2  # manifest + signature: refused
    assert await tick_after(timedelta(minutes=15)) == 0  # no retry in a tight loop...
    assert await tick_after(timedelta(minutes=50)) == 2  # ...an hour later
    assert await tick_after(timedelta(hours=1, minutes=50)) == 0  # then two hours
    assert await tick_after(timedelta(minutes=15)) == 2
    world.release("0.3.0")  # fixed: the next try succeeds, then it is daily
    assert await tick_after(timedelta(hours=4, minutes=1)) == 2
    assert updates.status()["state"] == "available"
    assert await tick_after(timedelta(hours=23)) == 0
    assert await tick_after(timedelta(hours=1, minutes=1)) == 2


async def test_the_job_does_nothing_when_turned_off_or_for_pip_by_default(world: World) -> None:
    world.release("0.3.0")
    world.clock.now += timedelta(days=3)
    pip = world.service("pip")
    assert not pip.enabled
    await pip.tick()
    world.settings = replace(world.settings, update_check=False)
    bundle = world.service()
    assert not bundle.enabled
    await bundle.tick()
    assert world.server.requests == []
    world.settings = replace(world.settings, update_check=None)
    assert world.service().enabled  # on by default for the one-folder app


async def test_a_damaged_state_file_still_refuses_what_is_older_than_the_installed_version(world: World) -> None:
    (world.home / "update.json").write_text(json.dumps({"format": "nonsense"}))
    world.release("0.1.0")
    assert "older than the installed" in await refused(world, "downgrade")

"""``tsmsyncd demo``: the whole product with no credentials and no game.

In a data folder of its own (``<data folder>/demo``, never the player's real one) the demo builds a sandbox
WoW install (``demo/sandbox.py``: retail and Classic Era, real-format TradeSkillMaster.lua files), starts
the project's fake Blizzard server on loopback, writes settings that point at it, starts a fake game
process named ``Wow.exe`` inside the retail install, turns every target to ``merge`` and runs the real
daemon (its API, schedule, worker jobs). It says what happens as it happens: the refresh, the groups, the
retail profiles **pending** while the game runs, **applied** moments after the game exits, the backups.

``--once`` runs that one cycle and exits 0 (CI runs it); otherwise the daemon keeps running, the fake
market moves on every two minutes, and the web UI is there to look at until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tsmsyncd.app import Services
from tsmsyncd.blizzard.fake import FakeBlizzard
from tsmsyncd.config import Settings, save_settings
from tsmsyncd.daemon import Daemon, DaemonOptions
from tsmsyncd.demo.sandbox import Sandbox, build_sandbox
from tsmsyncd.events import EventType
from tsmsyncd.logs import setup_file_logging
from tsmsyncd.store.daemonfile import DaemonInfo, InstanceLock
from tsmsyncd.wow.flavor import Flavor
from tsmsyncd.wow.targets import Mode, State

__all__ = ["run_demo"]

Say = Callable[[str], None]
WAIT = 120.0  # seconds for each step of --once before it counts as failed
WARM_UP = 3  # hourly snapshots before the groups are made


class FakeGame:
    """A real process named ``Wow.exe`` inside the sandbox's retail folder (a copy of ``sleep``), so the
    game check sees "World of Warcraft is running" for exactly that install."""

    def __init__(self, flavor_folder: Path) -> None:
        self.exe = flavor_folder / "Wow.exe"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> bool:
        sleep = shutil.which("sleep")
        if sleep is None or sys.platform == "win32":
            return False  # no sleep(1) to copy; the demo says so and skips the pending step
        shutil.copy(sleep, self.exe)
        self.proc = subprocess.Popen([str(self.exe), "3600"])
        return True

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.exe.unlink(missing_ok=True)


async def run_demo(home: Path, *, once: bool, port: int = 0, say: Say = print) -> int:
    """Run the demo in ``home`` (its own data folder); 0 when every step happened."""
    home.mkdir(parents=True, exist_ok=True)
    lock = InstanceLock(home)
    if not lock.acquire():
        say(f"another tsmsyncd demo is running in {home}")
        return 1
    try:
        setup_file_logging(home / "logs")
        sandbox = build_sandbox(home / "sandbox", region="us")
        async with FakeBlizzard(commodity_rows=3000, realm_rows=2000) as fake:
            settings = Settings(region="us", client_id="fake-client-id", client_secret="fake-client-secret",
                                api_url=fake.api_url, oauth_url=fake.oauth_url)
            save_settings(settings, {"TSMSYNCD_HOME": str(home)})
            say(f"sandbox install: {sandbox.install} ({len(sandbox.files)} TradeSkillMaster.lua files)")
            say(f"fake Blizzard API: {fake.base_url} (no credentials needed)")
            game = FakeGame(sandbox.install / "_retail_")
            story = Story(say, sandbox, fake, game, once)
            environ = {**_environ(), "TSMSYNCD_HOME": str(home), "TSMSYNCD_WOW_ROOTS": str(sandbox.install)}
            options = DaemonOptions(port=port, environ=environ, quiet_seconds=1.0, watch_every=1.0,
                                    on_ready=story.begin)
            daemon = Daemon(settings, home, options)
            story.daemon = daemon
            try:
                code = await daemon.serve()
            finally:
                game.stop()
            return code if story.ok else 1
    finally:
        lock.release()


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


class Story:
    """What the demo does once the daemon listens, and what it prints."""

    def __init__(self, say: Say, sandbox: Sandbox, fake: FakeBlizzard, game: FakeGame, once: bool) -> None:
        self.say, self.sandbox, self.fake, self.game, self.once = say, sandbox, fake, game, once
        self.daemon: Daemon | None = None
        self.ok = True

    async def begin(self, info: DaemonInfo, services: Services) -> None:
        asyncio.get_running_loop().create_task(self._run(info, services))

    async def _run(self, info: DaemonInfo, services: Services) -> None:
        try:
            await self._cycle(info, services)
        except Exception as exc:  # the story failed: say how, and end the demo with exit 1
            self.ok = False
            self.say(f"demo failed: {type(exc).__name__}: {exc}")
        if self.once or not self.ok:
            assert self.daemon is not None
            self.daemon.stop()
        else:
            await self._keep_going(info, services)

    async def _cycle(self, info: DaemonInfo, services: Services) -> None:
        say, engine = self.say, services.engine
        self.say(f"daemon listening at {info.url}")
        targets = await services.targets.discover()
        say(f"{len(targets)} targets found (new targets start in string mode: import strings only)")
        for hour in range(WARM_UP):  # a few hourly snapshots, so there are sales to make groups from
            await engine.cycle("demo")
            self.fake.advance()
            say(f"market data: hour {hour + 1} of {WARM_UP} fetched (commodities and every realm's auctions)")
        listener = asyncio.get_running_loop().create_task(self._narrate(services))
        playing = self.game.start()
        say("fake game started: Wow.exe is running in the retail install" if playing else
            "fake game skipped on this system: retail targets are applied at once")
        for target in targets:
            await services.targets.change(target.id, {"mode": str(Mode.MERGE)})
        say("merging turned on for every target")
        await engine.cycle("demo")
        retail = [t for t in await services.targets.all() if t.flavor is Flavor.RETAIL]
        if playing:
            await self._wait(services, retail, State.PENDING, "pending while the game runs")
            self.game.stop()
            say("fake game stopped: World of Warcraft closed")
        await self._wait(services, await services.targets.all(), State.APPLIED, "applied")
        for file in self.sandbox.files:
            backups = services.backups.backups_of(file.path)
            say(f"backup of {file.account} ({file.flavor}): {len(backups)} kept, newest "
                f"{backups[-1].id if backups else 'none'}")
        listener.cancel()
        say("demo cycle done: refreshed, generated, pending while playing, applied after, backed up")

    async def _wait(self, services: Services, targets: list[Any], state: State, what: str) -> None:
        ids = {t.id for t in targets}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while loop.time() < deadline:
            now = {t.id: t for t in await services.targets.all() if t.id in ids}
            if all(t.state is state for t in now.values()):
                self.say(f"{len(now)} target(s) {what}")
                return
            broken = [t for t in now.values() if t.state is State.ERROR]
            if broken:
                raise RuntimeError(f"{broken[0].file}: {broken[0].reason}")
            await services.engine.check()
            await asyncio.sleep(0.5)
        raise TimeoutError(f"the targets were not {what} within {WAIT:.0f} s")

    async def _narrate(self, services: Services) -> None:
        sub = services.bus.subscribe()
        told: dict[str, tuple[object, object]] = {}  # target → the state and reason last shown
        while (event := await sub.get()) is not None:
            if event.type is EventType.TARGET_STATE:
                now = (event.data.get("state"), event.data.get("reason"))
                if now[0] != str(State.PENDING) or told.get(str(event.data.get("id"))) == now:
                    continue
                told[str(event.data.get("id"))] = now
            names = {t.id: t for t in await services.targets.all()}
            line = describe(event.type, event.data, names)
            if line:
                self.say(f"  {line}")

    async def _keep_going(self, info: DaemonInfo, services: Services) -> None:
        self.say(f"the daemon keeps running at {info.url}; Ctrl-C stops it")
        await self._open_ui(info, services)
        while True:
            await asyncio.sleep(120)
            self.fake.advance()
            self.say("the fake market moved on an hour")

    async def _open_ui(self, info: DaemonInfo, services: Services) -> None:
        """Log the browser in with a one-time link (as ``tsmsyncd open`` does) and open the web UI."""
        import webbrowser

        from tsmsyncd.http.launch import write_redirect_file

        session = await services.session()
        async with session.post(info.url + "/api/v1/logins", headers={"X-API-Key": info.api_key}) as resp:
            login = await resp.json()
        page = write_redirect_file(services.home, info.url + str(login["path"]))
        opened = await asyncio.to_thread(webbrowser.open, page.as_uri())
        where = "opened in your browser" if opened else f"open {page.as_uri()} in a browser (works once, 2 minutes)"
        self.say(f"web UI: {where}; later, `TSMSYNCD_HOME={services.home} tsmsyncd open` opens it again")


def describe(kind: EventType, data: Mapping[str, Any], targets: Mapping[str, Any]) -> str | None:
    """One line a player can read for an event the demo shows; None for the rest."""
    if kind in (EventType.REFRESH_FINISHED, EventType.REFRESH_FAILED):
        sources = data.get("sources") or []
        counts: dict[str, int] = {}
        for s in sources:
            counts[s["status"]] = counts.get(s["status"], 0) + 1
        told = ", ".join(f"{n} {status.replace('-', ' ')}" for status, n in sorted(counts.items()))
        return f"refresh ({data.get('region')}): {len(sources)} auction houses — {told}"
    if kind is EventType.GROUPS_GENERATED:
        realm = _realm_name(str(data.get("realm")), targets)
        return f"new groups for {realm}: version {data.get('version')}, {data.get('items')} items"
    if kind is EventType.TARGET_STATE:
        return f"{_target_name(targets.get(str(data.get('id'))))}: pending — {data.get('reason')}"
    if kind in (EventType.APPLY_APPLIED, EventType.APPLY_FAILED):
        who = _target_name(targets.get(str(data.get("target"))))
        if kind is EventType.APPLY_FAILED:
            return f"{who}: the apply failed — {data.get('error')}"
        if data.get("status") == "unchanged":
            return f"{who}: already up to date"
        profiles = ((data.get("report") or {}).get("profiles") or [{}])
        added = sum(len(p.get("items_added", ())) for p in profiles)
        removed = sum(len(p.get("items_removed", ())) for p in profiles)
        backup = (data.get("backup") or {}).get("id", "none")
        return f"{who}: applied (+{added} -{removed} items), backup {backup}"
    return None


def _target_name(target: Any) -> str:
    if target is None:
        return "a target"
    return f"{target.account} · {target.profile} ({target.flavor})"


def _realm_name(key: str, targets: Mapping[str, Any]) -> str:
    for t in targets.values():
        if t.realm is not None and str(_key_of(t)) == key:
            return f"{t.realm.name} ({key})"
    return key


def _key_of(target: Any) -> object:
    from tsmsyncd.market.sources import RealmKey

    return RealmKey(target.realm.region, target.realm.connected_realm_id, target.flavor)

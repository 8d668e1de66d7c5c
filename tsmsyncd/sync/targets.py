"""Targets: finding them (installs → accounts → TradeSkillMaster.lua → profiles and their characters),
inferring each one's connected realm, and keeping them with the player's choices (mode, realm, adopting
the root). Discovery reads folders and the meta keys of each file (34 ms on a 50 MB file), never the whole
file through Lua, so it runs in the daemon (on a worker thread), not in a job process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tsmsyncd.config import GroupSource, Settings
from tsmsyncd.db import realms as realms_db
from tsmsyncd.db import targets as targets_db
from tsmsyncd.errors import FieldError, NotFoundError, SavedVariablesError
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.tsm.profiles import AccountProfiles, read_profiles
from tsmsyncd.wow.installs import Discovery, DiscoveryEnv, discover
from tsmsyncd.wow.realms import IndexedRealm
from tsmsyncd.wow.targets import FoundProfile, Mode, Target, TargetRealm, build_targets

__all__ = ["Profiles", "TargetService", "found_profiles", "installs_json", "read_installs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    """What one discovery pass read: the profiles, why a file could not be read, and those files."""

    profiles: list[FoundProfile]
    problems: list[str]
    unreadable: set[str]


def found_profiles(discovery: Discovery) -> Found:
    """Every profile of every TSM file discovery found, and why any file could not be read."""
    found, problems, unreadable = [], [], set()
    for install, flavor_install, account in discovery.accounts():
        if account.tsm_file is None or flavor_install.flavor is None:
            continue
        try:
            profiles = read_profiles(account.tsm_file)
        except SavedVariablesError as exc:
            problems.append(str(exc))
            unreadable.add(str(account.tsm_file))
            continue
        for use in profiles.profiles:
            found.append(FoundProfile(str(install.root), flavor_install.flavor, flavor_install.name, account.name,
                                      str(account.tsm_file), use.profile,
                                      tuple((c.name, c.realm) for c in use.characters)))
    return Found(found, problems, unreadable)


Profiles = dict[str, AccountProfiles | str]  # file → its profiles, or why it could not be read


def read_installs(env: DiscoveryEnv) -> tuple[Discovery, Profiles]:
    """Discovery, and each account file's profiles (``tsmsyncd installs``, ``GET /installs``)."""
    discovery = discover(env)
    profiles: Profiles = {}
    for _install, _flavor, account in discovery.accounts():
        if account.tsm_file is not None:
            try:
                profiles[str(account.tsm_file)] = read_profiles(account.tsm_file)
            except SavedVariablesError as exc:
                profiles[str(account.tsm_file)] = str(exc)
    return discovery, profiles


def installs_json(discovery: Discovery, profiles: Profiles) -> dict[str, object]:
    """Discovery's JSON with each account's ``profiles`` (or ``profiles_error``) added."""
    from tsmsyncd.wow.candidates import json_path

    payload = discovery.as_json()
    for shown, install in zip(payload["installs"], discovery.installs, strict=True):  # type: ignore[call-overload]
        for shown_flavor, flavor in zip(shown["flavors"], install.flavors, strict=True):
            for shown_account, account in zip(shown_flavor["accounts"], flavor.accounts, strict=True):
                read = profiles.get(str(account.tsm_file)) if account.tsm_file else None
                shown_account["profiles"] = None if read is None or isinstance(read, str) else read.as_json()
                shown_account["profiles_error"] = json_path(read) if isinstance(read, str) else None
    return payload


class TargetService:
    """Targets of one data folder, through the database writer."""

    def remote(self, target: Target) -> bool:
        """Whether the target's groups come from a group server: the settings name one, and the target
        did not choose its own machine's rules."""
        return self._settings().group_source is not None and target.group_source != "local"

    def __init__(self, db: DbWriter, settings: Callable[[], Settings], environ: Mapping[str, str]) -> None:
        self._db, self._settings, self._environ = db, settings, environ
        self.problems: list[str] = []

    async def discover(self, now: datetime | None = None) -> list[Target]:
        """Look again: new targets appear (in ``string`` mode), known ones keep what the player chose."""
        env = DiscoveryEnv.current(self._settings().wow_roots, self._environ)
        result = await asyncio.to_thread(lambda: found_profiles(discover(env)))
        found, self.problems = result.profiles, result.problems
        region = self._settings().region
        indexes = {str(f): await self.index(region, str(f)) for f in {p.flavor for p in found}}
        known = await self._db(targets_db.load_targets)
        targets = []
        for flavor, index in indexes.items():
            mine = [p for p in found if str(p.flavor) == flavor]
            targets += build_targets(mine, region, index, known)
        # A file caught half-written (the game truncates and rewrites it at logout) says nothing about its
        # profiles: its targets stay as they were, not "gone" until the next day's discovery.
        targets += [t for t in known.values() if t.present and t.file in result.unreadable]
        await self._db(targets_db.save_found, targets, now or datetime.now(UTC))
        return await self.all()

    async def index(self, region: str, flavor: str) -> list[IndexedRealm]:
        stored = await self._db(realms_db.realms, region, flavor)
        return [IndexedRealm(r.connected_realm_id, r.realm_id, r.slug, r.names) for r in stored]

    async def all(self) -> list[Target]:
        return list((await self._db(targets_db.load_targets)).values())

    async def get(self, target_id: str) -> Target:
        found = (await self._db(targets_db.load_targets)).get(target_id)
        if found is None:
            raise NotFoundError(f"there is no target {target_id!r} (`tsmsyncd targets list` shows them)")
        return found

    async def change(self, target_id: str, changes: Mapping[str, Any], now: datetime | None = None, *,
                     server: GroupSource | None = None) -> Target:
        """The player's changes: ``mode`` (merge, string, off), ``realm`` (a connected realm id, or None to
        infer it again), ``adopt_root``, ``group_source`` (``"local"``: this machine's rules, ``"remote"``:
        the group server of the settings, or ``server``, about to become it; None: the server when the
        settings name one). Each is checked and named when wrong; nothing is stored then."""
        target = await self.get(target_id)
        allowed = {"mode", "realm", "adopt_root", "group_source"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise FieldError(unknown[0], f"cannot be changed (changeable: {', '.join(sorted(allowed))})")
        update: dict[str, Any] = {}
        if "mode" in changes:
            try:
                update["mode"] = Mode(str(changes["mode"]))
            except ValueError as exc:
                raise FieldError("mode", f"{changes['mode']!r} is not merge, string or off") from exc
        if "adopt_root" in changes:
            if not isinstance(changes["adopt_root"], bool):
                raise FieldError("adopt_root", "must be true or false")
            update["adopt_root"] = changes["adopt_root"]
        if "group_source" in changes:
            choice = changes["group_source"]
            if choice not in ("local", "remote", None):
                raise FieldError("group_source", 'must be "local", "remote", null, or a server {"url", "token"}')
            if choice == "remote" and self._settings().group_source is None and server is None:
                raise FieldError("group_source", 'no group server is set: give one as {"url": ..., "token": ...}')
            update["group_source"] = choice
        if "realm" in changes:
            update["realm"] = await self._realm(target, changes["realm"])
        return await self._db(targets_db.update_target, target_id, now or datetime.now(UTC), **update)

    async def _realm(self, target: Target, value: object) -> TargetRealm | None:
        if value is None:
            return None  # inferred again at the next discovery
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
            raise FieldError("realm", "must be a connected realm id (a whole number) or null to infer it")
        region = self._settings().region
        index = await self.index(region, str(target.flavor))
        names = [r.name for r in index if r.connected_realm_id == value]
        if index and not names:
            raise FieldError("realm", f"{value} is not a connected realm of {region} "
                                      f"(`tsmsyncd realms list --region {region}` shows them)")
        return TargetRealm(region, value, ", ".join(names), False, "set by hand")

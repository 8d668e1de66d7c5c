"""A target: one TSM profile in one account's TradeSkillMaster.lua (DESIGN.md "Targets"), and the pure
work of finding targets in what discovery found.

A target's ``id`` is stable and URL-safe: a hash of the file's resolved path and the profile, so it is
the same after a restart and does not leak the path into URLs. Its realm is inferred from the realms of
the characters that use the profile, through Blizzard's realm index (``wow/realms.py``), resolved to the
connected realm, or set by hand. New targets start in ``string`` mode: nothing is merged until the player
turns merging on. A target's groups come from the rules on this machine, or from a group server when the
settings name one (``group_source``); ``group_source`` on the target may say ``"local"`` or ``"remote"``
instead of following the settings (None).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from tsmsyncd.wow.flavor import Flavor
from tsmsyncd.wow.realms import IndexedRealm, infer_realm

__all__ = ["Mode", "State", "Target", "TargetRealm", "build_targets", "target_id"]


class Mode(StrEnum):
    MERGE = "merge"  # applied automatically when safe
    STRING = "string"  # only import strings are offered
    OFF = "off"


class State(StrEnum):
    IDLE = "idle"
    REFRESHING = "refreshing"
    PLANNED = "planned"
    PENDING = "pending"  # a plan waits for the game to close
    APPLYING = "applying"
    APPLIED = "applied"
    ERROR = "error"


@dataclass(frozen=True)
class TargetRealm:
    region: str
    connected_realm_id: int
    name: str
    inferred: bool
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"region": self.region, "connected_realm_id": self.connected_realm_id, "name": self.name,
                "inferred": self.inferred, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TargetRealm:
        return cls(str(data["region"]), int(data["connected_realm_id"]), str(data.get("name", "")),
                   bool(data.get("inferred", False)), str(data.get("reason", "")))


@dataclass(frozen=True)
class Target:
    id: str
    install: str
    flavor: Flavor
    folder: str  # the flavor folder, ``_retail_``
    account: str
    profile: str
    file: str
    characters: tuple[str, ...] = ()  # "Name - Realm", as TSM keys them
    realm: TargetRealm | None = None
    realm_reason: str = ""  # why there is no realm (unknown, ambiguous, no index yet)
    mode: Mode = Mode.STRING
    state: State = State.IDLE
    reason: str | None = None
    last_apply: Mapping[str, Any] | None = None
    adopt_root: bool = False
    present: bool = True  # discovery still finds the file
    group_source: str | None = None  # "local", "remote", or None: a group server when the settings name one
    extra: Mapping[str, Any] = field(default_factory=dict)  # transient, for the API (the pending plan...)

    @property
    def path(self) -> Path:
        return Path(self.file)

    def as_json(self) -> dict[str, Any]:
        realm = self.realm.as_json() if self.realm else None
        return {"id": self.id, "install": self.install, "flavor": str(self.flavor), "folder": self.folder,
                "account": self.account, "profile": self.profile, "file": self.file,
                "characters": list(self.characters), "realm": realm,
                "realm_reason": self.realm_reason or None, "mode": str(self.mode), "state": str(self.state),
                "reason": self.reason, "last_apply": dict(self.last_apply) if self.last_apply else None,
                "adopt_root": self.adopt_root, "present": self.present, "group_source": self.group_source,
                **dict(self.extra)}


def target_id(file: Path | str, profile: str) -> str:
    """Stable, URL-safe: the same file and profile give the same id on every start."""
    key = f"{Path(file)}\0{profile}".encode("utf-8", "surrogateescape")
    return hashlib.sha256(key).hexdigest()[:16]


@dataclass(frozen=True)
class FoundProfile:
    """What discovery and the file's meta keys say about one profile (the input of ``build_targets``)."""

    install: str
    flavor: Flavor
    folder: str
    account: str
    file: str
    profile: str
    characters: tuple[tuple[str, str], ...]  # (name, realm)


def build_targets(found: Iterable[FoundProfile], region: str, index: Sequence[IndexedRealm],
                  known: Mapping[str, Target]) -> list[Target]:
    """Targets for what was found: a known target keeps its mode, its realm if set by hand, and its state;
    a new one starts in ``string`` mode with its realm inferred (or the reason there is none)."""
    out = []
    for f in found:
        tid = target_id(f.file, f.profile)
        characters = tuple(f"{name} - {realm}" if realm else name for name, realm in f.characters)
        realm, why = _realm(f, region, index)
        previous = known.get(tid)
        if previous is not None and previous.realm is not None and not previous.realm.inferred:
            realm, why = previous.realm, ""  # set by hand: discovery never overrides the player
        base = previous or Target(tid, f.install, f.flavor, f.folder, f.account, f.profile, f.file)
        out.append(replace(base, install=f.install, flavor=f.flavor, folder=f.folder, account=f.account,
                           file=f.file, characters=characters, realm=realm, realm_reason=why, present=True))
    return out


def _realm(found: FoundProfile, region: str, index: Sequence[IndexedRealm]) -> tuple[TargetRealm | None, str]:
    realms = list(dict.fromkeys(realm for _, realm in found.characters if realm))
    if not realms:
        return None, "no character uses this profile yet, so its realm is unknown; set it by hand"
    if not index:
        return None, f"the {region} realm list is not loaded yet (it needs Blizzard API credentials)"
    answer = infer_realm(realms, index)
    if answer.connected_realm_id is None:
        return None, answer.reason
    return TargetRealm(region, answer.connected_realm_id, answer.name or "", True, answer.reason), ""

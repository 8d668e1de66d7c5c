"""Who plays where in the sandbox: its accounts, their TSM profiles and the characters using each.

Pure: a region and a size in, records out. Realms come from the fake Blizzard world
(:data:`tsmsyncd.blizzard.catalog.CONNECTED_REALMS`), under the names the client shows (``Kil'jaeden``,
``Silver Hand``, ``Chants éternels``), which are also the names TSM puts in its keys and the client gives the
per-character folders. The sandbox always has, whatever the region offers:

* a main retail account (``DEMOACCOUNT1``, a legacy account name) with two profiles: ``Default``, used by two
  characters on two realms of the region's largest connected realm, and ``Crafting``, used by two characters
  on a realm whose name has an apostrophe or a space;
* a second retail account (``314159265#1``, Battle.net style) with one profile and two characters;
* a Classic Era account of the same Battle.net name in ``_classic_era_`` (the fake serves Classic Era and
  Classic progression alike; Era's operations carry the most flavor-specific fields), one profile.

``size="large"`` gives the main account old alts on every other realm of the region, as a long-time player's
file has, and spreads its ~50 MB of accounting over them, which keeps each realm under TSM's 55,000 records
per kind in "us" and "eu" (10 and 8 realms); "kr" and "tw" have one realm each, whose ledger then holds more
than TSM itself would keep.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsmsyncd.blizzard.catalog import CONNECTED_REALMS, ConnectedRealm, Realm
from tsmsyncd.errors import InputError, SettingsError
from tsmsyncd.wow.flavor import Flavor

__all__ = ["SIZES", "AccountPlan", "Character", "ProfilePlan", "plan_accounts"]

SIZES = {"small": 200_000, "large": 52_000_000}  # target bytes of the main account's file
SMALL_FILE = SIZES["small"]
MAIN_ACCOUNT, BNET_ACCOUNT = "DEMOACCOUNT1", "314159265#1"
FOLDERS = {Flavor.RETAIL: "_retail_", Flavor.CLASSIC_ERA: "_classic_era_"}
# Names of old alts a long-time player left on other realms (size="large").
_ALTS = ("Ashvale", "Brynnwen", "Corvash", "Dellora", "Eskarn", "Fennick", "Galdra", "Hollisse", "Isravel",
         "Jorund", "Kessara", "Lorvath", "Mirabeth", "Norrick", "Olwenna", "Perrik")
_CLASSES = ("MAGE", "WARRIOR", "PRIEST", "DRUID", "HUNTER", "SHAMAN", "ROGUE", "PALADIN", "WARLOCK")


@dataclass(frozen=True)
class Character:
    name: str
    realm: str  # the client's display name
    faction: str  # "Horde" or "Alliance"
    connected_realm_id: int
    class_key: str = "MAGE"

    @property
    def key(self) -> str:
        """TSM's char scope key and ``_currentProfile`` key: ``Name - Realm``."""
        return f"{self.name} - {self.realm}"

    @property
    def factionrealm(self) -> str:
        return f"{self.faction} - {self.realm}"

    @property
    def sync_key(self) -> str:
        return f"{self.name} - {self.faction} - {self.realm}"

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "realm": self.realm, "faction": self.faction,
                "connected_realm_id": self.connected_realm_id}


@dataclass(frozen=True)
class ProfilePlan:
    name: str
    theme: str  # which player's groups it holds (see ``groups.THEMES``)
    characters: tuple[Character, ...]


@dataclass(frozen=True)
class AccountPlan:
    flavor: Flavor
    account: str
    profiles: tuple[ProfilePlan, ...]
    target_bytes: int  # about how big its TradeSkillMaster.lua is
    large: bool = False  # a long-time player's file: a big generated group tree as well

    @property
    def folder(self) -> str:
        return FOLDERS[self.flavor]

    @property
    def characters(self) -> tuple[Character, ...]:
        return tuple(c for p in self.profiles for c in p.characters)


def _odd(name: str) -> bool:
    return "'" in name or " " in name


def _choose_realms(region: str) -> tuple[list[tuple[Realm, int]], tuple[Realm, int], tuple[Realm, int]]:
    """(two realms of the largest connected realm, a realm with an apostrophe or space, another realm)."""
    crs: tuple[ConnectedRealm, ...] = CONNECTED_REALMS[region]
    pairs = [(realm, cr.id) for cr in crs for realm in cr.realms]
    multi = max(crs, key=lambda cr: len(cr.realms))  # the first of the largest
    main = [(realm, multi.id) for realm in multi.realms[:2]]
    main += main[:1] * (2 - len(main))
    rest = [p for p in pairs if p[1] != multi.id]
    odd = next((p for p in rest if _odd(p[0].name)), None) or next((p for p in pairs if _odd(p[0].name)), pairs[0])
    # The second account: another realm of odd's connection if it has one, else any realm not used yet.
    used = {p[0].id for p in main} | {odd[0].id}
    other = next((p for p in pairs if p[1] == odd[1] and p[0].id not in used), None)
    other = other or next((p for p in rest if p[0].id not in used), None) or main[-1]
    return main, odd, other


def _char(name: str, where: tuple[Realm, int], faction: str, index: int) -> Character:
    return Character(name, where[0].name, faction, where[1], _CLASSES[index % len(_CLASSES)])


def plan_accounts(region: str, size: str) -> tuple[AccountPlan, ...]:
    """The sandbox's accounts for ``region`` ("us", "eu", "kr", "tw") and ``size`` ("small", "large")."""
    if region not in CONNECTED_REALMS:
        raise SettingsError("region", f"{region!r} has no realms in the fake server; use one of "
                                      f"{', '.join(sorted(CONNECTED_REALMS))}")
    if size not in SIZES:
        raise InputError(f"sandbox size {size!r} is not one of {', '.join(SIZES)}")
    (first, second), odd, other = _choose_realms(region)
    default: tuple[Character, ...] = (_char("Aeliana", first, "Horde", 0), _char("Borrik", second, "Horde", 1))
    if size == "large":
        taken = {first[0].id, second[0].id, odd[0].id}
        spare = [(r, cr.id) for cr in CONNECTED_REALMS[region] for r in cr.realms if r.id not in taken]
        default += tuple(_char(_ALTS[i % len(_ALTS)], where, ("Horde", "Alliance")[i % 2], i + 4)
                         for i, where in enumerate(spare))
    crafting = (_char("Thalíndra", odd, "Alliance", 2), _char("Grimbrew", odd, "Alliance", 3))
    main = AccountPlan(Flavor.RETAIL, MAIN_ACCOUNT, (
        ProfilePlan("Default", "gatherer", default), ProfilePlan("Crafting", "crafter", crafting),
    ), SIZES[size], large=size == "large")
    farmers = (_char("Mirelle", other, "Alliance", 4), _char("Korgash", other, "Horde", 5))
    second_account = AccountPlan(Flavor.RETAIL, BNET_ACCOUNT, (ProfilePlan("Default", "farmer", farmers),), SMALL_FILE)
    classic = (_char("Oldwick", first, "Alliance", 0), _char("Brannoc", first, "Alliance", 7))
    era = AccountPlan(Flavor.CLASSIC_ERA, BNET_ACCOUNT, (ProfilePlan("Default", "classic", classic),), SMALL_FILE)
    return (main, second_account, era)

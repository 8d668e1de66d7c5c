"""What one sandbox account's ``TradeSkillMaster.lua`` holds, and its bytes.

The file is TSM4's flat ``TradeSkillMasterDB`` (reference §1-§3): every setting is one key
``<scope>@<scopeKey>@<namespace>@<setting>`` for the global (``g@ @…``), profile (``p@Default@…``), realm
(``r@Silver Hand@…``), faction-realm (``f@Horde - Silver Hand@…``), character (``c@Name - Realm@…``) and sync
(``s@Name - Horde - Realm@…``) scopes, next to the meta keys TSM checks before it would wipe the database:
``_version``, ``_hash``, ``_scopeKeys``, ``_currentProfile`` (``"Name - Realm"`` → profile), ``_syncAccountKey``
(one ``"Faction - Realm - <9 digits>"`` per faction-realm of this account), ``_syncOwner`` (each character → its
account's key, so TSM sees no copied file) and ``_lastModifiedVersion``. A second global, ``TSMItemInfoDB``,
follows, as in every real file. The settings chosen are the ones real files carry (shared/fixtures), with
TSM's defaults as values where the player changed nothing.

What is not real, and says so here: ``_hash`` is a stand-in (TSM computes it from its schema and rewrites it
on load; a real v4.14.22 client would take a wrong one for a different schema and reset the file, which does
not matter without a game), and ``TSMItemInfoDB.data`` is packed in our own layout, not TSM's.
Times are relative to a fixed ``AS_OF`` so a build never reads the clock.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Mapping, Sequence

from tsmsyncd.blizzard.catalog import CONNECTED_REALMS, ITEMS_BY_ID, PETS, SYNTHETIC_BASE_ID, synthetic_commodity
from tsmsyncd.demo.accounting import Traded, buyer_names, realm_accounting
from tsmsyncd.demo.groups import ProfileTables, profile_tables
from tsmsyncd.demo.layout import AccountPlan, Character
from tsmsyncd.demo.luawriter import write_globals
from tsmsyncd.tsm.operations import MODULES
from tsmsyncd.wow.flavor import Flavor

__all__ = ["AS_OF", "SCHEMA_VERSION", "account_file", "account_tables"]

DB_NAME, ITEM_INFO = "TradeSkillMasterDB", "TSMItemInfoDB"
SCHEMA_VERSION = 129  # TSM v4.14.22 (reference §1)
_HASH = {Flavor.RETAIL: 7_364_213, Flavor.CLASSIC: 12_881_905, Flavor.CLASSIC_ERA: 4_118_652}  # stand-ins < 2^24
_BUILD = {Flavor.RETAIL: ("11.0.5", "57212"), Flavor.CLASSIC: ("4.4.1", "57294"),
          Flavor.CLASSIC_ERA: ("1.15.4", "56738")}
AS_OF = 1_735_689_600  # 2025-01-01 00:00 UTC: the newest record in every ledger
LEDGER_DAYS = {False: 90, True: 730}  # how far back a small / a long-time player's ledger goes

# Settings whose schema entry changed after version 10, as real files list them (real-tbc-classic.lua).
_VERSIONS = {
    "g@coreOptions@groupPriceSource": 41, "g@shoppingOptions@buyoutConfirm": 46, "g@debug@chatLoggingEnabled": 19,
    "g@shoppingOptions@buyoutAlertSource": 46, "g@shoppingOptions@pctSource": 12, "g@tooltipOptions@enabled": 20,
    "g@coreOptions@protectAuctionHouse": 77, "g@appearanceOptions@showTotalMoney": 95,
    "g@mainUIContext@dashboardTimeRange": 78, "g@mainUIContext@groupsDividedContainer": 55,
    "g@shoppingOptions@maxDeSearchPercent": 23, "p@gatheringOptions@sources": 32,
    "p@internalData@createdDefaultOperations": 11, "s@internalData@classKey": 19, "s@internalData@bagQuantity": 19,
    "s@internalData@bankQuantity": 19, "s@internalData@reagentBankQuantity": 19, "s@internalData@auctionQuantity": 19,
    "s@internalData@mailQuantity": 19, "s@internalData@goldLog": 25, "s@internalData@goldLogLastUpdate": 83,
    "s@internalData@money": 74, "s@internalData@playerProfessions": 36, "c@internalData@auctionSaleHints": 45,
    "c@mainUIContext@groupsManagementGroupTree": 71, "f@internalData@mailExcessGoldLimit": 49,
    "f@internalData@mailExcessGoldChar": 49, "f@internalData@csvAuctionDBScan": 50,
    "f@internalData@auctionDBScanTime": 50, "f@internalData@auctionDBScanHash": 50, "f@internalData@crafts": 99,
    "f@internalData@isCraftFavorite": 56, "f@internalData@expiringMail": 47, "f@internalData@expiringAuction": 47,
    "f@gatheringContext@professions": 32, "f@gatheringContext@crafter": 32, "f@userData@craftingCooldownIgnore": 99,
    "g@userData@sharedOperations": 121, "g@userData@customPriceSourceFormat": 123,
    "g@userData@ungroupedItemMode": 106, "c@mainUIContext@importGroupTree": 80,
}
_CHAR_TREES = ("auctionUIContext@auctioningGroupTree", "auctionUIContext@shoppingGroupTree",
               "bankingUIContext@warehousingGroupTree", "bankingUIContext@mailingGroupTree",
               "bankingUIContext@auctioningGroupTree", "mailingUIContext@groupTree", "craftingUIContext@groupTree",
               "vendoringUIContext@groupTree", "mainUIContext@exportGroupTree")
_VERSIONS.update({f"c@{tree}": 80 for tree in _CHAR_TREES})  # the group trees' UI state moved in v80
_PROFESSIONS = (("Herbalism", "Mining"), ("Alchemy", "Inscription"), ("Skinning", "Leatherworking"),
                ("Tailoring", "Enchanting"), ("Mining", "Blacksmithing"), ("Jewelcrafting", "Engineering"))


def _global_settings(flavor: Flavor) -> dict[str, object]:
    """The account's global settings: TSM's defaults as real files hold them, and one custom price."""
    return {
        "g@ @coreOptions@globalOperations": False, "g@ @coreOptions@chatFrame": "",
        "g@ @coreOptions@auctionSaleSound": "TSM_NO_SOUND", "g@ @coreOptions@auctionSaleEnabled": True,
        "g@ @coreOptions@protectAuctionHouse": False, "g@ @coreOptions@groupPriceSource": "dbmarket",
        "g@ @coreOptions@destroyValueSource": "dbmarket", "g@ @coreOptions@minimapIcon": {"hide": False},
        "g@ @tooltipOptions@enabled": True, "g@ @tooltipOptions@tooltipPriceFormat": "text",
        "g@ @tooltipOptions@deTooltip": True, "g@ @tooltipOptions@millTooltip": True,
        "g@ @tooltipOptions@prospectTooltip": True, "g@ @tooltipOptions@detailedDestroyTooltip": False,
        "g@ @tooltipOptions@operationTooltips": dict.fromkeys(MODULES, False),
        "g@ @tooltipOptions@customPriceTooltips": {"mymarket": True},
        "g@ @auctioningOptions@scanCompleteSound": "TSM_NO_SOUND", "g@ @auctioningOptions@cancelWithBid": False,
        "g@ @auctioningOptions@disableInvalidMsg": False, "g@ @auctioningOptions@confirmCompleteSound": "TSM_NO_SOUND",
        "g@ @shoppingOptions@buyoutConfirm": False, "g@ @shoppingOptions@pctSource": "dbmarket",
        "g@ @shoppingOptions@buyoutAlertSource": "min(100000g, 200% dbmarket)",
        "g@ @shoppingOptions@maxDeSearchPercent": 100, "g@ @shoppingOptions@maxDeSearchLvl": 500,
        "g@ @sniperOptions@sniperSound": "TSM_NO_SOUND", "g@ @mailingOptions@openMailSound": "TSM_NO_SOUND",
        "g@ @mailingOptions@deMaxQuality": 2, "g@ @mailingOptions@resendDelay": 1,
        "g@ @mailingOptions@keepMailSpace": 0, "g@ @destroyingOptions@deAbovePrice": "0c",
        "g@ @vendoringOptions@qsMarketValue": "dbmarket", "g@ @accountingOptions@trackTrades": True,
        "g@ @accountingOptions@autoTrackTrades": False, "g@ @accountingOptions@smartBuyPrice": False,
        "g@ @craftingOptions@defaultMatCostMethod": "min(dbmarket, crafting, vendorbuy, convert(dbmarket))",
        "g@ @craftingOptions@defaultCraftPriceMethod": "first(dbminbuyout, dbmarket)*0.95",
        "g@ @craftingOptions@ignoreCharacters": {}, "g@ @craftingOptions@ignoreGuilds": {},
        "g@ @userData@customPriceSources": {"mymarket": "max(dbmarket, 80% dbregionmarketavg)"},
        "g@ @userData@customPriceSourceFormat": {}, "g@ @userData@ungroupedItemMode": "specific",
        "g@ @userData@sharedOperations": {}, "g@ @userData@vendoringIgnore": {},
        "g@ @userData@destroyingIgnore": {}, "g@ @internalData@destroyingHistory": {},
        "g@ @mainUIContext@dashboardTimeRange": -1, "g@ @mainUIContext@groupsDividedContainer": {"leftWidth": 300},
        "g@ @debug@chatLoggingEnabled": False, "g@ @appearanceOptions@showTotalMoney": False,
        "g@ @bankingUIContext@tab": "Warehousing" if flavor is Flavor.RETAIL else "Mailing",
    }


def _meta(plan: AccountPlan, rng: random.Random) -> dict[str, object]:
    chars = plan.characters
    factionrealms = list(dict.fromkeys(c.factionrealm for c in chars))
    account_keys = {fr: f"{fr} - {rng.randrange(100_000_000, 1_000_000_000)}" for fr in factionrealms}
    return {
        "_version": SCHEMA_VERSION,
        "_hash": _HASH[plan.flavor],
        "_scopeKeys": {
            "profile": [p.name for p in plan.profiles],
            "char": [c.key for c in chars],
            "sync": [c.sync_key for c in chars],
            "factionrealm": factionrealms,
            "realm": list(dict.fromkeys(c.realm for c in chars)),
        },
        "_currentProfile": {c.key: p.name for p in plan.profiles for c in p.characters},
        "_syncAccountKey": account_keys,
        "_syncOwner": {c.sync_key: account_keys[c.factionrealm] for c in chars},
    }


def _profile_settings(name: str, tables: ProfileTables) -> dict[str, object]:
    return {
        f"p@{name}@userData@groups": tables.groups,
        f"p@{name}@userData@items": tables.items,
        f"p@{name}@userData@operations": tables.operations,
        f"p@{name}@internalData@createdDefaultOperations": True,
        f"p@{name}@gatheringOptions@sources": ["vendor", "guildBank", "alt", "altGuildBank", "craftProfit",
                                               "auction", "craftNoProfit"],
    }


def _factionrealm_settings(
    fr: str, chars: Sequence[Character], flavor: Flavor, rng: random.Random
) -> dict[str, object]:
    here = [c for c in chars if c.factionrealm == fr]
    settings: dict[str, object] = {
        f"f@{fr}@internalData@guildVaults": {}, f"f@{fr}@internalData@expiringMail": {},
        f"f@{fr}@internalData@expiringAuction": {}, f"f@{fr}@internalData@pendingMail": {c.name: {} for c in here},
        f"f@{fr}@internalData@characterGuilds": {c.name: "Gilded Ledger" for c in here if rng.random() < 0.5},
        f"f@{fr}@internalData@mailExcessGoldLimit": 10_000_000_000, f"f@{fr}@internalData@mailExcessGoldChar": "",
        f"f@{fr}@internalData@csvAuctionDBScan": "", f"f@{fr}@internalData@auctionDBScanTime": 0,
        f"f@{fr}@internalData@auctionDBScanHash": 0, f"f@{fr}@internalData@crafts": {},
        f"f@{fr}@internalData@mats": {}, f"f@{fr}@internalData@isCraftFavorite": {},
        f"f@{fr}@userData@craftingCooldownIgnore": {}, f"f@{fr}@gatheringContext@crafter": "",
        f"f@{fr}@gatheringContext@professions": {},
    }
    if flavor is Flavor.CLASSIC_ERA:  # only Vanilla/Era clients have the whitelist (reference §13)
        settings[f"f@{fr}@auctioningOptions@whitelist"] = {}
    return settings


def _character_settings(
    char: Character, index: int, tables: ProfileTables, rng: random.Random
) -> dict[str, object]:
    c, s = f"c@{char.key}@", f"s@{char.sync_key}@internalData@"
    tops = [p for p in tables.paths if "`" not in p]
    settings: dict[str, object] = {}
    for tree in _CHAR_TREES:
        folded = {p: True for p in tops if rng.random() < 0.4}  # groups the player folded in that window
        settings[c + tree] = {"collapsed": folded, "unselected": {}}
    settings[c + "mainUIContext@groupsManagementGroupTree"] = {"collapsed": {p: True for p in tops[:2]}}
    settings[c + "mainUIContext@importGroupTree"] = {"collapsed": {}, "selected": {}}
    settings[c + "internalData@auctionMessages"] = {}
    settings[c + "internalData@auctionPrices"] = {}
    settings[c + "internalData@auctionSaleHints"] = {}
    held = rng.sample(sorted(tables.items), min(12, len(tables.items)))
    settings[s + "bagQuantity"] = {item: rng.randint(1, 200) for item in held[:8]}
    settings[s + "bankQuantity"] = {item: rng.randint(20, 2_000) for item in held[8:]}
    settings[s + "reagentBankQuantity"] = {}
    settings[s + "auctionQuantity"] = {item: rng.randint(1, 40) for item in held[:3]}
    settings[s + "mailQuantity"] = {}
    settings[s + "classKey"] = char.class_key
    money = rng.randint(10_000, 5_000_000) * 10_000
    settings[s + "money"] = money
    minute = AS_OF // 60
    log = [b"minute,copper"] + [b"%d,%d" % (minute - 1440 * (30 - d), money * (40 + d * 2) // 100) for d in range(30)]
    settings[s + "goldLog"] = b"\n".join(log)
    settings[s + "goldLogLastUpdate"] = AS_OF - rng.randint(0, 86_400)
    first, second = _PROFESSIONS[index % len(_PROFESSIONS)]
    settings[s + "playerProfessions"] = {
        name: {"level": level, "maxLevel": 100, "isSecondary": False, "skillId": -1}
        for name, level in ((first, rng.randint(50, 100)), (second, rng.randint(1, 100)))
    }
    return settings


def _item_info(flavor: Flavor, tables: Sequence[ProfileTables]) -> dict[str, object]:
    """``TSMItemInfoDB``: TSM's item cache, ``\\x02``-separated names and item strings and packed records."""
    strings = sorted({s for t in tables for s in t.items}, key=lambda s: (s[0], int(s.split(":")[1])))
    names, data = [], []
    pets = {pet.id: pet.name for pet in PETS}
    for item_string in strings:
        kind, number = item_string.split(":")[:2]
        if kind == "p":
            names.append(pets[int(number)])
            data.append(struct.pack("<IHBBBH", 0, 1, 1, 17, 0, 1))
            continue
        item_id = int(number)
        item = ITEMS_BY_ID.get(item_id) or synthetic_commodity(item_id - SYNTHETIC_BASE_ID)
        names.append(item.name)
        data.append(struct.pack("<IHBBBH", item.sell_price, item.level, item.quality, item.item_class,
                                item.item_subclass, item.max_stack))
    build, revision = _BUILD[flavor]
    return {"locale": "enUS", "revision": revision, "version": 8, "build": build,
            "names": "\x02".join(names), "itemStrings": "\x02".join(strings), "data": b"".join(data)}


def _connection(char: Character) -> list[str]:
    """The realm names of ``char``'s connected realm (other players there are named ``Name-Realm``)."""
    for crs in CONNECTED_REALMS.values():
        for cr in crs:
            if cr.id == char.connected_realm_id:
                return [realm.name for realm in cr.realms]
    return [char.realm]


def _ledgers(
    plan: AccountPlan, tables: Mapping[str, ProfileTables], budget: int, rng: random.Random
) -> dict[str, object]:
    """Every realm's Accounting strings, ``budget`` bytes split evenly over the account's realms."""
    profile_of = {c.key: p.name for p in plan.profiles for c in p.characters}
    realms = list(dict.fromkeys(c.realm for c in plan.characters))
    settings: dict[str, object] = {}
    for realm in realms:
        chars = [c for c in plan.characters if c.realm == realm]
        goods: list[Traded] = []
        for profile in dict.fromkeys(profile_of[c.key] for c in chars):
            goods += tables[profile].goods
        others = buyer_names(rng, 60, _connection(chars[0]))
        ledger = realm_accounting(rng, goods, [c.name for c in chars], others, budget // len(realms), AS_OF,
                                  LEDGER_DAYS[plan.large], retail=plan.flavor is Flavor.RETAIL)
        settings.update({f"r@{realm}@internalData@{key}": value for key, value in ledger.items()})
        settings[f"r@{realm}@internalData@accountingTrimmed"] = {}
    return settings


def _last_modified(db: Mapping[str, object]) -> dict[str, int]:
    """``_lastModifiedVersion``: ``scope@namespace@setting`` → the schema version that last changed it."""
    found: dict[str, int] = {}
    for key in db:
        if key.startswith("_"):
            continue
        scope, _, namespace, setting = key.split("@", 3)
        short = f"{scope}@{namespace}@{setting}"
        found[short] = _VERSIONS.get(short, 10)
    return found


def account_tables(plan: AccountPlan, seed: int) -> tuple[dict[str, object], dict[str, object]]:
    """The account's ``TradeSkillMasterDB`` and ``TSMItemInfoDB`` tables (Python form), deterministic for
    ``seed``, with about ``plan.target_bytes`` of file once written."""
    rng = random.Random(f"tsmsyncd.sandbox/{seed}/{plan.folder}/{plan.account}")
    tables = {p.name: profile_tables(p.theme, plan.flavor, p.characters[-1].name, plan.large and i == 0)
              for i, p in enumerate(plan.profiles)}
    db: dict[str, object] = _meta(plan, rng)
    db.update(_global_settings(plan.flavor))
    for name, profile in tables.items():
        db.update(_profile_settings(name, profile))
    chars = plan.characters
    for fr in dict.fromkeys(c.factionrealm for c in chars):
        db.update(_factionrealm_settings(fr, chars, plan.flavor, rng))
    profile_of = {c.key: p.name for p in plan.profiles for c in p.characters}
    for index, char in enumerate(chars):
        db.update(_character_settings(char, index, tables[profile_of[char.key]], rng))
    info = _item_info(plan.flavor, list(tables.values()))
    # Measure what is there so far and give the rest of the target to the ledgers (most of a real file).
    written = len(write_globals([(DB_NAME, db), (ITEM_INFO, info)], random.Random(0)))
    db.update(_ledgers(plan, tables, max(0, plan.target_bytes - written), rng))
    db["_lastModifiedVersion"] = _last_modified(db)
    return db, info


def account_file(plan: AccountPlan, seed: int) -> bytes:
    """The bytes of the account's ``TradeSkillMaster.lua``, as the client would have written them."""
    db, info = account_tables(plan, seed)
    rng = random.Random(f"tsmsyncd.sandbox/{seed}/{plan.folder}/{plan.account}/order")
    return write_globals([(DB_NAME, db), (ITEM_INFO, info)], rng)

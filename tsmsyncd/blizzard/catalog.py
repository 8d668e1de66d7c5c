"""The fixed facts of the fake Blizzard world: items, battle pets, connected realms, their localized names, and
the static documents the API builds from them (``realm_document``, ``item_document``).

Everything here is real data as far as we could check it. Item ids and English names come from the game and were
cross-checked against public addon data (herb/ore/skinning tables, reagent lists by expansion, potion tables,
companion-pet species tables); realm ids, names, timezones and the translations of status/population/type/region/
category strings are copied from a real 2022 connected-realm dump (``Metric/AnSDataService:realms/*-connected.json``).
What is NOT real, and says so where it matters:

- ``sell_price`` (vendor price) and ``level`` are approximate; ``base_price`` is a synthetic auction price that only
  drives the fake market.
- Item names are English only; other locales repeat the English text (the catalog carries no translations).
- Realms marked ``[UNVERIFIED]`` have plausible but unchecked ids (single-realm EU connections, KR, TW).
- Generated commodity ids (``synthetic_commodity``) extend the catalog for scale tests; they live at 900000+, far
  above any real item id, so nobody mistakes them for game data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "CATEGORY_NAMES", "CLASS_NAMES", "CONNECTED_REALMS", "INVENTORY_TYPE_NAMES", "ITEMS", "ITEMS_BY_ID", "LOCALES",
    "PET_CAGE_ID", "PETS", "POPULATION_NAMES", "QUALITY_TYPES", "REALM_TYPE_NAMES", "REGION_IDS", "REGION_NAMES",
    "STATUS_NAMES", "SYNTHETIC_BASE_ID", "CatalogItem", "ConnectedRealm", "PetSpecies", "Realm", "item_document",
    "localized", "localized_text", "pick", "realm_document", "subclass_name", "synthetic_commodity",
]

# The order Blizzard uses inside all-locale objects (seen in real dumps from every region).
LOCALES = ("en_US", "es_MX", "pt_BR", "de_DE", "en_GB", "es_ES", "fr_FR", "it_IT", "ru_RU", "ko_KR", "zh_TW", "zh_CN")
REGION_IDS = {"us": 1, "kr": 2, "eu": 3, "tw": 4}
PET_CAGE_ID = 82800
SYNTHETIC_BASE_ID = 900_000


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """One item the fake knows: what /data/wow/item/{id} says about it and how the market prices it."""

    id: int
    name: str
    kind: str  # "commodity" (region-wide AH), "gear" or "pet_item" (realm AH), "cage" (item 82800 only)
    item_class: int
    item_subclass: int
    quality: int  # 0 poor, 1 common, 2 uncommon, 3 rare, 4 epic, 5 legendary
    sell_price: int  # copper, approximate
    base_price: int  # copper per unit, synthetic
    level: int
    max_stack: int
    classic: bool  # also listed on the Classic auction houses
    inventory_type: str = "NON_EQUIP"


@dataclass(frozen=True, slots=True)
class PetSpecies:
    """A cageable battle pet species; caged pets are listed as item 82800 carrying the species."""

    id: int
    name: str
    base_price: int


@dataclass(frozen=True, slots=True)
class Realm:
    """One realm inside a connected realm; ``names`` holds the real translations where they differ."""

    id: int
    name: str
    slug: str
    timezone: str
    locale: str
    category: str
    type: str = "NORMAL"
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConnectedRealm:
    """A group of realms sharing one auction house."""

    id: int
    population: str
    realms: tuple[Realm, ...]


CLASS_NAMES = {0: "Consumable", 2: "Weapon", 4: "Armor", 7: "Tradeskill", 15: "Miscellaneous", 17: "Battle Pets"}
_SUBCLASS_NAMES = {
    (0, 1): "Potion", (0, 3): "Flask",
    (2, 0): "Axe", (2, 2): "Bow", (2, 3): "Gun", (2, 4): "Mace", (2, 5): "Mace", (2, 7): "Sword", (2, 8): "Sword",
    (2, 10): "Staff", (2, 15): "Dagger",
    (4, 0): "Miscellaneous", (4, 1): "Cloth", (4, 3): "Mail", (4, 4): "Plate", (4, 6): "Shield",
    (7, 4): "Jewelcrafting", (7, 5): "Cloth", (7, 6): "Leather", (7, 7): "Metal & Stone", (7, 8): "Cooking",
    (7, 9): "Herb", (7, 10): "Elemental", (7, 11): "Other", (7, 12): "Enchanting",
    (15, 2): "Companion Pets", (17, 0): "Humanoid",  # the cage's subclass is a guess [UNVERIFIED]
}


def subclass_name(item_class: int, item_subclass: int) -> str:
    return _SUBCLASS_NAMES.get((item_class, item_subclass), "Miscellaneous")


# Every item below this id is from the original game, so Classic auction houses list it too.
_FIRST_TBC_ID = 21_000

# (class, subclass, kind, max stack) per row kind below.
_KINDS = {
    "herb": (7, 9, "commodity", 1000), "metal": (7, 7, "commodity", 1000), "cloth": (7, 5, "commodity", 1000),
    "leather": (7, 6, "commodity", 1000), "ench": (7, 12, "commodity", 1000), "elem": (7, 10, "commodity", 1000),
    "jewel": (7, 4, "commodity", 1000), "cook": (7, 8, "commodity", 1000), "other": (7, 11, "commodity", 1000),
    "potion": (0, 1, "commodity", 20), "flask": (0, 3, "commodity", 20), "pet": (15, 2, "pet_item", 1),
}

# Per kind: id, name, quality, vendor sell price, synthetic AH price (copper), item level. Items with ids below
# 21000 (vanilla) are also listed on the Classic auction houses. Same-named consecutive ids are crafting-quality
# ranks (Dragonflight/The War Within), each its own item.
_STACKABLES: dict[str, tuple[tuple[int, str, int, int, int, int], ...]] = {
    # Herbs, vanilla first
    "herb": (
        (2447, "Peacebloom", 1, 10, 900, 5), (765, "Silverleaf", 1, 10, 800, 5),
        (2449, "Earthroot", 1, 10, 1_200, 10), (785, "Mageroyal", 1, 20, 2_500, 15),
        (2450, "Briarthorn", 1, 25, 2_200, 20), (2452, "Swiftthistle", 1, 15, 3_500, 20),
        (2453, "Bruiseweed", 1, 25, 3_000, 24), (3820, "Stranglekelp", 1, 20, 2_000, 25),
        (3355, "Wild Steelbloom", 1, 30, 2_800, 30), (3356, "Kingsblood", 1, 30, 3_200, 30),
        (3357, "Liferoot", 1, 30, 3_600, 35), (3818, "Fadeleaf", 1, 50, 4_000, 40),
        (3821, "Goldthorn", 1, 60, 4_500, 40), (3358, "Khadgar's Whisker", 1, 70, 5_500, 40),
        (8836, "Arthas' Tears", 1, 100, 6_000, 44), (8838, "Sungrass", 1, 80, 7_000, 46),
        (8839, "Blindweed", 1, 100, 5_000, 47), (8845, "Ghost Mushroom", 1, 100, 9_000, 49),
        (8846, "Gromsblood", 1, 100, 8_000, 50), (13464, "Golden Sansam", 1, 100, 11_000, 52),
        (13463, "Dreamfoil", 1, 100, 12_000, 54), (13465, "Mountain Silversage", 1, 100, 15_000, 56),
        (13467, "Icecap", 1, 100, 10_000, 58), (8831, "Purple Lotus", 1, 100, 9_500, 42),
        (4625, "Firebloom", 1, 100, 8_500, 41), (13468, "Black Lotus", 2, 500, 450_000, 60),
        # Later expansions
        (22794, "Fel Lotus", 1, 1_000, 35_000, 70), (36908, "Frost Lotus", 2, 1_500, 40_000, 80),
        (169701, "Death Blossom", 1, 350, 6_000, 50), (168589, "Marrowroot", 1, 200, 5_000, 50),
        (171315, "Nightshade", 1, 600, 90_000, 50), (168586, "Rising Glory", 1, 200, 7_000, 50),
        (170554, "Vigil's Torch", 1, 200, 8_000, 50), (168583, "Widowbloom", 1, 200, 9_000, 50),
        (191460, "Hochenblume", 1, 150, 1_800, 60), (191461, "Hochenblume", 1, 150, 2_400, 60),
        (191462, "Hochenblume", 1, 150, 4_100, 60), (191464, "Saxifrage", 1, 150, 3_000, 60),
        (191466, "Saxifrage", 1, 150, 6_500, 60), (191468, "Bubble Poppy", 1, 150, 4_200, 60),
        (191469, "Bubble Poppy", 1, 150, 7_900, 60), (191470, "Writhebark", 1, 150, 2_900, 60),
        (191472, "Writhebark", 1, 150, 5_800, 60), (210796, "Mycobloom", 1, 200, 8_500, 70),
        (210797, "Mycobloom", 1, 200, 11_000, 70), (210798, "Mycobloom", 1, 200, 16_000, 70),
        (210799, "Luredrop", 1, 200, 9_000, 70), (210800, "Luredrop", 1, 200, 12_500, 70),
        (210801, "Luredrop", 1, 200, 18_000, 70), (210802, "Orbinid", 1, 200, 9_800, 70),
        (210803, "Orbinid", 1, 200, 13_000, 70), (210804, "Orbinid", 1, 200, 19_500, 70),
        (210805, "Blessing Blossom", 1, 200, 8_000, 70), (210806, "Blessing Blossom", 1, 200, 10_500, 70),
        (210807, "Blessing Blossom", 1, 200, 15_000, 70), (210808, "Arathor's Spear", 1, 200, 6_500, 70),
        (210809, "Arathor's Spear", 1, 200, 9_000, 70), (210810, "Arathor's Spear", 1, 200, 14_000, 70),
        (213197, "Null Lotus", 2, 1_000, 1_200_000, 70),
    ),
    # Ores and bars
    "metal": (
        (2770, "Copper Ore", 1, 5, 1_500, 5), (2771, "Tin Ore", 1, 25, 2_000, 15),
        (2775, "Silver Ore", 2, 75, 4_000, 20), (2772, "Iron Ore", 1, 150, 3_500, 25),
        (2776, "Gold Ore", 2, 150, 6_000, 30), (3858, "Mithril Ore", 1, 250, 4_500, 35),
        (7911, "Truesilver Ore", 2, 250, 7_500, 40), (10620, "Thorium Ore", 1, 250, 5_000, 50),
        (2840, "Copper Bar", 1, 10, 1_800, 5), (3576, "Tin Bar", 1, 25, 2_300, 15),
        (2841, "Bronze Bar", 1, 50, 3_000, 20), (3575, "Iron Bar", 1, 100, 4_000, 25),
        (3859, "Steel Bar", 1, 150, 4_400, 30), (3860, "Mithril Bar", 1, 200, 5_200, 35),
        (6037, "Truesilver Bar", 2, 250, 8_000, 40), (3577, "Gold Bar", 2, 150, 6_600, 30),
        (12359, "Thorium Bar", 1, 250, 5_600, 50), (12360, "Arcanite Bar", 2, 1_000, 60_000, 55),
        (109118, "Blackrock Ore", 1, 500, 2_000, 40), (109119, "True Iron Ore", 1, 500, 2_600, 40),
        (123918, "Leystone Ore", 1, 500, 2_100, 45), (152513, "Platinum Ore", 1, 500, 7_000, 50),
        (171828, "Laestrite Ore", 1, 500, 4_500, 50), (188658, "Draconium Ore", 1, 300, 3_800, 60),
        (190395, "Serevite Ore", 1, 300, 1_700, 60), (210930, "Bismuth", 1, 200, 9_000, 70),
        (210931, "Bismuth", 1, 200, 12_000, 70), (210932, "Bismuth", 1, 200, 17_500, 70),
        (210933, "Aqirite", 1, 200, 8_000, 70), (210934, "Aqirite", 1, 200, 11_000, 70),
        (210935, "Aqirite", 1, 200, 15_500, 70), (210936, "Ironclaw Ore", 1, 200, 12_000, 70),
        (210937, "Ironclaw Ore", 1, 200, 16_000, 70), (210938, "Ironclaw Ore", 1, 200, 23_000, 70),
        (210939, "Null Stone", 2, 1_000, 450_000, 70),
    ),
    # Cloth and thread
    "cloth": (
        (2589, "Linen Cloth", 1, 13, 1_200, 5), (2592, "Wool Cloth", 1, 33, 2_000, 15),
        (4306, "Silk Cloth", 1, 150, 3_000, 25), (4338, "Mageweave Cloth", 1, 250, 4_000, 35),
        (14047, "Runecloth", 1, 400, 5_000, 50), (14256, "Felcloth", 1, 2_000, 30_000, 50),
        (14342, "Mooncloth", 2, 2_000, 40_000, 50), (21877, "Netherweave Cloth", 1, 400, 2_500, 60),
        (33470, "Frostweave Cloth", 1, 400, 3_000, 70), (53010, "Embersilk Cloth", 1, 500, 3_500, 80),
        (72988, "Windwool Cloth", 1, 500, 3_000, 85), (111557, "Sumptuous Fur", 1, 500, 2_400, 40),
        (124437, "Shal'dorei Silk", 1, 500, 2_200, 45), (152576, "Tidespray Linen", 1, 500, 1_900, 50),
        (173202, "Shrouded Cloth", 1, 500, 2_700, 50), (193050, "Tattered Wildercloth", 1, 100, 600, 60),
        (193922, "Wildercloth", 1, 300, 2_600, 60), (224824, "Duskweave", 1, 300, 9_000, 70),
        (224828, "Weavercloth", 1, 300, 7_500, 70), (224764, "Mosswool Thread", 1, 100, 1_500, 70),
        (2320, "Coarse Thread", 1, 2, 300, 5), (2321, "Fine Thread", 1, 25, 600, 15),
        (4291, "Silken Thread", 1, 125, 1_500, 25), (8343, "Heavy Silken Thread", 1, 500, 2_500, 35),
        (14341, "Rune Thread", 1, 1_250, 5_000, 50),
    ),
    # Leather
    "leather": (
        (2318, "Light Leather", 1, 15, 1_000, 10), (2319, "Medium Leather", 1, 50, 1_800, 20),
        (4234, "Heavy Leather", 1, 60, 2_400, 30), (4304, "Thick Leather", 1, 75, 3_000, 40),
        (8170, "Rugged Leather", 1, 75, 3_500, 50), (21887, "Knothide Leather", 1, 300, 2_000, 60),
        (124113, "Stonehide Leather", 1, 500, 2_000, 45), (193216, "Dense Hide", 1, 300, 3_200, 60),
        (212664, "Stormcharged Leather", 1, 200, 7_000, 70), (212665, "Stormcharged Leather", 1, 200, 9_500, 70),
        (212666, "Stormcharged Leather", 1, 200, 14_000, 70), (212667, "Gloom Chitin", 1, 200, 8_200, 70),
        (212668, "Gloom Chitin", 1, 200, 11_000, 70), (212669, "Gloom Chitin", 1, 200, 16_500, 70),
        (212670, "Thunderous Hide", 2, 500, 200_000, 70), (212674, "Sunless Carapace", 2, 500, 230_000, 70),
    ),
    # Enchanting
    "ench": (
        (10940, "Strange Dust", 1, 0, 1_500, 10), (11083, "Soul Dust", 1, 0, 2_500, 25),
        (11137, "Vision Dust", 1, 0, 3_500, 35), (11176, "Dream Dust", 1, 0, 4_500, 45),
        (10938, "Lesser Magic Essence", 2, 0, 2_000, 10), (10939, "Greater Magic Essence", 2, 0, 4_000, 15),
        (11174, "Lesser Nether Essence", 2, 0, 4_500, 35), (11175, "Greater Nether Essence", 2, 0, 9_000, 40),
        (16202, "Lesser Eternal Essence", 2, 0, 12_000, 50), (16203, "Greater Eternal Essence", 2, 0, 30_000, 55),
        (14343, "Small Brilliant Shard", 3, 0, 8_000, 50), (14344, "Large Brilliant Shard", 3, 0, 20_000, 55),
        (20725, "Nexus Crystal", 4, 0, 45_000, 60), (22445, "Arcane Dust", 1, 0, 3_000, 60),
        (22446, "Greater Planar Essence", 2, 0, 9_000, 70), (22450, "Void Crystal", 4, 0, 25_000, 70),
        (34054, "Infinite Dust", 1, 0, 4_000, 80), (34055, "Greater Cosmic Essence", 2, 0, 10_000, 80),
        (34052, "Dream Shard", 3, 0, 15_000, 80), (52555, "Hypnotic Dust", 1, 0, 5_000, 85),
        (124440, "Arkhana", 1, 0, 6_000, 45), (194123, "Chromatic Dust", 1, 0, 2_600, 60),
        (194124, "Vibrant Shard", 3, 0, 24_000, 60), (200113, "Resonant Crystal", 4, 0, 90_000, 60),
        (219946, "Storm Dust", 1, 0, 6_000, 70), (219947, "Storm Dust", 1, 0, 8_500, 70),
        (219948, "Storm Dust", 1, 0, 12_000, 70), (219949, "Gleaming Shard", 3, 0, 40_000, 70),
        (219950, "Gleaming Shard", 3, 0, 52_000, 70), (219951, "Gleaming Shard", 3, 0, 70_000, 70),
        (219952, "Refulgent Crystal", 4, 0, 150_000, 70), (219954, "Refulgent Crystal", 4, 0, 190_000, 70),
        (219955, "Refulgent Crystal", 4, 0, 260_000, 70),
    ),
    # Elementals
    "elem": (
        (7067, "Elemental Earth", 1, 200, 3_000, 25), (7068, "Elemental Fire", 1, 200, 4_000, 25),
        (7069, "Elemental Air", 1, 200, 3_500, 25), (7070, "Elemental Water", 1, 200, 2_500, 25),
        (7076, "Essence of Earth", 2, 500, 9_000, 45), (7078, "Essence of Fire", 2, 500, 20_000, 45),
        (7080, "Essence of Water", 2, 500, 12_000, 45), (7082, "Essence of Air", 2, 500, 15_000, 45),
        (7077, "Heart of Fire", 2, 400, 6_000, 40), (7079, "Globe of Water", 2, 400, 3_000, 40),
        (12803, "Living Essence", 2, 500, 11_000, 50), (12808, "Essence of Undeath", 2, 500, 7_000, 50),
        (21884, "Primal Fire", 2, 2_000, 9_000, 65), (21885, "Primal Water", 2, 2_000, 7_000, 65),
        (21886, "Primal Life", 2, 2_000, 8_000, 65), (22451, "Primal Air", 2, 2_000, 12_000, 65),
        (22452, "Primal Earth", 2, 2_000, 6_000, 65), (22456, "Primal Shadow", 2, 2_000, 10_000, 65),
        (22457, "Primal Mana", 2, 2_000, 11_000, 65), (35622, "Eternal Water", 2, 2_000, 5_000, 75),
        (35624, "Eternal Earth", 2, 2_000, 6_000, 75), (35625, "Eternal Life", 2, 2_000, 7_000, 75),
        (35627, "Eternal Shadow", 2, 2_000, 6_500, 75), (36860, "Eternal Fire", 2, 2_000, 9_000, 75),
        (37702, "Crystallized Fire", 1, 200, 900, 75), (52325, "Volatile Fire", 1, 500, 2_500, 80),
        (52326, "Volatile Water", 1, 500, 2_000, 80), (52327, "Volatile Earth", 1, 500, 1_500, 80),
        (52328, "Volatile Air", 1, 500, 2_200, 80), (52329, "Volatile Life", 1, 500, 2_800, 80),
        (52078, "Chaos Orb", 3, 5_000, 40_000, 85), (76061, "Spirit of Harmony", 2, 0, 30_000, 90),
        (113263, "Sorcerous Earth", 1, 500, 1_800, 40), (113264, "Sorcerous Air", 1, 500, 1_600, 40),
        (124124, "Blood of Sargeras", 2, 500, 20_000, 45), (152668, "Expulsom", 2, 500, 25_000, 50),
        (190321, "Awakened Fire", 2, 1_000, 45_000, 60), (190324, "Awakened Order", 2, 1_000, 70_000, 60),
        (190327, "Awakened Air", 2, 1_000, 38_000, 60), (190329, "Awakened Frost", 2, 1_000, 40_000, 60),
        (190331, "Awakened Decay", 2, 1_000, 42_000, 60), (190456, "Artisan's Mettle", 2, 0, 90_000, 60),
        (210814, "Artisan's Acuity", 3, 0, 250_000, 70), (213613, "Leyline Residue", 2, 500, 35_000, 70),
    ),
    # Gems and cooking
    "jewel": (
        (7910, "Star Ruby", 2, 1_000, 10_000, 45), (7971, "Black Pearl", 2, 1_000, 9_000, 45),
        (12364, "Huge Emerald", 3, 2_500, 60_000, 55), (12800, "Azerothian Diamond", 3, 2_500, 55_000, 55),
        (212495, "Radiant Ruby", 3, 1_000, 110_000, 70), (212514, "Blasphemite", 4, 5_000, 900_000, 70),
    ),
    "cook": (
        (220137, "Bismuth Bitterling", 1, 100, 1_200, 70), (220143, "Dornish Pike", 1, 100, 1_600, 70),
        (220152, "Cursed Ghoulfish", 1, 100, 1_900, 70), (222533, "Goldendill Trout", 1, 100, 4_500, 70),
    ),
    # Potions and flasks
    "potion": (
        (118, "Minor Healing Potion", 1, 5, 400, 5), (858, "Lesser Healing Potion", 1, 25, 900, 13),
        (929, "Healing Potion", 1, 100, 1_800, 22), (1710, "Greater Healing Potion", 1, 150, 3_000, 31),
        (3928, "Superior Healing Potion", 1, 250, 5_000, 45), (13446, "Major Healing Potion", 1, 1_000, 12_000, 55),
        (2455, "Minor Mana Potion", 1, 5, 500, 5), (3827, "Mana Potion", 1, 100, 2_500, 25),
        (6149, "Greater Mana Potion", 1, 200, 4_500, 41), (13443, "Superior Mana Potion", 1, 400, 7_000, 49),
        (13444, "Major Mana Potion", 1, 1_000, 15_000, 59), (22829, "Super Healing Potion", 1, 1_000, 6_000, 65),
        (22832, "Super Mana Potion", 1, 1_000, 7_000, 65), (33447, "Runic Healing Potion", 1, 1_000, 5_000, 75),
        (33448, "Runic Mana Potion", 1, 1_000, 6_000, 75), (191380, "Refreshing Healing Potion", 1, 500, 9_000, 60),
        (211878, "Algari Healing Potion", 1, 500, 14_000, 70), (211879, "Algari Healing Potion", 1, 500, 19_000, 70),
        (211880, "Algari Healing Potion", 1, 500, 28_000, 70), (212242, "Cavedweller's Delight", 1, 500, 20_000, 70),
        (212243, "Cavedweller's Delight", 1, 500, 26_000, 70), (212244, "Cavedweller's Delight", 1, 500, 38_000, 70),
    ),
    "flask": (
        (13510, "Flask of the Titans", 1, 3_000, 400_000, 60),
        (13511, "Flask of Distilled Wisdom", 1, 3_000, 250_000, 60),
        (13512, "Flask of Supreme Power", 1, 3_000, 350_000, 60),
        (13513, "Flask of Chromatic Resistance", 1, 3_000, 150_000, 60),
        (46376, "Flask of the Frost Wyrm", 1, 5_000, 60_000, 80),
        (46377, "Flask of Endless Rage", 1, 5_000, 65_000, 80), (46378, "Flask of Pure Mojo", 1, 5_000, 40_000, 80),
        (46379, "Flask of Stoneblood", 1, 5_000, 45_000, 80),
    ),
    # Companion pet items (vanilla carriers and boxes); realm auction house, not commodities
    "pet": (
        (4401, "Mechanical Squirrel Box", 1, 100, 150_000, 20), (8485, "Cat Carrier (Bombay)", 1, 10, 90_000, 20),
        (8486, "Cat Carrier (Cornish Rex)", 1, 10, 90_000, 20),
        (8487, "Cat Carrier (Orange Tabby)", 1, 10, 95_000, 20),
        (8488, "Cat Carrier (Silver Tabby)", 1, 10, 90_000, 20),
        (8489, "Cat Carrier (White Kitten)", 1, 10, 120_000, 20), (8490, "Cat Carrier (Siamese)", 1, 10, 110_000, 20),
        (8491, "Cat Carrier (Black Tabby)", 1, 10, 600_000, 20),
        (8492, "Parrot Cage (Green Wing Macaw)", 1, 10, 250_000, 20),
        (8494, "Parrot Cage (Hyacinth Macaw)", 1, 10, 3_000_000, 20),
        (8495, "Parrot Cage (Senegal)", 1, 10, 90_000, 20), (8496, "Parrot Cage (Cockatiel)", 1, 10, 90_000, 20),
        (8497, "Rabbit Crate (Snowshoe)", 1, 10, 95_000, 20), (10360, "Black Kingsnake", 1, 10, 100_000, 20),
        (10361, "Brown Snake", 1, 10, 100_000, 20), (10392, "Crimson Snake", 1, 10, 110_000, 20),
        (10393, "Undercity Cockroach", 1, 10, 80_000, 20), (10394, "Prairie Dog Whistle", 1, 10, 85_000, 20),
        (10398, "Mechanical Chicken", 1, 10, 140_000, 20), (11023, "Ancona Chicken", 1, 10, 90_000, 20),
        (11026, "Tree Frog Box", 1, 10, 85_000, 20), (11027, "Wood Frog Box", 1, 10, 85_000, 20),
        (11110, "Chicken Egg", 1, 10, 250_000, 20), (11474, "Sprite Darter Egg", 1, 10, 400_000, 20),
        (11825, "Pet Bombling", 1, 10, 300_000, 20), (11826, "Lil' Smoky", 1, 10, 300_000, 20),
        (12264, "Worg Carrier", 1, 10, 500_000, 20),
    ),
}

# World-drop epics (bind on equip since vanilla, still traded): id, name, class, subclass, inventory type, price.
_GEAR: tuple[tuple[int, str, int, int, str, int], ...] = (
    (647, "Destiny", 2, 8, "TWOHWEAPON", 9_000_000), (1728, "Teebu's Blazing Longsword", 2, 7, "WEAPON", 15_000_000),
    (869, "Dazzling Longsword", 2, 7, "WEAPON", 6_000_000), (2801, "Blade of Hanna", 2, 7, "WEAPON", 5_000_000),
    (1982, "Nightblade", 2, 8, "TWOHWEAPON", 7_000_000), (2164, "Gut Ripper", 2, 15, "WEAPON", 5_500_000),
    (2163, "Shadowblade", 2, 15, "WEAPON", 6_000_000), (2243, "Hand of Edward the Odd", 2, 4, "WEAPON", 8_000_000),
    (1263, "Brain Hacker", 2, 5, "TWOHWEAPON", 6_500_000), (2915, "Taran Icebreaker", 2, 5, "TWOHWEAPON", 5_000_000),
    (811, "Axe of the Deep Woods", 2, 0, "WEAPON", 6_000_000), (873, "Staff of Jordan", 2, 10, "TWOHWEAPON", 4_500_000),
    (2099, "Dwarven Hand Cannon", 2, 3, "RANGEDRIGHT", 7_500_000),
    (2825, "Bow of Searing Arrows", 2, 2, "RANGED", 9_000_000),
    (1204, "The Green Tower", 4, 6, "SHIELD", 4_000_000), (12640, "Lionheart Helm", 4, 4, "HEAD", 12_000_000),
    (14551, "Edgemaster's Handguards", 4, 3, "HAND", 10_000_000),
    (14552, "Stockade Pauldrons", 4, 4, "SHOULDER", 4_000_000),
    (14554, "Cloudkeeper Legplates", 4, 4, "LEGS", 4_500_000), (1981, "Icemail Jerkin", 4, 3, "CHEST", 4_000_000),
    (3475, "Cloak of Flames", 4, 1, "CLOAK", 6_000_000), (1980, "Underworld Band", 4, 0, "FINGER", 3_500_000),
    (1443, "Jeweled Amulet of Cainwyn", 4, 0, "NECK", 3_000_000),
    (14558, "Lady Maye's Pendant", 4, 0, "NECK", 3_500_000),
    (833, "Lifestone", 4, 0, "TRINKET", 5_000_000), (14557, "The Lion Horn of Stormwind", 4, 0, "TRINKET", 4_500_000),
)

INVENTORY_TYPE_NAMES = {
    "NON_EQUIP": "Non-equippable", "WEAPON": "One-Hand", "TWOHWEAPON": "Two-Hand", "RANGED": "Ranged",
    "RANGEDRIGHT": "Ranged", "SHIELD": "Off Hand", "HEAD": "Head", "HAND": "Hands", "SHOULDER": "Shoulder",
    "LEGS": "Legs", "CHEST": "Chest", "CLOAK": "Back", "FINGER": "Finger", "NECK": "Neck", "TRINKET": "Trinket",
}
QUALITY_TYPES = ("POOR", "COMMON", "UNCOMMON", "RARE", "EPIC", "LEGENDARY")


def _build_items() -> tuple[CatalogItem, ...]:
    items = []
    for kind, rows in _STACKABLES.items():
        item_class, subclass, market_kind, stack = _KINDS[kind]
        for item_id, name, quality, sell, price, level in rows:
            items.append(CatalogItem(item_id, name, market_kind, item_class, subclass, quality, sell, price, level,
                                     stack, item_id < _FIRST_TBC_ID))
    for item_id, name, item_class, subclass, inventory_type, price in _GEAR:
        # World epics sell to vendors for a few gold; the exact figure is not modelled.
        items.append(CatalogItem(item_id, name, "gear", item_class, subclass, 4, price // 200, price, 60, 1,
                                 item_id < _FIRST_TBC_ID, inventory_type))
    items.append(CatalogItem(PET_CAGE_ID, "Pet Cage", "cage", 17, 0, 1, 0, 0, 1, 1, False))
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids)), "duplicate item id in the catalog"
    return tuple(items)


ITEMS = _build_items()
ITEMS_BY_ID = {item.id: item for item in ITEMS}


def synthetic_commodity(index: int) -> CatalogItem:
    """Generated commodity number ``index`` (0-based), used only to reach realistic row counts at scale."""
    # A spread of price levels (1 silver .. ~50 gold) so the generated items look like a real catalog's.
    price = 100 * (1 + (index * 7919) % 5000)
    return CatalogItem(SYNTHETIC_BASE_ID + index, f"Synthetic Commodity {SYNTHETIC_BASE_ID + index}", "commodity",
                       7, 11, 1, price // 20, price, 70, 1000, False)


# Cageable companion species (ids from the game's species table).
PETS = tuple(PetSpecies(*row) for row in (
    (39, "Mechanical Squirrel", 400_000), (40, "Bombay Cat", 300_000), (41, "Cornish Rex Cat", 300_000),
    (42, "Black Tabby Cat", 1_500_000), (43, "Orange Tabby Cat", 300_000), (44, "Siamese Cat", 350_000),
    (45, "Silver Tabby Cat", 300_000), (46, "White Kitten", 400_000), (47, "Cockatiel", 250_000),
    (49, "Hyacinth Macaw", 6_000_000), (50, "Green Wing Macaw", 600_000), (51, "Senegal", 250_000),
    (52, "Ancona Chicken", 300_000), (55, "Undercity Cockroach", 200_000), (56, "Dark Whelpling", 900_000),
    (57, "Azure Whelpling", 1_200_000), (58, "Crimson Whelpling", 1_000_000), (59, "Emerald Whelpling", 1_000_000),
    (64, "Wood Frog", 250_000), (65, "Tree Frog", 250_000), (67, "Hawk Owl", 300_000),
    (68, "Great Horned Owl", 300_000), (70, "Brown Prairie Dog", 250_000), (72, "Snowshoe Rabbit", 250_000),
    (74, "Albino Snake", 350_000), (75, "Black Kingsnake", 300_000), (77, "Brown Snake", 300_000),
    (78, "Crimson Snake", 350_000), (83, "Mechanical Chicken", 500_000), (84, "Westfall Chicken", 700_000),
    (85, "Pet Bombling", 800_000), (86, "Lil' Smoky", 800_000), (87, "Sprite Darter Hatchling", 1_100_000),
    (89, "Worg Pup", 1_300_000), (90, "Smolderweb Hatchling", 1_300_000), (106, "Jubling", 900_000),
    (114, "Disgusting Oozeling", 700_000), (116, "Tranquil Mechanical Yeti", 900_000), (117, "Tiny Snowman", 600_000),
    (118, "Winter Reindeer", 600_000), (119, "Father Winter's Helper", 600_000),
    (120, "Winter's Little Helper", 600_000),
))

# ---- Realms -----------------------------------------------------------------------------------------------------

_T = LOCALES  # column order of the translation rows below


def _row(*texts: str) -> dict[str, str]:
    return dict(zip(_T, texts, strict=True))


STATUS_NAMES = {"UP": _row("Up", "Disponible", "Para Cima", "Verfügbar", "Up", "Activo", "En ligne", "Attivo",
                           "Работает", "정상", "正常", "正常")}
POPULATION_NAMES = {
    "LOW": _row("Low", "Bajo", "Baixo", "Niedrig", "Low", "Bajo", "Faible", "Bassa", "Низкая", "쾌적", "低", "低"),
    "MEDIUM": _row("Medium", "Medio", "Médio", "Mittel", "Medium", "Medio", "Moyenne", "Media", "Средняя", "보통",
                   "中", "中"),
    "HIGH": _row("High", "Alto", "Alto", "Hoch", "High", "Alto", "Élevée", "Alta", "Высокая", "혼잡", "高", "高"),
    "FULL": _row("Full", "Lleno", "Completo", "Voll", "Full", "Lleno", "Complet", "Saturo", "Нет мест", "정원초과",
                 "滿", "满"),
}
REALM_TYPE_NAMES = {
    "NORMAL": _row("Normal", "Normal", "Normal", "Normal", "Normal", "Normal", "Normal", "Normale", "Обычный", "일반",
                   "一般", "普通"),
    "RP": _row("Roleplaying", "Juego de rol", "Interpretação", "Rollenspiel", "Roleplaying", "Juego de rol", "JdR",
               "Gioco di Ruolo", "Ролевой", "롤플레이", "角色扮演", "角色扮演"),
}
REGION_NAMES = {
    "us": _row("North America", "Norteamérica", "América do Norte", "Nordamerika", "North America", "Norteamérica",
               "Amérique du Nord", "Nord America", "Северная Америка", "미국", "北美", "北美"),
    "eu": _row("Europe", "Europa", "Europa", "Europa", "Europe", "Europa", "Europe", "Europa", "Европа", "유럽", "歐洲",
               "欧洲"),
    # KR and TW region names are not in our real dumps; English stands in for every locale.
    "kr": _row(*(["Korea"] * len(_T))),
    "tw": _row(*(["Taiwan"] * len(_T))),
}
CATEGORY_NAMES = {
    # zh_CN really says "Pacific time" for US realms in Blizzard's data.
    "United States": _row("United States", "Estados Unidos", "Estados Unidos", "Vereinigte Staaten", "United States",
                          "Estados Unidos", "États-Unis", "Stati Uniti", "США", "미국", "美國", "太平洋时间"),
    "French": _row("French", "Francés", "Francês", "Französisch", "French", "Francés", "Français", "Francese", "Франц.",
                   "프랑스어", "法國", "法国"),
    # [UNVERIFIED] translations below were not in the dumps we read.
    "English": _row("English", "Inglés", "Inglês", "Englisch", "English", "Inglés", "Anglais", "Inglese", "Англ.",
                    "영어", "英語", "英语"),
    "Korea": _row(*(["Korea"] * len(_T))),
    "Taiwan": _row(*(["Taiwan"] * len(_T))),
}


def localized(table: Mapping[str, Mapping[str, str]] | None, text: str) -> dict[str, str]:
    """The all-locale object for ``text``; locales without a translation repeat the English text."""
    known = table.get(text, {}) if table else {}
    return {loc: known.get(loc, text) for loc in LOCALES}


def _zh(tw: str, cn: str, **more: str) -> dict[str, str]:
    return {"zh_TW": tw, "zh_CN": cn, **more}


_US, _LA, _CHI = "United States", "America/Los_Angeles", "America/Chicago"
_FR, _PARIS = "French", "Europe/Paris"

CONNECTED_REALMS: dict[str, tuple[ConnectedRealm, ...]] = {
    "us": (
        ConnectedRealm(4, "LOW", (
            Realm(4, "Kilrogg", "kilrogg", _LA, "enUS", _US, names=_zh("基爾羅格", "基尔罗格")),
            Realm(1355, "Winterhoof", "winterhoof", _LA, "enUS", _US, names=_zh("冬蹄部族", "冬蹄")),
        )),
        ConnectedRealm(5, "FULL", (Realm(5, "Proudmoore", "proudmoore", _LA, "enUS", _US,
                                         names=_zh("普勞德摩爾", "普罗德摩")),)),
        ConnectedRealm(9, "HIGH", (Realm(9, "Kil'jaeden", "kiljaeden", _LA, "enUS", _US,
                                         names=_zh("基爾加丹", "基尔加丹")),)),
        ConnectedRealm(11, "FULL", (Realm(11, "Tichondrius", "tichondrius", _LA, "enUS", _US,
                                          names=_zh("提克迪奧斯", "提克迪奥斯")),)),
        ConnectedRealm(12, "LOW", (
            Realm(12, "Silver Hand", "silver-hand", _LA, "enUS", _US, "RP", _zh("白銀之手", "白银之手")),
            Realm(1154, "Thorium Brotherhood", "thorium-brotherhood", _LA, "enUS", _US, "RP",
                  _zh("瑟銀兄弟會", "瑟银兄弟会")),
            Realm(1370, "Farstriders", "farstriders", _LA, "enUS", _US, "RP",
                  _zh("遠行者", "远行者", ru_RU="Странники")),
        )),
        ConnectedRealm(47, "LOW", (
            Realm(47, "Eitrigg", "eitrigg", _CHI, "enUS", _US, names=_zh("伊崔格", "伊崔格", de_DE="Etrigg")),
            Realm(1354, "Shu'halo", "shuhalo", _CHI, "enUS", _US, names=_zh("舒哈魯", "舒哈鲁")),
        )),
    ),
    "eu": (
        ConnectedRealm(509, "MEDIUM", (
            Realm(509, "Garona", "garona", _PARIS, "frFR", _FR, names=_zh("迦羅娜", "迦罗娜")),
            Realm(544, "Ner'zhul", "nerzhul", _PARIS, "frFR", _FR, names=_zh("耐祖奧", "耐奥祖")),
            Realm(546, "Sargeras", "sargeras", _PARIS, "frFR", _FR, names=_zh("薩格拉斯", "萨格拉斯")),
        )),
        ConnectedRealm(510, "LOW", (
            Realm(510, "Vol'jin", "voljin", _PARIS, "frFR", _FR, names=_zh("沃金", "沃金")),
            Realm(1620, "Chants éternels", "chants-éternels", _PARIS, "frFR", _FR,
                  names=_zh("Chants eternels", "Chants éternels")),
        )),
        # [UNVERIFIED] realm id == connected-realm id and the timezone for these English single-realm connections.
        ConnectedRealm(1305, "FULL", (Realm(1305, "Kazzak", "kazzak", _PARIS, "enGB", "English"),)),
        ConnectedRealm(1403, "HIGH", (Realm(1403, "Draenor", "draenor", _PARIS, "enGB", "English"),)),
        ConnectedRealm(3391, "FULL", (Realm(3391, "Silvermoon", "silvermoon", _PARIS, "enGB", "English"),)),
    ),
    # [UNVERIFIED] KR and TW connected realms: shape only, ids and names unchecked.
    "kr": (ConnectedRealm(205, "HIGH", (Realm(205, "Azshara", "azshara", "Asia/Seoul", "koKR", "Korea"),)),),
    "tw": (ConnectedRealm(963, "MEDIUM", (Realm(963, "Shadowmoon", "shadowmoon", "Asia/Taipei", "zhTW", "Taiwan"),)),),
}

# ---- documents: how the static world reads through the API ------------------------------------------------------


def pick(texts: Mapping[str, str], locale: str | None) -> str | dict[str, str]:
    """Blizzard's localization: one string when a locale was asked for, else the object of every locale."""
    return texts.get(locale, texts["en_US"]) if locale else dict(texts)


def localized_text(english: str, locale: str | None) -> str | dict[str, str]:
    return pick(localized(None, english), locale)


def realm_document(
    cr: ConnectedRealm, region: str, api: str, ns: str, locale: str | None, *, classic: bool = False
) -> dict[str, object]:
    """``GET /data/wow/connected-realm/{id}``; ``api`` is ``<base>/api/<region>``, ``ns`` the dynamic namespace."""
    cr_base = f"{api}/data/wow/connected-realm/{cr.id}"
    cr_href = f"{cr_base}?namespace={ns}"
    region_ref = {"key": {"href": f"{api}/data/wow/region/{REGION_IDS[region]}?namespace={ns}"},
                  "name": pick(REGION_NAMES[region], locale), "id": REGION_IDS[region]}
    realms = [{
        "id": realm.id, "region": region_ref, "connected_realm": {"href": cr_href},
        "name": pick({loc: realm.names.get(loc, realm.name) for loc in LOCALES}, locale),
        "category": pick(localized(CATEGORY_NAMES, realm.category), locale),
        "locale": realm.locale, "timezone": realm.timezone,
        "type": {"type": realm.type, "name": pick(REALM_TYPE_NAMES[realm.type], locale)},
        "is_tournament": False, "slug": realm.slug,
    } for realm in cr.realms]
    # Classic connected realms point at their auction-house index instead of one auctions document.
    auctions = "auctions/index" if classic else "auctions"
    return {
        "_links": {"self": {"href": cr_href}}, "id": cr.id, "has_queue": False,
        "status": {"type": "UP", "name": pick(STATUS_NAMES["UP"], locale)},
        "population": {"type": cr.population, "name": pick(POPULATION_NAMES[cr.population], locale)},
        "realms": realms,
        "mythic_leaderboards": {"href": f"{cr_base}/mythic-leaderboard/?namespace={ns}"},
        "auctions": {"href": f"{cr_base}/{auctions}?namespace={ns}"},
    }


def item_document(item: CatalogItem, api: str, ns: str, locale: str | None) -> dict[str, object]:
    """``GET /data/wow/item/{id}``; links keep the requested namespace (live ones carry a versioned one)."""
    quality = QUALITY_TYPES[item.quality]
    equippable = item.inventory_type != "NON_EQUIP"
    class_href = f"{api}/data/wow/item-class/{item.item_class}"
    return {
        "_links": {"self": {"href": f"{api}/data/wow/item/{item.id}?namespace={ns}"}},
        "id": item.id, "name": localized_text(item.name, locale),
        "quality": {"type": quality, "name": localized_text(quality.title(), locale)},
        "level": item.level, "required_level": max(1, item.level - 5) if equippable else 0,
        "media": {"key": {"href": f"{api}/data/wow/media/item/{item.id}?namespace={ns}"}, "id": item.id},
        "item_class": {"key": {"href": f"{class_href}?namespace={ns}"},
                       "name": localized_text(CLASS_NAMES[item.item_class], locale), "id": item.item_class},
        "item_subclass": {"key": {"href": f"{class_href}/item-subclass/{item.item_subclass}?namespace={ns}"},
                          "name": localized_text(subclass_name(item.item_class, item.item_subclass), locale),
                          "id": item.item_subclass},
        "inventory_type": {"type": item.inventory_type,
                           "name": localized_text(INVENTORY_TYPE_NAMES[item.inventory_type], locale)},
        # Vendors sell at about four times what they pay [approximation].
        "purchase_price": item.sell_price * 4, "sell_price": item.sell_price,
        "max_count": 0, "is_equippable": equippable, "is_stackable": item.max_stack > 1, "purchase_quantity": 1,
    }

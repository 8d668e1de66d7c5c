"""The sandbox players' own TSM groups, items and operations, one theme per profile.

A theme is a small group tree a real player might have built by hand ("Herbs", "Herbs`Dragonflight", "Ore",
"Transmog"…), filled with real items of the fake Blizzard world (:data:`tsmsyncd.blizzard.catalog.ITEMS`;
Classic themes only hold items the Classic auction houses list) and wired to the player's own operations
plus TSM's ``#Default`` in every module. Tables are written the way TSM's sanitiser leaves them
(reference §4-§6): the root group ``""`` lists ``#Default`` with ``override = true`` in all seven modules; a
group that sets operations for a module lists them with ``override = true`` (or only ``override`` for
"none here"); every other module copies its parent's list without ``override``. Every item is in exactly one
group, the most specific whose rule takes it. Operations carry every field of their flavor (TSM's defaults
plus the player's changes), checked by :func:`tsmsyncd.tsm.operations.normalize_settings`.

``large=True`` adds a generated "Flips" tree of 3,151 groups holding 30,000 synthetic commodities
(ids 900000+, see ``synthetic_commodity``), the scale of an imported gold-making group pack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tsmsyncd.blizzard.catalog import ITEMS, PETS, CatalogItem, synthetic_commodity
from tsmsyncd.demo.accounting import Traded
from tsmsyncd.tsm.operations import MODULES, default_settings, normalize_settings
from tsmsyncd.tsm.operations import Flavor as OperationsFlavor
from tsmsyncd.wow.flavor import Flavor

__all__ = ["THEMES", "ProfileTables", "profile_tables"]

Rule = Callable[[CatalogItem], bool]


def _is(item_class: int, *subclasses: int) -> Rule:
    return lambda item: item.item_class == item_class and item.item_subclass in subclasses


_HERB, _METAL, _CLOTH, _LEATHER = _is(7, 9), _is(7, 7), _is(7, 5), _is(7, 6)
_ENCH, _ELEM, _JEWEL, _COOK = _is(7, 12), _is(7, 10), _is(7, 4), _is(7, 8)
_POTION, _FLASK = _is(0, 1), _is(0, 3)


def _bar(item: CatalogItem) -> bool:
    return _METAL(item) and item.name.endswith(" Bar")


def _gear(item_class: int) -> Rule:
    return lambda item: item.kind == "gear" and item.item_class == item_class


def _level(rule: Rule, level: int) -> Rule:
    return lambda item: rule(item) and item.level == level


def _any(*rules: Rule) -> Rule:
    return lambda item: any(rule(item) for rule in rules)


_PET_ITEM: Rule = lambda item: item.kind == "pet_item"  # noqa: E731
_NOTHING: Rule = lambda item: False  # noqa: E731  # a parent that only holds subgroups



@dataclass(frozen=True)
class _Group:
    path: str
    rule: Rule
    operations: Mapping[str, tuple[str, ...]]  # module → the group's own operations (override); () = none


def _g(path: str, rule: Rule, **operations: tuple[str, ...]) -> _Group:
    return _Group(path, rule, operations)


THEMES: dict[str, tuple[_Group, ...]] = {
    "gatherer": (
        _g("Herbs", _HERB, Auctioning=("Herbs Post",), Shopping=("Herb Restock",), Mailing=("Mats to Bank",)),
        _g("Herbs`Dragonflight", _level(_HERB, 60), Auctioning=("Herbs Post", "Herbs Dump")),
        _g("Herbs`The War Within", _level(_HERB, 70)),
        _g("Ore", _METAL, Auctioning=("Ore Post",), Mailing=("Mats to Bank",)),
        _g("Ore`Bars", _bar, Warehousing=("Bank Mats",)),
        _g("Cloth", _CLOTH, Auctioning=("Cloth Post",)),
        _g("Enchanting", _ENCH, Auctioning=("Ore Post",)),
        _g("Transmog", _gear(4), Auctioning=("Transmog Post",), Sniper=("Transmog Snipe",), Vendoring=()),
        _g("Transmog`Weapons", _gear(2)),
        _g("Pets", _PET_ITEM, Auctioning=("Pet Post",), Vendoring=()),
    ),
    "crafter": (
        _g("Alchemy", _NOTHING, Crafting=("Potion Restock",), Auctioning=("Potion Post",)),
        _g("Alchemy`Potions", _POTION),
        _g("Alchemy`Flasks", _FLASK, Crafting=("Flask Restock",)),
        _g("Reagents", _NOTHING, Shopping=("Herb Restock",), Warehousing=("Bank Mats",)),
        _g("Reagents`Herbs", _HERB),
        _g("Reagents`Elementals", _ELEM),
        _g("Jewelcrafting", _JEWEL, Auctioning=("Transmog Post",)),
        _g("Cooking", _COOK, Auctioning=("Cloth Post",), Vendoring=("Vendor Junk",)),
    ),
    "farmer": (
        _g("Farming", _NOTHING, Mailing=("Mats to Bank",), Auctioning=("Cloth Post",)),
        _g("Farming`Leather", _LEATHER, Auctioning=("Leather Post",)),
        _g("Farming`Cloth", _CLOTH),
        _g("Farming`Fish", _COOK),
        _g("Transmog", _any(_gear(2), _gear(4)), Auctioning=("Transmog Post",), Sniper=("Transmog Snipe",)),
    ),
    "classic": (
        _g("Herbs", _HERB, Auctioning=("Herbs Post",), Shopping=("Herb Restock",), Mailing=("Mats to Bank",)),
        _g("Herbs`Rare", lambda item: _HERB(item) and item.quality >= 2, Auctioning=("Herbs Post", "Herbs Dump")),
        _g("Ore", _METAL, Auctioning=("Ore Post",)),
        _g("Ore`Bars", _bar, Warehousing=("Bank Mats",)),
        _g("Cloth", _CLOTH, Auctioning=("Cloth Post",)),
        _g("Enchanting", _ENCH, Auctioning=("Ore Post",)),
        _g("Potions", _any(_POTION, _FLASK), Crafting=("Potion Restock",), Auctioning=("Potion Post",)),
        _g("Transmog", _any(_gear(2), _gear(4)), Auctioning=("Transmog Post",), Vendoring=()),
    ),
}

# The player's own operations: module, then only the fields they changed from TSM's defaults.
_OPERATIONS: dict[str, tuple[str, dict[str, object]]] = {
    "Herbs Post": ("Auctioning", {"postCap": "200", "minPrice": "80% mymarket", "normalPrice": "120% dbmarket",
                                  "maxPrice": "250% dbmarket", "aboveMax": "normalPrice", "duration": 2}),
    "Herbs Dump": ("Auctioning", {"postCap": "1000", "minPrice": "50% dbmarket", "normalPrice": "dbmarket",
                                  "priceReset": "minPrice", "cancelUndercut": False}),
    "Ore Post": ("Auctioning", {"postCap": "400", "minPrice": "75% dbmarket", "keepQuantity": "20"}),
    "Cloth Post": ("Auctioning", {"postCap": "100", "minPrice": "max(70% dbmarket, 2 * vendorsell)"}),
    "Leather Post": ("Auctioning", {"postCap": "100", "minPrice": "70% dbmarket", "maxExpires": "5"}),
    "Transmog Post": ("Auctioning", {"postCap": "1", "duration": 3, "minPrice": "max(30% dbregionmarketavg, 5g)",
                                     "normalPrice": "dbregionmarketavg", "maxPrice": "300% dbregionmarketavg",
                                     "cancelRepostThreshold": "50g"}),
    "Pet Post": ("Auctioning", {"postCap": "2", "minPrice": "60% dbregionmarketavg", "undercut": "1s"}),
    "Potion Post": ("Auctioning", {"postCap": "40", "minPrice": "crafting * 1.1", "normalPrice": "dbmarket"}),
    "Herb Restock": ("Shopping", {"restockQuantity": "1000", "maxPrice": "90% dbmarket",
                                  "showAboveMaxPrice": False}),
    "Transmog Snipe": ("Sniper", {"belowPrice": "60% dbregionmarketavg"}),
    "Potion Restock": ("Crafting", {"minRestock": "20", "maxRestock": "100", "minProfit": "max(10g, 10% crafting)"}),
    "Flask Restock": ("Crafting", {"minRestock": "5", "maxRestock": "20", "minProfit": "50g"}),
    "Mats to Bank": ("Mailing", {"keepQty": "0", "restock": False}),  # target: the profile's bank alt
    "Bank Mats": ("Warehousing", {"moveQuantity": "0", "keepBagQuantity": "20", "keepBankQuantity": "200"}),
    "Vendor Junk": ("Vendoring", {"enableBuy": False, "sellSoulbound": True, "keepQty": "0"}),
}
_ERA_AUCTIONING = {"matchStackSize": True, "stackSize": "20", "stackSizeIsCap": True}  # Era posts in stacks


@dataclass(frozen=True)
class ProfileTables:
    """One profile's ``userData`` tables (Python form) and the goods its characters trade."""

    groups: dict[str, dict[str, dict[object, object]]]
    items: dict[str, str]
    operations: dict[str, dict[str, dict[str, object]]]
    goods: tuple[Traded, ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """The player's group paths (not the root)."""
        return tuple(p for p in self.groups if p)


def _operations(flavor: Flavor, bank: str) -> dict[str, dict[str, dict[str, object]]]:
    ops_flavor = OperationsFlavor[flavor.name]  # the operations table has its own enum of the same names
    table = {module: {"#Default": default_settings(module, ops_flavor)} for module in MODULES}
    for name, (module, changed) in _OPERATIONS.items():
        settings = dict(changed)
        if module == "Mailing":
            settings["target"] = bank
        if module == "Auctioning" and flavor is Flavor.CLASSIC_ERA:
            settings.update(_ERA_AUCTIONING)
        table[module][name] = normalize_settings(module, settings, ops_flavor)
    return table


def _group_tables(groups: tuple[_Group, ...]) -> dict[str, dict[str, dict[object, object]]]:
    tables: dict[str, dict[str, dict[object, object]]] = {"": {m: {1: "#Default", "override": True} for m in MODULES}}
    for group in groups:  # parents come before their children
        parent = tables[group.path.rpartition("`")[0]]
        own: dict[str, dict[object, object]] = {}
        for module in MODULES:
            if module in group.operations:
                own[module] = {**dict(enumerate(group.operations[module], 1)), "override": True}
            else:  # inherited: a copy of the parent's list, no override
                own[module] = {k: v for k, v in parent[module].items() if type(k) is int}
        tables[group.path] = own
    return tables


def _goods(item: CatalogItem, flavor: Flavor) -> Traded:
    price = item.base_price * 3 // 10 if flavor is not Flavor.RETAIL else item.base_price  # as the fake market
    if item.max_stack == 1:
        stacks: tuple[int, ...] = (1,)
    elif flavor is Flavor.RETAIL:
        stacks = tuple(s for s in (1, 5, 10, 20, 50, 100, 200) if s <= item.max_stack)
    else:
        stacks = tuple(s for s in (1, 5, 10, 20) if s <= item.max_stack)
    return Traded(f"i:{item.id}", max(1, price), item.sell_price, stacks)


def _flips() -> tuple[tuple[_Group, ...], list[CatalogItem]]:
    groups = [_g("Flips", _NOTHING, Auctioning=("Herbs Dump",), Shopping=("Herb Restock",))]
    items = [synthetic_commodity(i) for i in range(30_000)]
    for batch in range(150):
        groups.append(_g(f"Flips`Batch {batch:03d}", _NOTHING))
        groups += [_g(f"Flips`Batch {batch:03d}`Lot {lot:02d}", _NOTHING) for lot in range(20)]
    return tuple(groups), items


def profile_tables(theme: str, flavor: Flavor, bank: str, large: bool = False) -> ProfileTables:
    """The groups, items and operations of a profile holding ``theme``; ``bank`` is the Mailing target."""
    groups = THEMES[theme]
    catalog = [item for item in ITEMS if item.kind != "cage" and (flavor is Flavor.RETAIL or item.classic)]
    items: dict[str, str] = {}
    goods: list[Traded] = []
    for item in catalog:
        home = next((g for g in reversed(groups) if g.rule(item)), None)  # the most specific group
        if home is not None:
            items[f"i:{item.id}"] = home.path
            goods.append(_goods(item, flavor))
    pets = next((g for g in groups if g.path == "Pets"), None)
    if pets is not None:  # caged battle pets: one group holds the cage's species
        for pet in PETS:
            items[f"p:{pet.id}"] = pets.path
            goods.append(Traded(f"p:{pet.id}", pet.base_price, 0, (1,)))
    if large:
        flip_groups, flip_items = _flips()
        groups = groups + flip_groups
        lots = [g.path for g in flip_groups if "`Lot " in g.path]
        for i, item in enumerate(flip_items):
            items[f"i:{item.id}"] = lots[i % len(lots)]
        goods += [_goods(item, flavor) for item in flip_items[:2_000]]
    return ProfileTables(_group_tables(groups), items, _operations(flavor, bank), tuple(goods))

"""The game flavor: one enum, every spelling of it derived here.

A flavor is which WoW client a file, a realm or an auction snapshot belongs to. Three exist for
tsmsyncd's purposes (reference tsm-savedvariables.md §11 and §13, blizzard-api.md §2):

=============  ================================  ====================  ==========================
``Flavor``     install folders                   Blizzard namespace    TSM operation differences
=============  ================================  ====================  ==========================
RETAIL         ``_retail_`` (+ PTR/beta)         ``dynamic-us``        undercut "0c"
CLASSIC        ``_classic_`` (progression)       ``dynamic-classic-us``  + Auctioning ``blacklist``
CLASSIC_ERA    ``_classic_era_``, anniversary    ``dynamic-classic1x-us``  + stack fields
=============  ================================  ====================  ==========================

``Flavor.parse`` accepts every spelling anyone has used (``classic-era``, ``classic_era``, ``classic1x``,
``era``, a folder name such as ``_classic_era_``) so old settings and scripts keep working; the value
(``classic-era``) is the one spelling the CLI, settings and JSON write.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FOLDERS", "LIVE_FOLDERS", "Flavor", "flavor_of_folder", "is_live_folder"]


class Flavor(StrEnum):
    RETAIL = "retail"
    CLASSIC = "classic"
    CLASSIC_ERA = "classic-era"

    @classmethod
    def parse(cls, text: object, field: str = "flavor") -> Flavor:
        """The flavor a spelling names; ValueError with the accepted spellings otherwise."""
        if isinstance(text, Flavor):
            return text
        key = str(text).strip().lower().replace("_", "-").strip("-") if isinstance(text, str) else ""
        found = _SPELLINGS.get(key)
        if found is None:
            raise ValueError(f"{field}: {text!r} is not a game flavor; use one of {', '.join(f.value for f in cls)}")
        return found

    @property
    def namespace_infix(self) -> str:
        """What Blizzard puts between ``dynamic-``/``static-`` and the region: ``dynamic-classic1x-eu``."""
        return {Flavor.RETAIL: "", Flavor.CLASSIC: "classic-", Flavor.CLASSIC_ERA: "classic1x-"}[self]

    def namespace(self, family: str, region: str) -> str:
        """Blizzard's namespace for ``family`` (``dynamic`` or ``static``) on this flavor in ``region``."""
        return f"{family}-{self.namespace_infix}{region}"

    @property
    def has_commodities(self) -> bool:
        """Retail trades stackables region-wide (the commodities endpoint); classic houses hold everything."""
        return self is Flavor.RETAIL

    @property
    def shows_sellers(self) -> bool:
        """Classic auction houses show who posted (TSM adds an Auctioning ``blacklist``)."""
        return self is not Flavor.RETAIL

    @property
    def has_stacks(self) -> bool:
        """Classic Era's auction house still sells stacks (TSM adds stack-size fields)."""
        return self is Flavor.CLASSIC_ERA

    @property
    def default_undercut(self) -> str:
        return "0c" if self is Flavor.RETAIL else "1c"

    @property
    def label(self) -> str:
        return {Flavor.RETAIL: "Retail", Flavor.CLASSIC: "Classic", Flavor.CLASSIC_ERA: "Classic Era"}[self]


_SPELLINGS: dict[str, Flavor] = {
    "retail": Flavor.RETAIL, "mainline": Flavor.RETAIL, "live": Flavor.RETAIL,
    "classic": Flavor.CLASSIC, "progression": Flavor.CLASSIC, "wrath": Flavor.CLASSIC, "cata": Flavor.CLASSIC,
    "mists": Flavor.CLASSIC,
    "classic-era": Flavor.CLASSIC_ERA, "classicera": Flavor.CLASSIC_ERA, "classic1x": Flavor.CLASSIC_ERA,
    "era": Flavor.CLASSIC_ERA, "vanilla": Flavor.CLASSIC_ERA, "anniversary": Flavor.CLASSIC_ERA,
}

# Install folders (``<root>/_name_/WTF/Account``) and the flavor whose files they hold. Test and beta
# clients write the same file format as their live flavor, but Blizzard's API has no data for their realms.
FOLDERS: dict[str, Flavor] = {
    "_retail_": Flavor.RETAIL, "_ptr_": Flavor.RETAIL, "_xptr_": Flavor.RETAIL, "_beta_": Flavor.RETAIL,
    "_alpha_": Flavor.RETAIL, "_event1_": Flavor.RETAIL,
    "_classic_": Flavor.CLASSIC, "_classic_ptr_": Flavor.CLASSIC, "_classic_beta_": Flavor.CLASSIC,
    "_classic_era_": Flavor.CLASSIC_ERA, "_classic_era_ptr_": Flavor.CLASSIC_ERA,
    "_classic_era_beta_": Flavor.CLASSIC_ERA, "_anniversary_": Flavor.CLASSIC_ERA,
}
LIVE_FOLDERS = frozenset({"_retail_", "_classic_", "_classic_era_", "_anniversary_"})
for _folder in FOLDERS:
    _SPELLINGS.setdefault(_folder.strip("_").replace("_", "-"), FOLDERS[_folder])


def flavor_of_folder(name: str) -> Flavor | None:
    """The flavor of an install's flavor folder (``_retail_``, ``_classic_era_``...), None if it is none."""
    return FOLDERS.get(name.lower())


def is_live_folder(name: str) -> bool:
    """Whether realms of this folder's client are in Blizzard's API (test and beta clients' are not)."""
    return name.lower() in LIVE_FOLDERS

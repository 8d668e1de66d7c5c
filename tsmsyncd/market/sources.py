"""Where market data comes from, with one key type each: a connected realm (``RealmKey``) and a snapshot
stream (``Source``: a realm's auctions, a region's commodities, or a classic faction house).

A realm is always a ``RealmKey`` (region, connected realm id and flavor: Classic realms are another index
with ids of their own; written ``us/3678`` for retail, ``us/classic-era/4372`` otherwise), never a bare id
in one place and a string in another. A source's ``key`` (``us/realm/3678``, ``us/commodities``,
``us/realm/4/house/2``) is how it is stored and shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tsmsyncd.wow.flavor import Flavor

__all__ = ["RealmKey", "Source", "SourceKind"]


class SourceKind(StrEnum):
    REALM = "realm"  # a connected realm's auction house (retail)
    COMMODITIES = "commodities"  # the region-wide commodity market (retail)
    HOUSE = "house"  # one faction house of a classic connected realm


CLASSIC_HOUSES = (2, 6, 7)  # Alliance, Horde, Neutral: the faction auction houses of a Classic realm


@dataclass(frozen=True, order=True)
class RealmKey:
    """One connected realm of one region and flavor."""

    region: str
    connected_realm_id: int
    flavor: Flavor = Flavor.RETAIL

    def __str__(self) -> str:
        if self.flavor is Flavor.RETAIL:
            return f"{self.region}/{self.connected_realm_id}"
        return f"{self.region}/{self.flavor}/{self.connected_realm_id}"

    @classmethod
    def parse(cls, text: str) -> RealmKey:
        parts = text.split("/")
        try:
            if len(parts) == 2 and parts[1].isdigit():
                return cls(parts[0], int(parts[1]))
            if len(parts) == 3 and parts[2].isdigit():
                return cls(parts[0], int(parts[2]), Flavor.parse(parts[1]))
        except ValueError:
            pass
        raise ValueError(f"{text!r} is not a realm key such as us/3678 or us/classic-era/4372")

    def sources(self) -> tuple[Source, ...]:
        """Where this realm's market data comes from, its own first: retail realms have their auctions and
        the region's commodities; Classic realms one house per faction."""
        if self.flavor.has_commodities:
            return (self.auctions(), self.commodities())
        return tuple(Source(self.region, SourceKind.HOUSE, self.connected_realm_id, h) for h in CLASSIC_HOUSES)

    def own(self) -> tuple[Source, ...]:
        """The sources that belong to this realm alone (not the region's commodities)."""
        return tuple(s for s in self.sources() if s.kind is not SourceKind.COMMODITIES)

    def auctions(self) -> Source:
        return Source(self.region, SourceKind.REALM, self.connected_realm_id)

    def commodities(self) -> Source:
        return Source(self.region, SourceKind.COMMODITIES)

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {"region": self.region, "connected_realm_id": self.connected_realm_id}
        if self.flavor is not Flavor.RETAIL:
            shown["flavor"] = str(self.flavor)
        return shown


@dataclass(frozen=True)
class Source:
    """Where a snapshot comes from."""

    region: str
    kind: SourceKind
    connected_realm_id: int | None = None
    house_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", SourceKind(self.kind))

    @property
    def key(self) -> str:
        if self.kind is SourceKind.COMMODITIES:
            return f"{self.region}/commodities"
        house = f"/house/{self.house_id}" if self.house_id is not None else ""
        return f"{self.region}/realm/{self.connected_realm_id}{house}"

    @property
    def realm(self) -> RealmKey | None:
        """The connected realm this source belongs to (None for the region's commodities)."""
        return None if self.connected_realm_id is None else RealmKey(self.region, self.connected_realm_id)

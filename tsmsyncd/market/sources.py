"""Where market data comes from, with one key type each: a connected realm (``RealmKey``) and a snapshot
stream (``Source``: a realm's auctions, a region's commodities, or a classic faction house).

A realm is always a ``RealmKey`` (region + connected realm id; written ``us/3678``), never a bare id in
one place and a string in another. A source's ``key`` (``us/realm/3678``, ``us/commodities``,
``us/realm/4/house/2``) is how it is stored and shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["RealmKey", "Source", "SourceKind"]


class SourceKind(StrEnum):
    REALM = "realm"  # a connected realm's auction house (retail)
    COMMODITIES = "commodities"  # the region-wide commodity market (retail)
    HOUSE = "house"  # one faction house of a classic connected realm


@dataclass(frozen=True, order=True)
class RealmKey:
    """One connected realm of one region."""

    region: str
    connected_realm_id: int

    def __str__(self) -> str:
        return f"{self.region}/{self.connected_realm_id}"

    @classmethod
    def parse(cls, text: str) -> RealmKey:
        region, _, number = text.partition("/")
        if not region or not number.isdigit():
            raise ValueError(f"{text!r} is not a realm key such as us/3678")
        return cls(region, int(number))

    def auctions(self) -> Source:
        return Source(self.region, SourceKind.REALM, self.connected_realm_id)

    def commodities(self) -> Source:
        return Source(self.region, SourceKind.COMMODITIES)

    def as_json(self) -> dict[str, object]:
        return {"region": self.region, "connected_realm_id": self.connected_realm_id}


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

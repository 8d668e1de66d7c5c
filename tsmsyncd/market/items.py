"""What Blizzard says about an item (name, quality, class, vendor price): fetched once per item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["ItemInfo"]


@dataclass(frozen=True)
class ItemInfo:
    item_id: int
    name: str
    quality: str
    item_class: int
    item_subclass: int
    vendor_sell: int
    fetched_at: datetime

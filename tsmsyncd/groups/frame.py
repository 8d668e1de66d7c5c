"""The metrics frame the criteria run on: one row per item string of one realm, one column per metric.

Pure: the caller reads the stored metrics (the realm's own auctions plus the region's commodities, and
the other realms the player follows) and the item information, and passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tsmsyncd.market.ingest import item_code
from tsmsyncd.market.items import ItemInfo
from tsmsyncd.market.sources import RealmKey

__all__ = ["PET_CLASS", "item_ids", "metrics_frame"]

PET_CLASS = 17  # Blizzard's item class of battle pets
_COLUMNS = ["min_buyout", "market_value", "market_value_14d", "quantity", "auctions", "sold_per_day"]


def metrics_frame(own: pd.DataFrame, others: pd.DataFrame | None, info: Mapping[int, ItemInfo],
                  realm: RealmKey) -> pd.DataFrame:
    """``own``: latest metrics of the realm's auctions and the region's commodities (realm rows first);
    ``others``: the latest metrics of the other realms the player follows (for ``region_market``)."""
    frame = own.drop_duplicates("item", keep="first").set_index("item")
    frame = frame[_COLUMNS]
    frame = frame.astype({c: "Float64" for c in ("min_buyout", "market_value", "market_value_14d")})
    frame["region_market"] = frame["market_value_14d"]  # commodities are region-wide already
    if others is not None and len(others):  # the median over the player's realms of each realm item's 14-day value
        mine = own[own["source"].isin([s.key for s in realm.own()])]
        everywhere = pd.concat([mine, others])
        median = everywhere.groupby("item")["market_value_14d"].median()
        realm_items = frame.index.intersection(median.index)
        frame.loc[realm_items, "region_market"] = median.loc[realm_items].astype("Float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        mv14 = frame["market_value_14d"].where(frame["market_value_14d"] > 0)
        frame["discount"] = 1 - frame["min_buyout"] / mv14
    rows = [info.get(item_code(i)) if i.startswith("i:") else None for i in frame.index]
    frame["name"] = [r.name if r else None for r in rows]
    frame["quality"] = [r.quality if r else None for r in rows]
    frame["item_class"] = [r.item_class if r else (PET_CLASS if i.startswith("p:") else None)
                           for r, i in zip(rows, frame.index, strict=True)]
    frame["item_subclass"] = [r.item_subclass if r else None for r in rows]
    frame["vendor_sell"] = [r.vendor_sell if r else None for r in rows]
    return frame


def item_ids(own: pd.DataFrame) -> list[int]:
    """The item ids whose information the frame needs."""
    return [item_code(i) for i in dict.fromkeys(own["item"]) if i.startswith("i:")]

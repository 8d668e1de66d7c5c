"""How an item's sales estimate is told to a player: one record, ``SalesReport``, and its one JSON shape.

``market show``, ``market list --json``, the HTTP API and the web UI all print ``SalesReport.as_json()`` as it is,
so that the number is never shown without its window, its range and what it gets wrong. Pure Python (no numpy):
any process may build one. The estimate itself is made by ``market/sales.py``; the database sums it over a window.

``as_json()`` (every key always present)::

    {
      "kind": "commodities",     # the source: "commodities" (region-wide), "realm" (a realm's own), "house" (Classic)
      "sold": 37,                # units estimated sold over the window; null: no estimate yet
      "window_hours": 23.0,      # hours of consecutive snapshot pairs the window holds (0: none yet)
      "window_end": "2026-11-02T12:26:00+00:00",  # the source's newest snapshot (null: none)
      "per_day": 38.6,           # sold x 24 / window_hours; null without a window
      "extrapolated": false,     # true: per_day is scaled up from a window shorter than a day
      "range": [33.9, 75.2],     # where the true per-day rate likely lies (about 9 in 10); null without a window
      "confidence": "medium",    # "high", "medium", "low" or "none" (the rules: ``SalesReport.confidence``)
      "caveats": ["...", ...]    # plain sentences, the most important first
    }

The range widens ``per_day`` by two things: the estimator's own error on this kind of source (``RANGE``, measured
by bench/sales.py against the fake market's ground truth), and the noise of counting few sales in a short window
(a 90 % Poisson interval on the units counted, so 0 sold over 24 hours still allows about 3 a day).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

__all__ = ["CAVEATS", "FULL_DAY_HOURS", "MAX_SNAPSHOT_GAP_HOURS", "RANGE", "Kind", "SalesReport", "as_kind",
           "sold_per_day"]

Kind = Literal["realm", "commodities", "house"]
# The gap beyond which two snapshots are not compared (hourly data, one missed hour tolerated): across a longer
# one every auction would look sold or expired.
MAX_SNAPSHOT_GAP_HOURS = 2.0
FULL_DAY_HOURS = 24.0
_SHORT_WINDOW_HOURS = 12.0  # below this a per-day rate is a rough guess whatever was counted
_FEW_UNITS = 5  # below this the counting noise dominates
_HIGH_WINDOW_HOURS, _HIGH_UNITS = 20.0, 30  # what a commodity estimate needs to be called "high"
_Z90 = 1.645  # the normal quantile of a two-sided 90 % interval

# Per kind, the estimator's error as a factor range on its estimate: [low * E, high * E]. Measured by bench/sales.py
# over 24-hour windows (truth / estimate per item and day): low is the 10th percentile with the fake's defaults,
# high the 90th percentile when new listings can also be bought before any snapshot sees them, as on busy live
# markets. Real markets are not the fake: treat the range as the least uncertainty there is.
RANGE: dict[str, tuple[float, float]] = {"commodities": (0.8, 1.85), "realm": (0.9, 1.55), "house": (0.9, 1.85)}

_COMMON = (
    "An estimate from auctions that vanish between hourly snapshots, not recorded sales; the window says how many "
    f"hours of consecutive snapshots it covers (gaps over {MAX_SNAPSHOT_GAP_HOURS:.0f} hours are skipped).",
    "Listings posted and bought out between two snapshots are invisible, so busy items read low: on the test "
    "market up to about half too low when new listings sell within minutes. The range's upper end allows for it.",
    "A sale in an auction's last hour counts as expired, so a few percent low.",
)
CAVEATS: dict[str, tuple[str, ...]] = {
    "commodities": (*_COMMON,
                    "A listing dearer than one that stayed listed was cancelled, not bought; its repost counts as sold "
                    "once gone. A listing cancelled for good reads as sold, so slow items read high: by about 15 % on "
                    "the test market (where 1 cancel in 4 is for good), more where sellers withdraw more often."),
    "realm": (*_COMMON,
              "A listing that vanishes with time left counts as sold unless a cheaper listing of the same variant and "
              "quantity appears (a relist). A withdrawal reads as a sale and a sale undercut at once by an identical "
              "listing as a relist: busy items read low, by about 20 % on the test market."),
}
CAVEATS["house"] = (*_COMMON, CAVEATS["realm"][-1].replace("about 20 %", "about 30 %"))


def as_kind(value: str) -> Kind:
    """A source kind (``SourceKind`` or its text) as the estimator's ``Kind``; anything else is refused."""
    if value not in RANGE:
        raise ValueError(f"kind must be realm, commodities or house, got {value!r}")
    return cast(Kind, str(value))


def sold_per_day(sold_units: float, hours_covered: float) -> float:
    """Scale units sold over ``hours_covered`` hours to a 24-hour rate (still an estimate)."""
    if not hours_covered > 0:  # also refuses NaN
        raise ValueError(f"hours_covered must be positive, got {hours_covered}")
    if sold_units < 0:
        raise ValueError(f"sold_units must not be negative, got {sold_units}")
    return float(sold_units) * 24.0 / float(hours_covered)


@dataclass(frozen=True)
class SalesReport:
    """One item's estimated sales on one source over a window of consecutive snapshots (shape: module docstring).

    ``sold`` is None and ``window_hours`` 0 while no two consecutive snapshots of the source are stored.
    """

    kind: Kind
    sold: int | None
    window_hours: float
    window_end: datetime | None

    def __post_init__(self) -> None:
        as_kind(self.kind)
        if not (self.window_hours >= 0 and math.isfinite(self.window_hours)):
            raise ValueError(f"window_hours must be a finite number >= 0, got {self.window_hours}")
        if (self.sold is None) != (self.window_hours == 0):
            raise ValueError("sold must be given exactly when the window holds hours")
        if self.sold is not None and self.sold < 0:
            raise ValueError(f"sold must not be negative, got {self.sold}")

    @property
    def per_day(self) -> float | None:
        return None if self.sold is None else sold_per_day(self.sold, self.window_hours)

    @property
    def extrapolated(self) -> bool:
        """The per-day rate is scaled up from less than a day of snapshots."""
        return self.sold is not None and self.window_hours < FULL_DAY_HOURS

    @property
    def range(self) -> tuple[float, float] | None:
        """Where the per-day rate likely lies: the estimator's error (``RANGE``) times a 90 % Poisson interval."""
        if self.sold is None:
            return None
        low, high = _poisson_90(self.sold)
        factor_low, factor_high = RANGE[self.kind]
        scale = 24.0 / self.window_hours
        return low * scale * factor_low, high * scale * factor_high

    @property
    def confidence(self) -> str:
        """"none" without a window; "low" for a window under 12 hours or fewer than 5 units counted; "high" only
        for commodities over 20 hours or more (cheapest-first buying tells their sales from cancels) with 30 units
        or more; otherwise "medium" (realm and Classic items never reach "high": a withdrawal looks like a sale)."""
        if self.sold is None:
            return "none"
        if self.window_hours < _SHORT_WINDOW_HOURS or self.sold < _FEW_UNITS:
            return "low"
        if self.kind == "commodities" and self.window_hours >= _HIGH_WINDOW_HOURS and self.sold >= _HIGH_UNITS:
            return "high"
        return "medium"

    @property
    def caveats(self) -> tuple[str, ...]:
        """What this estimate cannot see, the most important first: no data, a short window, then the kind's."""
        if self.sold is None:
            return ("No estimate yet: sales are counted from the third consecutive hourly snapshot of this source "
                    f"on (at most {MAX_SNAPSHOT_GAP_HOURS:.0f} hours apart; the first two learn how long each auction "
                    "has left), so refresh again after the next hourly snapshot.", *CAVEATS[self.kind])
        first: tuple[str, ...] = ()
        if self.extrapolated:
            first = (f"Per day is scaled up from only {self.window_hours:g} hours of snapshots, not a whole day: "
                     "a rough guess until a day of hourly snapshots is stored.",)
        elif self.sold < _FEW_UNITS:
            first = (f"Only {self.sold} units were counted in the window: the rate could well be several times "
                     "this, or zero.",)
        return (*first, *CAVEATS[self.kind])

    def as_json(self) -> dict[str, object]:
        """The shape in the module docstring; rates rounded to 0.1 unit a day."""
        per_day, spread = self.per_day, self.range
        return {
            "kind": self.kind,
            "sold": self.sold,
            "window_hours": self.window_hours,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "per_day": None if per_day is None else round(per_day, 1),
            "extrapolated": self.extrapolated,
            "range": None if spread is None else [round(spread[0], 1), round(spread[1], 1)],
            "confidence": self.confidence,
            "caveats": list(self.caveats),
        }


def _poisson_90(n: int) -> tuple[float, float]:
    """An approximate two-sided 90 % interval for the mean of a Poisson count ``n`` (Wilson-Hilferty)."""
    def cube(k: float, z: float) -> float:
        return k * (1 - 1 / (9 * k) + z / (3 * math.sqrt(k))) ** 3

    return (0.0 if n == 0 else cube(n, -_Z90)), cube(n + 1, _Z90)

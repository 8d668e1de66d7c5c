"""How a sales estimate is told: the window always beside the number, a per-day rate from under a day said to be
scaled up, a range and a confidence, caveats that say which way the estimate leans — in one JSON shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tsmsyncd.market.sales_report import CAVEATS, RANGE, SalesReport, as_kind, sold_per_day

END = datetime(2026, 11, 25, 12, 26, tzinfo=UTC)


def test_the_json_shape_holds_every_key_the_api_and_ui_show() -> None:
    report = SalesReport("commodities", 240, 24.0, END)
    shown = report.as_json()
    assert list(shown) == ["kind", "sold", "window_hours", "window_end", "per_day", "extrapolated", "range",
                           "confidence", "caveats"]
    assert shown["sold"] == 240 and shown["window_hours"] == 24.0 and shown["per_day"] == 240.0
    assert shown["window_end"] == "2026-11-25T12:26:00+00:00" and shown["extrapolated"] is False
    low, high = shown["range"]  # type: ignore[misc]
    assert low < 240 * RANGE["commodities"][0] < 240 < 240 * RANGE["commodities"][1] < high
    assert shown["confidence"] == "high" and shown["caveats"] == list(CAVEATS["commodities"])
    assert json.loads(json.dumps(shown, allow_nan=False)) == shown


def test_a_rate_from_two_hours_says_it_is_scaled_up_first() -> None:
    report = SalesReport("commodities", 40, 2.0, END)
    assert report.per_day == 480.0 and report.extrapolated and report.confidence == "low"
    assert report.caveats[0].startswith("Per day is scaled up from only 2 hours of snapshots")


def test_no_window_means_no_number() -> None:
    report = SalesReport("realm", None, 0.0, None)
    shown = report.as_json()
    assert (shown["sold"], shown["per_day"], shown["range"], shown["confidence"]) == (None, None, None, "none")
    assert shown["extrapolated"] is False and str(shown["caveats"][0]).startswith("No estimate yet")  # type: ignore[index]


def test_realm_items_never_reach_high_confidence_and_few_units_are_low() -> None:
    assert SalesReport("realm", 500, 24.0, END).confidence == "medium"
    assert SalesReport("house", 500, 24.0, END).confidence == "medium"
    few = SalesReport("commodities", 3, 24.0, END)
    assert few.confidence == "low" and few.caveats[0].startswith("Only 3 units were counted")


def test_the_range_allows_for_counting_noise() -> None:
    """Nothing sold in a day still allows about 3 a day (times the estimator's own upper error); a handful
    counted is a wide range, thousands a narrow one around the estimator's error alone."""
    nothing = SalesReport("realm", 0, 24.0, END).range
    assert nothing is not None and nothing[0] == 0.0 and 2.9 * RANGE["realm"][1] < nothing[1] < 3.1 * RANGE["realm"][1]
    few, many = SalesReport("realm", 4, 24.0, END).range, SalesReport("realm", 4000, 24.0, END).range
    assert few is not None and many is not None
    assert few[1] / few[0] > 5 and many[1] / many[0] < RANGE["realm"][1] / RANGE["realm"][0] * 1.1


@pytest.mark.parametrize("kind", ["commodities", "realm", "house"])
def test_caveats_say_which_way_the_estimate_leans_and_by_how_much(kind: str) -> None:
    text = " ".join(CAVEATS[kind]).lower()
    for words in ("estimate", "window", "invisible", "expired", "read low", "%"):
        assert words in text
    assert ("read high" in text) == (kind == "commodities")


def test_bad_reports_are_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        SalesReport("retail", 1, 1.0, END)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exactly when"):
        SalesReport("realm", None, 5.0, END)
    with pytest.raises(ValueError, match="exactly when"):
        SalesReport("realm", 3, 0.0, END)
    with pytest.raises(ValueError, match="negative"):
        SalesReport("realm", -1, 1.0, END)
    with pytest.raises(ValueError, match="kind"):
        as_kind("auctions")
    assert as_kind("house") == "house"


def test_sold_per_day_scales_to_24_hours() -> None:
    assert sold_per_day(12, 6) == 48.0
    assert sold_per_day(3, 1.5) == 48.0


@pytest.mark.parametrize("hours", [0, -1, float("nan")])
def test_sold_per_day_needs_a_positive_span(hours: float) -> None:
    with pytest.raises(ValueError):
        sold_per_day(5, hours)

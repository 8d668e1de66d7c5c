"""Market metrics as specifications: TSM's market value and day weighting (the sales estimate: test_sales.py)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tsmsyncd.market.metrics import (
    WEIGHTS,
    day_value,
    market_value,
    market_value_breakdown,
    market_values,
    weighted_market_value,
    weighted_market_values,
)

TSM_EXAMPLE = [5, 13, 13, 15, 15, 15, 16, 17, 17, 19, 20, 20, 20, 20, 20, 20, 21, 21, 29, 45, 45, 46, 47, 100]


def singles(prices: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """One single-unit auction per price."""
    return np.array(prices, dtype=np.int64), np.ones(len(prices), dtype=np.int64)


def auctions(*rows: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(price, quantity) rows as the two columns."""
    return np.array([p for p, _ in rows], dtype=np.int64), np.array([q for _, q in rows], dtype=np.int64)


# ------------------------------------------------------------------------------------------ market value


def test_tsm_published_example_is_14_5() -> None:
    price, quantity = singles(TSM_EXAMPLE)
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(len(price))  # input order must not matter
    steps = market_value_breakdown(price[shuffled], quantity[shuffled])
    assert steps.units == 24
    assert steps.considered == 7  # 30 % of 24 = 7.2 -> {5, 13, 13, 15, 15, 15, 16}; the 5->13 jump is in the first 15 %
    assert steps.mean == pytest.approx(92 / 7)  # 13.143
    assert steps.stdev == pytest.approx(3.761, abs=5e-4)  # the page's σ is the sample σ
    # The page prints 7.502..18.785: it adds 1.5 × the *rounded* 3.761 to 13.143; unrounded the top is 18.7839.
    assert steps.band == pytest.approx((7.502, 18.785), abs=2e-3)
    assert steps.kept == 6  # the 5 is outside the band
    assert steps.value == 14.5
    assert market_value(price, quantity) == 14.5


def test_all_equal_market_is_that_price() -> None:
    assert market_value(*auctions((1234, 3), (1234, 1), (1234, 20), (1234, 7))) == 1234


@pytest.mark.parametrize("quantity", [1, 2, 20, 1000])
def test_single_auction_is_its_price(quantity: int) -> None:
    assert market_value(*auctions((250, quantity))) == 250


def test_absurdly_expensive_listing_never_reaches_the_walk() -> None:
    # N = 10: at most floor(3) units are considered, the 100,000,000 is the 10th.
    assert market_value(*singles([100] * 9 + [100 * 1_000_000])) == 100


def test_a_unit_exactly_on_the_band_edge_is_kept() -> None:
    # N = 14: cap floor(4.2) = 4 units {100, 116 ×3}. μ = 112, σ = sqrt((144 + 3·16) / 3) = 8, band 100..124.
    steps = market_value_breakdown(*singles([100, 116, 116, 116] + [200] * 10))
    assert (steps.considered, steps.mean, steps.stdev) == (4, 112, 8)
    assert steps.kept == 4
    assert steps.value == 112


def test_absurdly_cheap_listing_is_dropped_by_the_band() -> None:
    # N = 20: the walk takes floor(0.30·20) = 6 units {1, 10^6 ×5}. μ = 833333.5, σ = 408248.1, band ±612372:
    # the 1-copper listing is 833332.5 below μ and is dropped.
    steps = market_value_breakdown(*singles([1] + [1_000_000] * 19))
    assert (steps.considered, steps.kept) == (6, 5)
    assert steps.value == 1_000_000


def test_a_20_percent_jump_after_the_first_15_percent_ends_the_walk() -> None:
    # N = 20: units 1..3 always count, 4..6 only without a jump. 100 -> 120 at unit 5 is exactly +20 %: a jump.
    steps = market_value_breakdown(*singles([100, 100, 100, 100, 120] + [130] * 15))
    assert steps.considered == 4
    assert steps.value == 100


def test_just_under_20_percent_is_not_a_jump() -> None:
    # 100 -> 119 (+19 %) and 119 -> 130 (+9.2 %) continue to the cap of 6 units {100 ×4, 119, 130}.
    # μ = 649/6 = 108.17, σ = 13.12, band 88.48..127.85: the 130 is dropped -> (4·100 + 119) / 5 = 103.8.
    steps = market_value_breakdown(*singles([100, 100, 100, 100, 119] + [130] * 15))
    assert steps.considered == 6
    assert steps.kept == 5
    assert steps.value == pytest.approx(103.8)


def test_jump_inside_the_first_15_percent_is_ignored() -> None:
    # N = 20: unit 2 is within floor(0.15·20) = 3, so 100 -> 500 does not stop the walk.
    steps = market_value_breakdown(*singles([100] + [500] * 19))
    assert steps.considered == 6
    assert steps.value == 500  # then the band drops the lone 100 (μ 433.3, σ 163.3, band ±244.9)


def test_the_30_percent_cap_cuts_an_auction_part_way() -> None:
    # N = 20 units, cap = 6: 2 units at 100 and only 4 of the 10 at 110. μ = 640/6 = 106.67, σ = 5.16,
    # band ±7.75 keeps all six -> 106.67 (an unweighted mean of the two auctions would say 105).
    steps = market_value_breakdown(*auctions((500, 8), (110, 10), (100, 2)))
    assert (steps.units, steps.considered, steps.kept) == (20, 6, 6)
    assert steps.value == pytest.approx(640 / 6)


def test_one_auction_of_ten_equals_ten_auctions_of_one() -> None:
    rest = [(12, 1), (13, 4), (15, 2), (40, 3)]
    stacked = market_value(*auctions((10, 10), *rest))
    split = market_value(*auctions(*[(10, 1)] * 10, *rest))
    assert stacked == pytest.approx(split)
    assert market_value(*auctions((11, 6), (14, 14))) == pytest.approx(market_value(*auctions((14, 14), (11, 6))))


def test_market_values_groups_items_and_sorts_codes() -> None:
    item = np.array([7, 3, 7, 3, 7])
    price = np.array([10, 50, 10, 50, 10])
    codes, values = market_values(item, price, np.ones(5, dtype=np.int64))
    assert codes.tolist() == [3, 7]
    assert values.tolist() == [50.0, 10.0]


def test_market_values_of_nothing_is_empty() -> None:
    codes, values = market_values(np.array([], np.int64), np.array([], np.int64), np.array([], np.int64))
    assert codes.size == values.size == 0


@pytest.mark.parametrize(
    ("price", "quantity", "error"),
    [
        ([0, 5], [1, 1], ValueError),
        ([5, 5], [1, 0], ValueError),
        ([5.5, 5], [1, 1], TypeError),
        ([5, 5], [1], ValueError),
        ([], [], ValueError),
    ],
)
def test_bad_scans_are_refused(price: list, quantity: list, error: type[Exception]) -> None:
    with pytest.raises(error):
        market_value(np.array(price, dtype=None if price else np.int64), np.array(quantity, dtype=np.int64))


def reference_market_value(prices: list[int], quantities: list[int]) -> tuple[float, bool]:
    """The published rule read literally, unit by unit, in exact fractions; also: is a unit a hair off the edge?"""
    units = sorted(p for p, q in zip(prices, quantities, strict=True) for _ in range(q))
    n = len(units)
    considered = [units[0]]
    for i in range(2, n + 1):  # 1-based unit number
        price, previous = units[i - 1], units[i - 2]
        if i <= Fraction(15, 100) * n or (i <= Fraction(30, 100) * n and price < Fraction(6, 5) * previous):
            considered.append(price)
        else:
            break
    mu = Fraction(sum(considered), len(considered))
    var = sum((p - mu) ** 2 for p in considered) / (len(considered) - 1) if len(considered) > 1 else Fraction(0)
    limit = Fraction(9, 4) * var  # (1.5σ)² exactly
    # Exact ties are kept (<=); a unit within 1e-9 of the edge but not on it may go either way (EDGE_RTOL).
    on_edge = any(0 < abs((p - mu) ** 2 - limit) <= limit * Fraction(1, 10**8) for p in considered)
    kept = [p for p in considered if (p - mu) ** 2 <= limit]
    return float(Fraction(sum(kept), len(kept))), on_edge


@st.composite
def scans(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Several items' auctions, interleaved in random order."""
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, 5), st.integers(1, 300), st.integers(1, 6)),
            min_size=1,
            max_size=80,
        )
    )
    rows = draw(st.permutations(rows))
    item, price, quantity = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
    return item, price, quantity


@settings(max_examples=100, deadline=None)
@given(scans())
def test_vectorized_equals_the_literal_rule_per_item(scan: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    item, price, quantity = scan
    codes, values = market_values(item, price, quantity)
    assert codes.tolist() == sorted(set(item.tolist()))
    for code, value in zip(codes.tolist(), values.tolist(), strict=True):
        mine = item == code
        expected, on_edge = reference_market_value(price[mine].tolist(), quantity[mine].tolist())
        assume(not on_edge)
        assert value == pytest.approx(expected, rel=1e-12)
        assert market_value(price[mine], quantity[mine]) == pytest.approx(value, rel=1e-12)


# ------------------------------------------------------------------------------------------ day weighting


def test_day_value_is_the_mean_of_the_scans() -> None:
    assert day_value(np.array([10.0, 20.0, 36.0])) == 22.0


def test_day_without_scans_is_refused() -> None:
    with pytest.raises(ValueError):
        day_value(np.array([]))


def test_weights_are_tsm_client_constants() -> None:
    assert len(WEIGHTS) == 15
    assert (WEIGHTS[0], WEIGHTS[7], WEIGHTS[14]) == (132, 38, 4)


def test_today_only_is_today() -> None:
    assert weighted_market_value({0: 123.5}) == 123.5
    assert weighted_market_value({9: 77.0}) == 77.0


def test_two_days_are_weighted_132_to_125() -> None:
    assert weighted_market_value({0: 10.0, 1: 20.0}) == pytest.approx((132 * 10 + 125 * 20) / 257)  # 14.864


def test_days_outside_the_window_are_ignored() -> None:
    assert weighted_market_value({0: 10.0, 15: 1e9, -1: 1e9, 30: 1e9}) == 10.0


def test_no_day_in_the_window_is_refused_not_nan() -> None:
    with pytest.raises(ValueError):
        weighted_market_value({})
    with pytest.raises(ValueError):
        weighted_market_value({20: 5.0})


def test_weighted_market_values_per_item() -> None:
    codes, values = weighted_market_values(
        offsets=np.array([1, 0, 0, 3, 99]),
        values=np.array([20.0, 10.0, 7.0, 40.0, 1.0]),
        item=np.array([5, 5, 2, 2, 9]),
    )
    assert codes.tolist() == [2, 5]  # item 9 only has a day outside the window
    assert values == pytest.approx([(132 * 7 + 75 * 40) / 207, (132 * 10 + 125 * 20) / 257])


def test_the_same_day_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="day offset 0"):
        weighted_market_values(np.array([0, 0]), np.array([1.0, 2.0]), np.array([4, 4]))

"""Browsing a realm's items: item strings as a player types them, a name search that ignores case and accents,
sorts that put missing values last whichever way they run, and pages that add up to the whole."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tsmsyncd.market.browse import SORT_KEYS, SORTS, browse, fold, item_string
from tsmsyncd.market.sales_report import SalesReport


@dataclass(frozen=True)
class Row:
    item: str
    min_buyout: int | None
    market_value: int | None = None
    market_value_14d: int | None = None
    quantity: int = 1
    auctions: int = 1
    sold: int | None = None

    @property
    def sales(self) -> SalesReport:
        return SalesReport("realm", self.sold, 0.0 if self.sold is None else 12.0, None)


ROWS = [Row("i:2447", 50, sold=6), Row("i:765", None, sold=None), Row("i:2449", 20, sold=0), Row("p:194", 900, sold=2)]
NAMES = {"i:2447": "Peacebloom", "i:765": "Silverleaf", "i:2449": "Earthroot", "p:194": "Crème Brûlée Bird"}


def items(sort: str, q: str | None = None, offset: int = 0, limit: int = 100) -> list[str]:
    return [r.item for r in browse(ROWS, NAMES, q=q, sort=sort, offset=offset, limit=limit)[1]]


@pytest.mark.parametrize(("typed", "item"), [("2447", "i:2447"), ("i:2447", "i:2447"), (" I:2447 ", "i:2447"),
                                             ("p:194", "p:194")])
def test_an_item_is_typed_as_an_id_or_item_string(typed: str, item: str) -> None:
    assert item_string(typed) == item


@pytest.mark.parametrize("typed", ["", "peacebloom", "i:0", "i:2447:1:2", "x:5", "-3", "i:1234567890"])
def test_anything_else_is_not_an_item(typed: str) -> None:
    with pytest.raises(ValueError, match="item string"):
        item_string(typed)


def test_fold_ignores_case_and_accents() -> None:
    assert fold("Crème BRÛLÉE") == "creme brulee"


def test_missing_values_sort_last_both_ways() -> None:
    assert items("min_buyout") == ["i:2449", "i:2447", "p:194", "i:765"]
    assert items("-min_buyout") == ["p:194", "i:2447", "i:2449", "i:765"]
    assert items("-sold_per_day") == ["i:2447", "p:194", "i:2449", "i:765"]
    assert items("item") == ["i:765", "i:2447", "i:2449", "p:194"], "by kind, then by number"
    assert items("name") == ["p:194", "i:2449", "i:2447", "i:765"]


def test_ties_keep_the_order_they_came_in() -> None:
    assert items("quantity") == items("-quantity") == [r.item for r in ROWS]


def test_q_finds_by_part_of_the_name_or_the_item_itself() -> None:
    assert items("item", q="BLOOM") == ["i:2447"]
    assert items("item", q="creme brulee") == ["p:194"], "accents optional"
    assert items("item", q="2449") == items("item", q="i:2449") == ["i:2449"]
    assert items("item", q="  ") == items("item")


def test_pages_add_up_and_the_total_counts_every_match() -> None:
    pages = [items("-sold", offset=o, limit=3) for o in (0, 3, 6)]
    assert sum(pages, []) == items("-sold") and pages[-1] == []
    assert browse(ROWS, NAMES, q="e", sort="item", offset=0, limit=1)[0] == 4


def test_every_key_sorts_both_ways_and_nothing_else_does() -> None:
    assert len(SORTS) == 2 * len(SORT_KEYS)
    for sort in SORTS:
        assert len(items(sort)) == len(ROWS)
    with pytest.raises(ValueError, match="sort must be one of"):
        items("price")
